import type { DiscoveredInstance } from "../discovery/index.js";
import type { InboundRequest, InboundResponse } from "../http-exchange.js";

/** Header carrying this process's random id on every outbound scrape, to detect loops. */
export const PROMREGATOR_INSTANCE_HEADER = "x-promregator-instance";

/** What the scrape proxy reports about one scrape; declared here, implemented by own metrics and the scrape log. */
export interface ScrapeReport {
  instance: DiscoveredInstance;
  ok: boolean;
  /** Body size in bytes when ok. */
  bytes?: number;
  /** Time the fetch took, seconds. */
  seconds: number;
  /** One-line reason when not ok. */
  reason?: string;
}

/** Told about every scrape the proxy answered. */
export interface ScrapeReporter {
  recordScrape(report: ScrapeReport): void;
}

export interface ScrapeHandler {
  /** Fetches the instance and writes the whole answer (status, headers, body) to `res`. Never throws. */
  handle(req: InboundRequest, res: InboundResponse, instance: DiscoveredInstance): Promise<void>;
  close(): Promise<void>;
}
