import { afterEach, describe, expect, it } from "vitest";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoveryService } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { manualClock, testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

const services: DiscoveryService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

const flush = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The alert delay docs/operations.md states for promregator_foundation_up and
 * promregator_foundation_last_success_timestamp_seconds: a refresh needs the Cloud Controller only for cache
 * entries older than their cache.timeout, so after the Cloud Controller dies refreshes keep succeeding (and the
 * last success keeps moving) until the first entry is due; then its failed reload makes the refresh fail and the
 * last success stays where it was.
 */
describe("last success of a foundation whose Cloud Controller died", () => {
  it("moves on while the caches are fresh, and stops at the first refresh that needs the Cloud Controller", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.com");
    cc.app(cc.space(cc.org("acme"), "dev"), "web", { instances: 1 });
    const clock = manualClock();
    const t0 = clock.now();
    const service = createDiscoveryService({
      config: testConfig([{ orgName: "acme" }], { timeout: 300 }),
      cf: cc,
      logger: silentLogger,
      now: clock.now,
    });
    services.push(service);
    await service.refresh();
    expect(service.lastRefresh()).toEqual({ at: t0, ok: true, lastOkAt: t0 });

    cc.failure = new Error("connect ECONNREFUSED");
    const requests = cc.count();
    // A refresh every 10 s, as the background loop runs them: every entry stays younger than cache.timeout (300 s).
    for (let i = 0; i < 29; i++) {
      clock.advance(10_000);
      await service.refresh();
    }
    expect(cc.count()).toBe(requests); // the Cloud Controller was not asked...
    expect(service.lastRefresh()).toEqual({ at: t0 + 290_000, ok: true, lastOkAt: t0 + 290_000 }); // ...yet "success"

    // From 300 s on the entries are due: a refresh starts their reload, which fails.
    for (let i = 0; i < 5 && service.lastRefresh()?.ok; i++) {
      clock.advance(10_000);
      await service.refresh();
      await flush();
    }
    expect(cc.count()).toBeGreaterThan(requests);
    const failed = service.lastRefresh();
    expect(failed?.ok).toBe(false);
    expect(failed?.error).toContain("ECONNREFUSED");
    // The last success stays at or before the refresh that found the entries due, and moves no more.
    expect(failed?.lastOkAt).toBeLessThanOrEqual(t0 + 310_000);
    for (let i = 0; i < 6; i++) {
      clock.advance(10_000);
      await service.refresh();
    }
    expect(service.lastRefresh()?.lastOkAt).toBe(failed?.lastOkAt);
    expect(service.current()?.instances).toHaveLength(1); // the landscape is kept
  });
});
