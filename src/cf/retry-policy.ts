/**
 * The Cloud Controller retry policy as a pure function: what to do after one attempt of a GET, given what
 * is left of the request's budget. No timers, no HTTP: the requester performs the step.
 */

/** What one attempt came to. `status` is any non-2xx answer. */
export type AttemptOutcome =
  | { kind: "ok" }
  | { kind: "status"; status: number; authSent: boolean; rateLimitWaitMs: number }
  /** 2xx whose body is not JSON. */
  | { kind: "malformed" }
  /** The body was longer than cf.request.maxBodySize. */
  | { kind: "size" }
  | { kind: "timeout" }
  | { kind: "network" };

export interface RetryBudget {
  /** Retries left for network errors, timeouts and 5xx. */
  transient: number;
  /** 429 answers still to wait out. */
  rateLimited: number;
  /** A 401 renews the token once per request; a second 401 means the token is not the problem. */
  tokenRenewable: boolean;
  /** Wait before a transient retry, jitter included (the caller draws it). */
  backoffMs: number;
  /** False when the caller answers a timeout itself (a list page retried with a smaller per_page). */
  retryTimeouts: boolean;
}

export type Step =
  | { action: "ok" }
  | { action: "retry"; waitMs: number; why: "transient" | "rateLimited"; budget: RetryBudget }
  | { action: "renewToken"; budget: RetryBudget }
  /** `retriedByCaller`: a timeout the caller answers itself (so this attempt counts as a retry). */
  | { action: "fail"; retriedByCaller?: boolean };

/** How often a 429 is waited out before giving up. */
export const RATE_LIMIT_RETRIES = 2;

export function initialBudget(
  retries: number,
  auth: boolean,
  backoffMs: number,
  retryTimeouts = true,
): RetryBudget {
  return {
    transient: retries,
    rateLimited: RATE_LIMIT_RETRIES,
    tokenRenewable: auth,
    backoffMs,
    retryTimeouts,
  };
}

/**
 * ok -> done; 401 with a token -> renew once; 429 -> wait (Retry-After) up to RATE_LIMIT_RETRIES times;
 * 5xx, timeout (unless the caller handles it), network error -> retry after the backoff while the budget
 * lasts; anything else fails:
 * 4xx, a 2xx that is not JSON and an oversized body do not get better by asking again.
 */
export function nextStep(outcome: AttemptOutcome, budget: RetryBudget): Step {
  switch (outcome.kind) {
    case "ok":
      return { action: "ok" };
    case "malformed":
    case "size":
      return { action: "fail" };
    case "timeout":
      return budget.retryTimeouts ? transient(budget) : { action: "fail", retriedByCaller: true };
    case "network":
      return transient(budget);
    case "status": {
      const { status } = outcome;
      if (status === 401 && outcome.authSent && budget.tokenRenewable) {
        return { action: "renewToken", budget: { ...budget, tokenRenewable: false } };
      }
      if (status === 429) {
        if (budget.rateLimited <= 0) return { action: "fail" };
        const next = { ...budget, rateLimited: budget.rateLimited - 1 };
        return { action: "retry", waitMs: outcome.rateLimitWaitMs, why: "rateLimited", budget: next };
      }
      return status >= 500 ? transient(budget) : { action: "fail" };
    }
  }
}

function transient(budget: RetryBudget): Step {
  if (budget.transient <= 0) return { action: "fail" };
  const next = { ...budget, transient: budget.transient - 1 };
  return { action: "retry", waitMs: budget.backoffMs, why: "transient", budget: next };
}

/** The outcome label of the per-attempt request metric. */
export function attemptLabel(outcome: AttemptOutcome, step: Step): "ok" | "retry" | "rate_limited" | "error" {
  if (step.action === "ok") return "ok";
  if (step.action === "fail" && step.retriedByCaller) return "retry";
  if (outcome.kind === "status" && outcome.status === 429) return "rate_limited";
  return step.action === "fail" ? "error" : "retry";
}

/**
 * Wait for a 429: Retry-After (delta seconds or HTTP date), else X-RateLimit-Reset (epoch seconds), else
 * the fallback; never negative, never above `maxMs` (CC windows can be an hour long). RFC 9110 §10.2.3.
 */
export function rateLimitWaitMs(
  retryAfter: string | undefined,
  rateLimitReset: string | undefined,
  nowMs: number,
  fallbackMs: number,
  maxMs: number,
): number {
  let waitMs = fallbackMs;
  const after = retryAfter?.trim();
  const reset = Number(rateLimitReset);
  if (after && /^\d+(\.\d+)?$/.test(after)) waitMs = Number(after) * 1000;
  else if (after && !Number.isNaN(Date.parse(after))) waitMs = Date.parse(after) - nowMs;
  else if (Number.isFinite(reset) && reset > 0) waitMs = reset * 1000 - nowMs;
  return Math.min(Math.max(0, waitMs), maxMs);
}
