import { ScrapeFailure } from "./failure.js";

export const SCRAPE_TIMEOUT_HEADER = "x-prometheus-scrape-timeout-seconds";

/**
 * The time one scrape may take: maxProcessingTime, or less when Prometheus tells us its own timeout,
 * so our answer (even a failure) arrives before Prometheus gives up on us.
 */
export function scrapeBudgetMs(
  maxProcessingTimeMs: number,
  timeoutHeader: string | string[] | undefined,
): number {
  const raw = Array.isArray(timeoutHeader) ? timeoutHeader[0] : timeoutHeader;
  const seconds = raw === undefined ? Number.NaN : Number(raw.trim());
  if (!Number.isFinite(seconds) || seconds <= 0) return maxProcessingTimeMs;
  const callerMs = seconds * 1000;
  // Leave room for answering; for very short timeouts keep at least half of it.
  const budget = Math.max(callerMs * 0.95 - 50, callerMs * 0.5);
  return Math.max(1, Math.floor(Math.min(maxProcessingTimeMs, budget)));
}

/** An abort signal that fires when the budget is spent, or earlier when aborted by hand (caller gone). */
export class ScrapeBudget {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly deadline: number;

  constructor(readonly ms: number) {
    this.deadline = performance.now() + ms;
    this.timer = setTimeout(
      () =>
        this.abort(new ScrapeFailure("timeout", `no complete answer within the scrape budget of ${ms} ms`)),
      ms,
    );
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The reason when aborted. */
  get failure(): ScrapeFailure | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as ScrapeFailure) : undefined;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  abort(reason: ScrapeFailure): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
