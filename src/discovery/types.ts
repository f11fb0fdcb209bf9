/** One scrapeable app instance, as found by discovery. Read by /discovery, the scrape proxy and the status page. */
export interface DiscoveredInstance {
  /** "<appGuid>:<index>", also the `instance` label users relabel to. */
  instanceId: string;
  appGuid: string;
  index: number;
  orgName: string;
  spaceName: string;
  appName: string;
  /** Full URL the proxy fetches: route + path, internal route URL, or overrideRouteAndPath. */
  url: string;
  /**
   * `url` parsed once by discovery, so that a scrape does not parse it again (never changed after: the scrape
   * path keeps what it read from it); absent when `url` is not a valid URL.
   */
  parsedUrl?: URL;
  /** False for internal routes and overrideRouteAndPath: no X-CF-APP-INSTANCE header then. */
  sendInstanceHeader: boolean;
  /** authenticatorId of the configured target that produced this instance, if any. */
  authenticatorId?: string;
  /** Index into promregator.targets of that target. */
  targetIndex: number;
  /**
   * HTTP Basic credentials from the app's service binding (`serviceInstanceName` targets with
   * `promregator.serviceBindings.credentials: path-and-basic-auth`); used instead of the target's authenticator.
   */
  bindingCredential?: ScrapeCredential;
  /** Name of the foundation whose Cloud Controller listed the app (`cf.name` or a `foundations[].name`). */
  foundation: string;
}

/**
 * Credentials for scraping one app, kept out of sight: serialised or inspected it shows a placeholder.
 * Declared here, implemented in binding-credentials.ts, read by the scrape proxy.
 */
export interface ScrapeCredential {
  /** For messages, never containing a secret, e.g. `service binding "metrics" (guid)`. */
  readonly label: string;
  /** The Authorization header value. */
  authorization(): string;
  equals(other: ScrapeCredential | undefined): boolean;
}

/**
 * Why a configured target has no instances (or, for "cc-error", keeps its previous ones):
 * - "cc-error": the Cloud Controller could not be read; `problem` names the cause (also when binding details it
 *   failed to give left some apps of a target with instances out for now);
 * - "no-matching-app": the org/space/application selection matched nothing (or the target is invalid);
 * - "no-route" / "no-http-route": apps matched, but none has an HTTP route to its web process (e.g. TCP only);
 * - "no-web-process": an app has no (or more than one) web process;
 * - "scaled-to-zero": the apps' web processes want 0 instances;
 * - "service-binding": a service binding of a `serviceInstanceName` target could not be used as it is (its
 *   credentials are not readable or not valid); set also when other apps of the target have instances;
 * - "same-app-guid": an app of the target has a guid that another foundation lists too (one foundation's instances
 *   are served); set on both targets, also when they have instances.
 */
export type NoInstancesKind =
  | "cc-error"
  | "no-matching-app"
  | "no-route"
  | "no-http-route"
  | "no-web-process"
  | "scaled-to-zero"
  | "service-binding"
  | "same-app-guid"
  | "selected-by-earlier-target";

/**
 * Why a matched app can have no instances although its target has others: such apps are named on the
 * target's report (`leftOut`). An app scaled to 0 is not among them: it asks for no instances.
 */
export const LEFT_OUT_KINDS: ReadonlySet<NoInstancesKind> = new Set([
  "no-route",
  "no-http-route",
  "no-web-process",
]);

/** What one configured target resolved to in the last refresh; for diagnostics and the status page. */
export interface TargetReport {
  targetIndex: number;
  /** Human-readable description of the target, e.g. "org=a space=b app=/x.*\/". */
  description: string;
  instances: number;
  /**
   * Why nothing matched, or the last error; undefined when instances > 0, except for "service-binding" problems
   * of some apps of a target whose other apps have instances, and for apps of such a target left out for want
   * of a route or web process ("no-route", "no-http-route", "no-web-process": "<n> apps left out: ...").
   */
  problem?: string;
  /** The kind of `problem`; set exactly when `problem` is. */
  kind?: NoInstancesKind;
  /**
   * Every app of a target with instances that was left out for want of a route or a web process,
   * "<org>/<space>/<app> <why>" in resolution order; `problem` names only the first three.
   */
  leftOut?: readonly string[];
}

