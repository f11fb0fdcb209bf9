/**
 * How the simulated token endpoint treats client authentication and failed user logins, so that clients can be
 * tried against token services that accept only one client authentication method (RFC 6749 §2.3.1) and against
 * UAA's lockout policy (`lockoutAfterFailures` failed logins within `countFailuresWithinSeconds` lock the user
 * for `lockoutPeriodSeconds`, whatever password comes next).
 */

export type SimClientAuth = "client_secret_basic" | "client_secret_post" | "both";

export interface UaaLockoutSpec {
  lockoutAfterFailures: number;
  countFailuresWithinSeconds: number;
  lockoutPeriodSeconds: number;
}

export interface UaaPolicySpec {
  /** Client authentication methods the token endpoint accepts (default both, as UAA). */
  clientAuth?: SimClientAuth;
  /** Lock users after failed logins (default off). */
  lockout?: UaaLockoutSpec;
}

export interface UaaUserState {
  /** Failed password logins since start or the last reset. */
  failedLogins: number;
  locked: boolean;
}

/** UAA's message for a locked user (401 `unauthorized`). */
export const LOCKED_MESSAGE = "Your account has been locked because of too many failed attempts to login.";

export class UaaPolicy {
  private spec: UaaPolicySpec = {};
  private readonly failures = new Map<string, number[]>();
  private readonly lockedUntil = new Map<string, number>();

  constructor(
    spec: UaaPolicySpec = {},
    private readonly now: () => number = Date.now,
  ) {
    this.set(spec);
  }

  set(spec: UaaPolicySpec): void {
    const auth = spec.clientAuth;
    if (auth !== undefined && !["client_secret_basic", "client_secret_post", "both"].includes(auth)) {
      throw new Error(
        `clientAuth must be client_secret_basic, client_secret_post or both, got ${String(auth)}`,
      );
    }
    const l = spec.lockout;
    if (
      l !== undefined &&
      !(l.lockoutAfterFailures >= 1 && l.countFailuresWithinSeconds > 0 && l.lockoutPeriodSeconds > 0)
    ) {
      throw new Error(
        "lockout needs lockoutAfterFailures >= 1, countFailuresWithinSeconds > 0 and lockoutPeriodSeconds > 0",
      );
    }
    this.spec = { ...spec };
  }

  /** Forget failures and locks (the policy itself stays). */
  clear(): void {
    this.failures.clear();
    this.lockedUntil.clear();
  }

  accepts(method: "client_secret_basic" | "client_secret_post"): boolean {
    const auth = this.spec.clientAuth ?? "both";
    return auth === "both" || auth === method;
  }

  isLocked(username: string): boolean {
    return (this.lockedUntil.get(username) ?? 0) > this.now();
  }

  /** A password login of `username` failed; may lock the user. */
  loginFailed(username: string): void {
    const now = this.now();
    const times = [...(this.failures.get(username) ?? []), now];
    this.failures.set(username, times);
    const l = this.spec.lockout;
    if (!l) return;
    const recent = times.filter((t) => t > now - l.countFailuresWithinSeconds * 1000);
    if (recent.length >= l.lockoutAfterFailures) {
      this.lockedUntil.set(username, now + l.lockoutPeriodSeconds * 1000);
    }
  }

  userState(username: string): UaaUserState {
    return { failedLogins: this.failures.get(username)?.length ?? 0, locked: this.isLocked(username) };
  }
}
