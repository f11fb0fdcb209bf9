export interface RateLimitSpec {
  limit: number;
  windowSeconds: number;
}

export interface RateLimitDecision {
  headers: Record<string, string>;
  exceeded: boolean;
}

/**
 * CC's general rate limiter: a fixed window per caller (user/client guid, or IP when unauthenticated) that
 * starts with the caller's first counted request. Remaining is published in 10 % steps of the limit.
 */
export class RateLimiter {
  private spec: RateLimitSpec | undefined;
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(spec?: RateLimitSpec) {
    this.set(spec);
  }

  set(spec?: RateLimitSpec): void {
    if (spec && (!(spec.limit > 0) || !(spec.windowSeconds > 0))) {
      throw new Error("rate limit needs a positive limit and windowSeconds");
    }
    this.spec = spec ? { ...spec } : undefined;
    this.windows.clear();
  }

  current(): RateLimitSpec | undefined {
    return this.spec;
  }

  hit(key: string, now = Date.now()): RateLimitDecision | undefined {
    const spec = this.spec;
    if (!spec) return undefined;
    const windowMs = spec.windowSeconds * 1000;
    let w = this.windows.get(key);
    if (!w || now >= w.start + windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    const resetMs = w.start + windowMs;
    const tenths = Math.floor(((spec.limit - w.count) * 10) / spec.limit);
    const headers: Record<string, string> = {
      "X-RateLimit-Limit": String(spec.limit),
      "X-RateLimit-Remaining": String(Math.max(0, Math.floor((tenths * spec.limit) / 10))),
      "X-RateLimit-Reset": String(Math.ceil(resetMs / 1000)),
    };
    const exceeded = w.count > spec.limit;
    if (exceeded) headers["Retry-After"] = String(Math.max(1, Math.ceil((resetMs - now) / 1000)));
    return { headers, exceeded };
  }
}
