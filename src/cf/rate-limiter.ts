/** Clock and sleep, injectable so tests do not wait for real time. */
export interface TimeSource {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realTime: TimeSource = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Whose CC rate-limit quota a request spends: CC counts a request with a valid token against its user or
 * client, one without a token against the caller's IP (cf-api.md §6.1).
 */
export type RateLimitKey = "user" | "anonymous";

/** A 429 that still holds: no request on its key before `until` (epoch ms). */
export interface RateLimitHold {
  until: number;
  /** The 429 that set it, for the error of a request not sent meanwhile. */
  status: number;
  path: string;
  code?: number;
  title?: string;
  detail?: string;
}

/**
 * Client-side token bucket shared by all CC requests. Holds at most one second worth of permits;
 * a caller that finds the bucket empty reserves the next free slot (tokens go negative), so waiting
 * callers are served in arrival order without a queue structure.
 */
export class RateLimiter {
  private readonly capacity: number;
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly time: TimeSource = realTime,
  ) {
    this.capacity = Math.max(1, perSecond);
    this.tokens = this.capacity;
    this.last = time.now();
  }

  /** Set by 429 answers; outlives the request that got it, so that later requests and refreshes honour it. */
  private readonly holds = new Map<RateLimitKey, RateLimitHold>();

  /** A 429 asked to wait until `hold.until`; a later end wins over an earlier one. */
  hold(key: RateLimitKey, hold: RateLimitHold): void {
    const current = this.holds.get(key);
    if (!current || hold.until >= current.until) this.holds.set(key, hold);
  }

  /** The hold in force on `key` now, if any. */
  heldBy(key: RateLimitKey): RateLimitHold | undefined {
    const hold = this.holds.get(key);
    if (hold && hold.until <= this.time.now()) {
      this.holds.delete(key);
      return undefined;
    }
    return hold;
  }

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  /** Waits for a permit; resolves to the milliseconds waited (0 when the limiter is off). */
  async acquire(): Promise<number> {
    if (!this.enabled) return 0;
    const now = this.time.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    const waitMs = Math.ceil((-this.tokens / this.perSecond) * 1000);
    await this.time.sleep(waitMs);
    return waitMs;
  }
}
