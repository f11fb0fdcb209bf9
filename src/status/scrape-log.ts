import type { DiscoverySnapshot } from "../discovery/index.js";
import type { ScrapeReport, ScrapeReporter } from "../scrape/index.js";

/** The last scrape of one instance, for the status page. */
export interface LastScrape {
  ok: boolean;
  reason?: string;
  bytes?: number;
  seconds: number;
  /** epoch ms when it was recorded */
  at: number;
}

/** Reasons are one line on the page; a target's error text can be long. */
const MAX_REASON_LENGTH = 300;

/**
 * The last scrape per instance, as the status page shows it. Told by the scrape proxy; forgets the instances
 * that a newly published discovery snapshot no longer holds, so it never outgrows the landscape.
 */
export class ScrapeLog implements ScrapeReporter {
  private readonly last = new Map<string, LastScrape>();

  constructor(private readonly now: () => number = Date.now) {}

  recordScrape(report: ScrapeReport): void {
    const seconds = Number.isFinite(report.seconds) && report.seconds >= 0 ? report.seconds : 0;
    const entry: LastScrape = { ok: report.ok, seconds, at: this.now() };
    if (report.ok && report.bytes !== undefined && report.bytes >= 0) entry.bytes = report.bytes;
    if (!report.ok && report.reason) entry.reason = report.reason.slice(0, MAX_REASON_LENGTH);
    this.last.set(report.instance.instanceId, entry);
  }

  lastScrape(instanceId: string): LastScrape | undefined {
    return this.last.get(instanceId);
  }

  /** Keeps only the instances of `snapshot`; subscribe it to discovery's published snapshots. */
  retain(snapshot: DiscoverySnapshot): void {
    for (const id of this.last.keys()) if (!snapshot.byInstanceId.has(id)) this.last.delete(id);
  }

  get size(): number {
    return this.last.size;
  }
}
