import type { CfResource } from "../cf/types.js";
import type { DiscoveredInstance } from "../discovery/types.js";

export interface ScrapeOutcome {
  instance: DiscoveredInstance;
  ok: boolean;
  /** Body size in bytes when ok. */
  bytes?: number;
  /** Time the fetch took, seconds. */
  seconds: number;
  /** One-line reason when not ok. */
  reason?: string;
}

/** The own-metrics facade used by discovery, scrape and server; implemented in metrics/own-metrics.ts. */
export interface OwnMetricsRecorder {
  recordScrape(outcome: ScrapeOutcome): void;
  /** Called after every discovery refresh with the instances now known (drives lifecycle removal). */
  markSeen(instances: readonly DiscoveredInstance[]): void;
  observeCfRequest(
    resource: CfResource,
    seconds: number,
    outcome: "ok" | "error" | "retry" | "rate_limited",
  ): void;
  observeRateLimitWait(resource: CfResource, seconds: number): void;
}

/**
 * Who this Promregator process is; shown in `promregator_info` and on the status page.
 * The CF fields are set only when running as a Cloud Foundry app.
 */
export interface InstanceIdentity {
  /** Random UUID per process; the scrape proxy also sends it as X-Promregator-Instance (loop guard). */
  processId: string;
  appName?: string;
  appId?: string;
  spaceName?: string;
  orgName?: string;
  instanceIndex?: number;
  instanceGuid?: string;
}

/** The last scrape of one instance, for the status page. */
export interface LastScrape {
  ok: boolean;
  reason?: string;
  bytes?: number;
  seconds: number;
  /** epoch ms when it was recorded */
  at: number;
}

/** Statistics of one discovery cache, polled each time own metrics are rendered (internal metrics only). */
export interface CacheStats {
  cache: string;
  entries: number;
  /** Age of the oldest entry in seconds; omitted when empty or unknown. */
  oldestAgeSeconds?: number;
  /** Cumulative load calls, if the cache counts them. */
  loads?: number;
  /** Cumulative failed load calls, if the cache counts them. */
  loadFailures?: number;
}
