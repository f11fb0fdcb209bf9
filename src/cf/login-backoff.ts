/**
 * When the next login to UAA may be sent after UAA refused one. UAA locks a user after a few failed logins
 * (its lockout policy: by default 5 failures within 5 minutes lock the account for 5 minutes), so a wrong
 * password must never be retried at the pace of the discovery loop. Pure: the caller keeps the state and
 * passes the time (epoch ms).
 */

export interface LoginBackoffPolicy {
  /** Wait after the first refusal; doubles with each further one in a row. */
  firstDelayMs: number;
  /** The doubling stops here. */
  maxDelayMs: number;
  /** At most `maxRefusals` refused logins in any `windowMs`, whatever the delays say. */
  windowMs: number;
  maxRefusals: number;
}

/** First retry after a minute, then 2, 4, 8, 16 and 30 minutes; never more than 3 refusals in 10 minutes. */
export const DEFAULT_LOGIN_BACKOFF: LoginBackoffPolicy = {
  firstDelayMs: 60_000,
  maxDelayMs: 30 * 60_000,
  windowMs: 10 * 60_000,
  maxRefusals: 3,
};

export interface LoginBackoffState {
  /** Refused logins since the last accepted one. */
  readonly inARow: number;
  /** When the latest refusals happened (epoch ms, oldest first; at most `maxRefusals` kept). */
  readonly refusedAt: readonly number[];
}

export const NO_REFUSALS: LoginBackoffState = { inARow: 0, refusedAt: [] };

/** Epoch ms from which the next login may be sent (a time in the past means now). */
export function nextLoginAt(state: LoginBackoffState, policy = DEFAULT_LOGIN_BACKOFF): number {
  let at = Number.NEGATIVE_INFINITY;
  const last = state.refusedAt.at(-1);
  if (state.inARow > 0 && last !== undefined) {
    // 2^(n-1) minutes, capped; the exponent is bounded so the number stays finite.
    const delay = Math.min(policy.firstDelayMs * 2 ** Math.min(state.inARow - 1, 40), policy.maxDelayMs);
    at = last + delay;
  }
  if (state.refusedAt.length >= policy.maxRefusals) {
    const oldestCounted = state.refusedAt[state.refusedAt.length - policy.maxRefusals];
    at = Math.max(at, oldestCounted + policy.windowMs);
  }
  return at;
}

/**
 * Whether one more refused request at `now` would keep to `maxRefusals` in any `windowMs`. A request sent
 * within a login without waiting for nextLoginAt (a client switching its authentication method) must not
 * break the cap either.
 */
export function withinCap(state: LoginBackoffState, now: number, policy = DEFAULT_LOGIN_BACKOFF): boolean {
  return state.refusedAt.filter((at) => at > now - policy.windowMs).length < policy.maxRefusals;
}

/** The state after UAA refused a login sent at `now`. */
export function afterRefusal(
  state: LoginBackoffState,
  now: number,
  policy = DEFAULT_LOGIN_BACKOFF,
): LoginBackoffState {
  return {
    inARow: state.inARow + 1,
    refusedAt: [...state.refusedAt, now].slice(-policy.maxRefusals),
  };
}

/** The state after UAA accepted a login: no more delay, but earlier refusals still count in their window. */
export function afterAcceptance(state: LoginBackoffState): LoginBackoffState {
  return { inARow: 0, refusedAt: state.refusedAt };
}

/**
 * Whether a UAA answer to a login refuses these credentials (as opposed to UAA being in trouble). UAA answers
 * 401 `unauthorized` "Bad credentials" for a wrong password or client secret and 401 with "Your account has
 * been locked..." for a locked user; other OAuth2 servers answer 400 `invalid_grant` (RFC 6749 §5.2) or
 * 401/400 `invalid_client`.
 */
export function isCredentialRejection(status: number, error?: string, description?: string): boolean {
  if (status === 401) return true;
  if (status !== 400 && status !== 403) return false;
  if (error !== undefined && REJECTION_ERRORS.has(error)) return true;
  return description !== undefined && /bad credentials|locked/i.test(description);
}

const REJECTION_ERRORS = new Set(["invalid_grant", "invalid_client", "unauthorized", "unauthorized_client"]);
