/**
 * The fields of a discovered instance that make its metric labels. Metrics imports nothing from the modules it
 * reports on: their ports (cf's CfRequestObserver, scrape's ScrapeReporter, discovery's SeenInstancesObserver)
 * are declared by them and fit these shapes.
 */
export interface InstanceLabels {
  /** "<appGuid>:<index>" */
  instanceId: string;
  index: number;
  orgName: string;
  spaceName: string;
  appName: string;
}

export interface ScrapeOutcome {
  instance: InstanceLabels;
  ok: boolean;
  /** Body size in bytes when ok. */
  bytes?: number;
  /** Time the fetch took, seconds. */
  seconds: number;
  /** One-line reason when not ok. */
  reason?: string;
}

/** What own metrics record: the union of the ports of scrape, discovery and cf, in metrics' own terms. */
export interface OwnMetricsRecorder {
  recordScrape(outcome: ScrapeOutcome): void;
  /** Called after every discovery refresh with the instances now known (drives lifecycle removal). */
  markSeen(instances: readonly InstanceLabels[]): void;
  /** `resource` is the CF request type label (org, space, appInSpace, process, route, domain, info). */
  observeCfRequest(resource: string, seconds: number, outcome: string): void;
  observeRateLimitWait(resource: string, seconds: number): void;
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

/** Counters of the discovery refresh loop, polled at each render (internal metrics only). */
export interface RefreshStats {
  /** Refresh runs ended. */
  runs: number;
  /** Runs that failed with nothing to serve. */
  failures: number;
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
