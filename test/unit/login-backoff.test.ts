import { describe, expect, it } from "vitest";
import {
  afterAcceptance,
  afterRefusal,
  DEFAULT_LOGIN_BACKOFF,
  isCredentialRejection,
  type LoginBackoffState,
  NO_REFUSALS,
  nextLoginAt,
  withinCap,
} from "../../src/cf/login-backoff.js";

const MIN = 60_000;

/**
 * Replays a login loop that tries whenever the policy allows, with a clock injected as minutes: at each
 * `wants` time a caller asks for a login; the answer is refused or accepted as the script says.
 */
function replay(script: { at: number; answer: "refused" | "accepted" }[]): number[] {
  let state: LoginBackoffState = NO_REFUSALS;
  const sent: number[] = [];
  for (const { at, answer } of script) {
    const now = at * MIN;
    if (nextLoginAt(state) > now) continue;
    sent.push(at);
    state = answer === "refused" ? afterRefusal(state, now) : afterAcceptance(state);
  }
  return sent;
}

/** Every 10 s for `minutes`, each login refused. */
function refusedEvery10s(minutes: number) {
  return Array.from({ length: minutes * 6 }, (_, i) => ({ at: i / 6, answer: "refused" as const }));
}

describe("login backoff after refused logins", () => {
  it.each([
    // first refusal: next try a minute later
    [[0], 1],
    // 2nd refusal in a row: 2 minutes
    [[0, 1], 3],
    // 3rd: 4 minutes, but 3 refusals in 10 minutes hold until the first is 10 minutes old
    [[0, 1, 3], 10],
    // 4th: 8 minutes after it
    [[0, 1, 3, 10], 18],
    [[0, 1, 3, 10, 18], 34],
    // capped at 30 minutes
    [[0, 1, 3, 10, 18, 34], 64],
    [[0, 1, 3, 10, 18, 34, 64], 94],
  ])("refusals at %j minutes -> next try at %d", (refusals, next) => {
    let state = NO_REFUSALS;
    for (const at of refusals) state = afterRefusal(state, at * MIN);
    expect(nextLoginAt(state) / MIN).toBe(next);
  });

  it("allows a login at once when nothing was refused", () => {
    expect(nextLoginAt(NO_REFUSALS)).toBeLessThan(0);
  });

  it("sends a wrong password at most 3 times in any 10 minutes, however often it is asked for", () => {
    const sent = replay(refusedEvery10s(180));
    expect(sent.slice(0, 6)).toEqual([0, 1, 3, 10, 18, 34]);
    for (const [i, t] of sent.entries()) {
      expect(sent.filter((u) => u >= t && u < t + 10).length, `window from ${sent[i]}`).toBeLessThanOrEqual(
        3,
      );
    }
    expect(sent.length).toBe(10);
  });

  it("starts over after an accepted login, but earlier refusals still count in their 10 minutes", () => {
    let state = afterRefusal(afterRefusal(NO_REFUSALS, 0), 1 * MIN);
    state = afterAcceptance(state);
    expect(nextLoginAt(state)).toBeLessThan(0);
    state = afterRefusal(state, 2 * MIN);
    // one minute after the new first refusal would be 3, but 0, 1 and 2 are 3 refusals within 10 minutes
    expect(nextLoginAt(state) / MIN).toBe(10);
  });

  it("takes its numbers from the policy", () => {
    const policy = { firstDelayMs: 10, maxDelayMs: 25, windowMs: 1000, maxRefusals: 100 };
    let state = NO_REFUSALS;
    const next: number[] = [];
    for (let i = 0; i < 4; i++) {
      state = afterRefusal(state, 0, policy);
      next.push(nextLoginAt(state, policy));
    }
    expect(next).toEqual([10, 20, 25, 25]);
    expect(DEFAULT_LOGIN_BACKOFF.maxRefusals).toBe(3);
  });
});

describe("withinCap: room for one more refused request without waiting", () => {
  it.each([
    [[], 0, true],
    [[0], 0, true],
    [[0, 0], 0, true],
    [[0, 0, 2], 2, false],
    // the oldest of three leaves the window after 10 minutes
    [[0, 1, 2], 10, true],
    [[0, 1, 2], 9.99, false],
  ])("refused at %j minutes, asked at %d -> %s", (refusedAt, now, expected) => {
    const state = { inARow: refusedAt.length, refusedAt: refusedAt.map((m) => m * MIN) };
    expect(withinCap(state, now * MIN)).toBe(expected);
  });
});

describe("isCredentialRejection", () => {
  it.each([
    [401, "unauthorized", "Bad credentials", true],
    [401, "invalid_client", "Bad credentials", true],
    [401, "unauthorized", "Your account has been locked because of too many failed attempts to login.", true],
    [401, undefined, undefined, true],
    [400, "invalid_grant", "Bad credentials", true],
    [400, "invalid_client", undefined, true],
    [400, "unauthorized_client", "Unauthorized grant type: client_credentials", true],
    [403, undefined, "Bad credentials", true],
    [400, "invalid_request", "Missing grant type", false],
    [400, "unsupported_grant_type", undefined, false],
    [500, "server_error", "Internal Server Error", false],
    [503, undefined, undefined, false],
    [429, undefined, undefined, false],
  ])("%d %s (%s) -> %s", (status, error, description, expected) => {
    expect(isCredentialRejection(status, error, description)).toBe(expected);
  });
});
