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
