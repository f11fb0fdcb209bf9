import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cfHealth } from "./support/cf-checks.js";
import { CF_USER, eventually, type Harness, sleep, startHarness } from "./support/harness.js";

describe("a wrong CF password against a UAA with a lockout policy", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      env: { CF_PASSWORD: "wrong-password-Q7" },
      // UAA's default locks after 5 failures; 3 within a minute makes a loop show within a second here
      simulator: {
        uaa: {
          lockout: { lockoutAfterFailures: 3, countFailuresWithinSeconds: 60, lockoutPeriodSeconds: 300 },
        },
      },
      tickMs: 50,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("logs in once, not at the discovery loop's pace, so the account is not locked", async () => {
    await eventually("the refused login on the status page", async () =>
      (await cfHealth(h)).lastError?.includes("next try at") ? true : undefined,
    );
    // many discovery ticks (and cache reloads) later
    await sleep(1500);
    expect(h.sim.admin.uaaUser(CF_USER.username)).toEqual({ failedLogins: 1, locked: false });
  });

  it("says on the status page and in the log that CF rejected the credentials, and when it tries next", async () => {
    const health = await cfHealth(h);
    const said =
      /CF rejected the credentials for user "reliability": invalid_client \(Bad credentials\); next try at (\S+)/;
    const match = said.exec(health.lastError ?? "");
    expect(match, health.lastError).not.toBeNull();
    const nextTry = Date.parse(match![1]!);
    // a minute after the refusal
    expect(nextTry - Date.now()).toBeGreaterThan(50_000);
    expect(nextTry - Date.now()).toBeLessThanOrEqual(60_000);

    const html = await h.get("/", { accept: "text/html" });
    const text = html.text.replace(/&quot;|&#34;/g, '"').replace(/&#39;/g, "'");
    expect(text).toContain(`is failing: ${health.lastError}`);
    expect(h.logs.warnings(said).length).toBe(1);
    expect(h.logs.text()).not.toContain("wrong-password-Q7");
  });
});
