import { describe, expect, it } from "vitest";
import {
  type AttemptOutcome,
  attemptLabel,
  initialBudget,
  nextStep,
  type RetryBudget,
  rateLimitWaitMs,
} from "../../src/cf/retry-policy.js";

const fresh: RetryBudget = initialBudget(1, true, 500);
const spent: RetryBudget = {
  transient: 0,
  rateLimited: 0,
  tokenRenewable: false,
  backoffMs: 500,
  retryTimeouts: true,
};
const status = (s: number, authSent = true): AttemptOutcome => ({
  kind: "status",
  status: s,
  authSent,
  rateLimitWaitMs: 1234,
});

describe("nextStep", () => {
  const table: [string, AttemptOutcome, RetryBudget, ReturnType<typeof nextStep>["action"], number?][] = [
    ["2xx", { kind: "ok" }, fresh, "ok"],
    ["2xx that is not JSON", { kind: "malformed" }, fresh, "fail"],
    ["oversized body", { kind: "size" }, fresh, "fail"],
    ["timeout with budget", { kind: "timeout" }, fresh, "retry", 500],
    ["timeout without budget", { kind: "timeout" }, spent, "fail"],
    ["timeout the caller handles", { kind: "timeout" }, initialBudget(1, true, 500, false), "fail"],
    ["network error with budget", { kind: "network" }, fresh, "retry", 500],
    ["500 with budget", status(500), fresh, "retry", 500],
    ["503 without budget", status(503), spent, "fail"],
    ["401 with a token", status(401), fresh, "renewToken"],
    ["401 after a renewal", status(401), { ...fresh, tokenRenewable: false }, "fail"],
    ["401 without a token", status(401, false), fresh, "fail"],
    ["429 with budget waits as told", status(429), fresh, "retry", 1234],
    ["429 without budget", status(429), spent, "fail"],
    ["404", status(404), fresh, "fail"],
    ["400", status(400), fresh, "fail"],
  ];
  it.each(table)("%s", (_name, outcome, budget, action, waitMs) => {
    const step = nextStep(outcome, budget);
    expect(step.action).toBe(action);
    if (step.action === "retry") expect(step.waitMs).toBe(waitMs);
  });

  it("spends the budget: one transient retry, two 429 waits, one token renewal", () => {
    let budget = fresh;
    const first = nextStep({ kind: "timeout" }, budget);
    expect(first).toMatchObject({ action: "retry", budget: { transient: 0 } });
    if (first.action === "retry") budget = first.budget;
    expect(nextStep(status(502), budget).action).toBe("fail");

    budget = fresh;
    for (let i = 0; i < 2; i++) {
      const step = nextStep(status(429), budget);
      expect(step.action).toBe("retry");
      if (step.action === "retry") budget = step.budget;
    }
    expect(nextStep(status(429), budget).action).toBe("fail");

    const renew = nextStep(status(401), fresh);
    expect(renew).toMatchObject({ action: "renewToken", budget: { tokenRenewable: false } });
  });

  it("labels each attempt once for the request metric", () => {
    expect(attemptLabel({ kind: "ok" }, { action: "ok" })).toBe("ok");
    expect(attemptLabel(status(429), nextStep(status(429), fresh))).toBe("rate_limited");
    expect(attemptLabel(status(500), nextStep(status(500), fresh))).toBe("retry");
    expect(attemptLabel(status(401), nextStep(status(401), fresh))).toBe("retry");
    expect(attemptLabel(status(500), nextStep(status(500), spent))).toBe("error");
  });
});

describe("rateLimitWaitMs", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it.each([
    ["Retry-After in seconds", "3", undefined, 3000],
    ["Retry-After as an HTTP date", "Thu, 01 Jan 2026 00:00:05 GMT", undefined, 5000],
    ["X-RateLimit-Reset in epoch seconds", undefined, String(now / 1000 + 7), 7000],
    ["neither: the fallback", undefined, undefined, 500],
    ["never above the cap", "3600", undefined, 20_000],
    ["never negative", "Wed, 31 Dec 2025 23:00:00 GMT", undefined, 0],
  ])("%s", (_name, retryAfter, reset, expected) => {
    expect(rateLimitWaitMs(retryAfter, reset, now, 500, 20_000)).toBe(expected);
  });
});
