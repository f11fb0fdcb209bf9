import type {
  DiscoverySnapshot,
  FoundationHealth,
  NoInstancesKind,
  RefreshOutcome,
} from "../discovery/index.js";
import type { CacheStats, InstanceIdentity } from "../metrics/index.js";
import type { LastScrape } from "./scrape-log.js";

/** Connection state of the Cloud Controller client, as the watchdog or the discovery loop last saw it. */
export interface CfHealth {
  ok: boolean;
  lastError?: string;
  /** epoch ms */
  lastSuccessAt?: number;
}

/** Everything the status page reads; all of it is polled at render time, nothing is cached here. */
export interface StatusDeps {
  snapshot: () => DiscoverySnapshot | undefined;
  ready: () => boolean;
  lastScrape: (instanceId: string) => LastScrape | undefined;
  cacheStats: () => readonly CacheStats[];
  identity: InstanceIdentity;
  version: string;
  cfApiUrl: string;
  cfHealth?: () => CfHealth;
  /** Outcome of the latest discovery refresh (it names the latest ok one too), changed landscape or not. */
  lastRefresh?: () => RefreshOutcome | undefined;
  /** One description per entry of promregator.targets, in configuration order; listed before the first discovery. */
  configuredTargets?: readonly string[];
  /** Each foundation's health, when several are configured; the page then has a foundations section. */
  foundations?: () => readonly FoundationHealth[];
  /** epoch ms; injectable for tests */
  now?: () => number;
}

/** A point in time, both absolute and relative to when the document was made. */
export interface Moment {
  /** ISO 8601, UTC */
  at: string;
  /** Seconds before `generatedAt` (negative if the clock moved backwards). */
  ageSeconds: number;
}

export interface TargetStatus {
  targetIndex: number;
  description: string;
  instances: number;
  /** The details: what matched nothing, or the Cloud Controller error with its cause. */
  problem?: string;
  /**
   * Why the target has no instances (with "cc-error": why it only keeps its previous ones), as a kind and a
   * short phrase: "no HTTP route", "no matching app", "Cloud Controller error: <cause>", ...
   */
  why?: { kind: NoInstancesKind; text: string };
  /** True before the first discovery completed: the target is configured but was not resolved yet. */
  pending?: boolean;
}

export interface ScrapeStatus {
  ok: boolean;
  reason?: string;
  latencySeconds: number;
  bytes?: number;
  when: Moment;
}

export interface InstanceStatus {
  instanceId: string;
  orgName: string;
  spaceName: string;
  appName: string;
  index: number;
  url: string;
  targetIndex: number;
  /** Its foundation's name, when several foundations are configured. */
  foundation?: string;
  /** Absent until Prometheus scraped this instance through this process. */
  lastScrape?: ScrapeStatus;
}

/** One foundation of several: its Cloud Controller and the outcome of its own discovery. */
export interface FoundationStatus {
  name: string;
  apiUrl: string;
  /** Its latest refresh succeeded; false before its first one ended, and for an unused one. */
  ok: boolean;
  /** No target names it: it is not contacted, so it has no health (ok is false, nothing else is known). */
  unused?: true;
  /** Why its latest refresh failed. */
  lastError?: string;
  /** When its latest successful refresh started. */
  lastSuccess?: Moment;
  /** Its instances in the published discovery (kept from earlier refreshes while it fails). */
  instances: number;
  /** Targets that name it. */
  targets: number;
}

export interface CacheStatus {
  cache: string;
  entries: number;
  oldestAgeSeconds?: number;
  loads?: number;
  loadFailures?: number;
}

/** The JSON twin of the HTML page (`/status.json`); the HTML shows the same facts. */
export interface StatusDocument {
  version: string;
  generatedAt: string;
  process: {
    id: string;
    /** Present only when running as a Cloud Foundry app. */
    cf?: Omit<InstanceIdentity, "processId">;
  };
  ready: boolean;
  cf: {
    /**
     * With one foundation its Cloud Controller. With several, the Cloud Controller of `foundation`: the first
     * failing foundation (whose error `health.lastError` shows), else the first one some target names.
     */
    apiUrl: string;
    /** With several foundations: which one `apiUrl` belongs to; each one's own detail is in `foundations`. */
    foundation?: string;
    /**
     * Absent when nothing reports the connection state. With several foundations: ok when every foundation some
     * target names is, lastError that of the first failing one (prefixed with its name), lastSuccess the oldest
     * of their last successes.
     */
    health?: { ok: boolean; lastError?: string; lastSuccess?: Moment };
  };
  /** Present when several foundations are configured, in configuration order (the `cf:` block first). */
  foundations?: FoundationStatus[];
  discovery: {
    /** When the latest successful refresh started (an unchanged landscape too); absent until one succeeded. */
    lastRefresh?: Moment;
    /** When the refresh that last changed the landscape (instances or target reports) started. */
    lastChange?: Moment;
    targets: TargetStatus[];
  };
  summary: { instances: number; scrapeOk: number; scrapeFailed: number; notScrapedYet: number };
  /** In discovery order (org, space, app, index). */
  instances: InstanceStatus[];
  caches: CacheStatus[];
  /** Parts that could not be read; the rest of the document is still valid. */
  errors?: string[];
}
