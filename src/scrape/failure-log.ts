import type { DiscoveredInstance } from "../discovery/index.js";
import type { Logger } from "../log.js";
import { redactUrl } from "./failure.js";

/** While an instance keeps failing, one summary line per this period. */
export const REPEAT_SUMMARY_MS = 10 * 60_000;
/** Instances tracked at most; a churning landscape must not grow it forever. */
const MAX_TRACKED = 10_000;

interface Failing {
  since: number;
  lastLineAt: number;
  /** Failures since the last line. */
  count: number;
  total: number;
  reason: string;
}

/**
 * Scrape warnings per instance, rate-limited: the first failure (warn), then while it lasts one summary per
 * `REPEAT_SUMMARY_MS` with the count and the latest reason (warn), and the recovery (info). Each failure is also
 * logged at debug. Prometheus retries every scrape interval, so a broken target would otherwise warn forever.
 */
export class ScrapeFailureLog {
  private readonly failing = new Map<string, Failing>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  failed(instance: DiscoveredInstance, reason: string): void {
    const at = this.now();
    const fields = {
      instanceId: instance.instanceId,
      app: instance.appName,
      url: redactUrl(instance.url),
      reason,
    };
    const state = this.failing.get(instance.instanceId);
    this.logger.debug(fields, "scrape failed");
    if (!state) {
      if (this.failing.size >= MAX_TRACKED) this.failing.delete(this.failing.keys().next().value as string);
      this.failing.set(instance.instanceId, { since: at, lastLineAt: at, count: 0, total: 1, reason });
      this.logger.warn(fields, "scrape failed");
      return;
    }
    state.count++;
    state.total++;
    state.reason = reason;
    if (at - state.lastLineAt >= REPEAT_SUMMARY_MS) {
      this.logger.warn(
        { ...fields, failures: state.count, failingSinceSeconds: Math.round((at - state.since) / 1000) },
        `scrape still failing: ${state.count} more failures since the last line`,
      );
      state.lastLineAt = at;
      state.count = 0;
    }
  }

  succeeded(instance: DiscoveredInstance): void {
    const state = this.failing.get(instance.instanceId);
    if (!state) return;
    this.failing.delete(instance.instanceId);
    this.logger.info(
      {
        instanceId: instance.instanceId,
        app: instance.appName,
        failures: state.total,
        failedForSeconds: Math.round((this.now() - state.since) / 1000),
      },
      "scrape succeeds again",
    );
  }
}