export interface DiscoverySnapshot {
  /** Stable order: org name, space name, app name, index. */
  instances: readonly DiscoveredInstance[];
  byInstanceId: ReadonlyMap<string, DiscoveredInstance>;
  targets: readonly TargetReport[];
  /** epoch ms of the refresh that produced this snapshot */
  refreshedAt: number;
}

export interface CacheInvalidation {
  org?: boolean;
  space?: boolean;
  application?: boolean;
  domain?: boolean;
  route?: boolean;
  process?: boolean;
  resolver?: boolean;
}

/** The cache layers, named like the /cache/invalidate parameters. */
export type CacheName = keyof CacheInvalidation;

/** Shaped like metrics' CacheStats, so cacheStats() can feed the own-metrics registry directly. */
export interface CacheStat {
  /** A layer, or one of the two caches behind `serviceInstanceName` targets (present only with such targets). */
  cache: CacheName | "serviceBinding" | "bindingDetails";
  /** Entries currently held. */
  entries: number;
  /** Age in seconds of the oldest loaded entry; undefined when empty. */
  oldestAgeSeconds?: number;
  /** Load calls made (each may cover many keys). */
  loads: number;
  /** Load calls that failed. */
  loadFailures: number;
}

export type SnapshotListener = (snapshot: DiscoverySnapshot) => void;

/** Counters of discovery's refresh loop; shaped like metrics' RefreshStats. */
export interface RefreshStats {
  /** Refresh runs ended, successful or not. */
  runs: number;
  /** Runs that rejected: nothing known at all, not even a last good snapshot. */
  failures: number;
}

/** The named outcome of the latest refresh, for health and status pages. */
export interface RefreshOutcome {
  /** epoch ms when the refresh started */
  at: number;
  /** False when a target or a cache reload failed, even if a snapshot was kept or published. */
  ok: boolean;
  /** The first failure's message when not ok. */
  error?: string;
  /** epoch ms when the latest ok refresh started (this one if ok); absent before any refresh was ok. */
  lastOkAt?: number;
}

/** The read side: the published snapshot. Endpoints, the discovery file and the status page use only this. */
export interface DiscoveryReader {
  current(): DiscoverySnapshot | undefined;
  /** True once a snapshot exists. */
  ready(): boolean;
  whenReady(): Promise<void>;
  /** Called with every newly published snapshot; returns an unsubscribe function. */
  onSnapshot(listener: SnapshotListener): () => void;
  /**
   * Called with the current snapshot after every refresh, changed or not (the own-metrics lifecycle counts
   * its instances as seen then); returns an unsubscribe function.
   */
  onRefresh(listener: SnapshotListener): () => void;
}

/** The control side: the refresh loop and the caches behind it. */
export interface DiscoveryControl {
  /** Runs a first refresh now and then one every tick. */
  start(): void;
  /** Stops the loop; resolves once a refresh in progress and background cache reloads have settled. */
  stop(): Promise<void>;
  /** Runs one resolution now (after one already running); rejects only when nothing is known at all. */
  refresh(): Promise<DiscoverySnapshot>;
  /** Empties the named caches and refreshes right away; never rejects. */
  invalidate(selection: CacheInvalidation): Promise<void>;
}

/** The diagnostics side: what the status page and internal metrics show about discovery itself. */
export interface DiscoveryDiagnostics {
  /** One entry per cache, in the order of CacheInvalidation. */
  cacheStats(): CacheStat[];
  /** Outcome of the latest refresh; undefined before the first one ended. */
  lastRefresh(): RefreshOutcome | undefined;
  /** Counts of the refresh loop: runs ended, and runs that failed with nothing to serve (summed over foundations). */
  refreshStats(): RefreshStats;
}

/** Keeps a discovery snapshot current in the background; endpoints only read `current()`. */
export interface DiscoveryService extends DiscoveryReader, DiscoveryControl, DiscoveryDiagnostics {}
