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
