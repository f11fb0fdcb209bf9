import { afterEach, describe, expect, it } from "vitest";
import type { TargetConfig } from "../../src/config/types.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoveredInstance, DiscoveryService, DiscoverySnapshot } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { captureLogger, manualClock, testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

function landscape() {
  const cc = new FakeCloudController();
  cc.domain("apps.example.com");
  const space = cc.space(cc.org("acme"), "dev");
  const web = cc.app(space, "web", { instances: 2 });
  const api = cc.app(space, "api", { instances: 1 });
  return { cc, space, web, api };
}

/** The instances told to refresh subscribers, one entry per notice (as the own-metrics lifecycle sees them). */
function recorder(service: DiscoveryService): { seen: (readonly DiscoveredInstance[])[] } {
  const seen: (readonly DiscoveredInstance[])[] = [];
  service.onRefresh((snapshot) => seen.push(snapshot.instances));
  return { seen };
}

const services: DiscoveryService[] = [];
function serviceFor(
  cc: FakeCloudController,
  opts: {
    targets?: Partial<TargetConfig>[];
    cache?: { timeout?: number; expiry?: number; resolver?: number };
    clock?: ReturnType<typeof manualClock>;
    logger?: ReturnType<typeof captureLogger>["logger"];
    tickMs?: number;
  } = {},
) {
  const service = createDiscoveryService({
    config: testConfig(opts.targets ?? [{ orgName: "acme" }], opts.cache),
    cf: cc,
    logger: opts.logger ?? silentLogger,
    now: opts.clock?.now,
    tickMs: opts.tickMs,
  });
  services.push(service);
  return service;
}

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

const count = (s: DiscoverySnapshot, app: string) => s.instances.filter((i) => i.appName === app).length;
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("discovery service", () => {
  it("publishes a new snapshot only when the instances change", async () => {
    const { cc, web } = landscape();
    const service = serviceFor(cc);
    const metrics = recorder(service);
    const published: DiscoverySnapshot[] = [];
    service.onSnapshot((s) => published.push(s));
    const first = await service.refresh();
    expect(service.ready()).toBe(true);
    expect(service.current()).toBe(first);
    expect(await service.refresh()).toBe(first);
    cc.scale(web, 4);
    await service.invalidate({ process: true });
    const second = service.current();
    expect(second).not.toBe(first);
    expect(count(second!, "web")).toBe(4);
    expect(published).toEqual([first, second]);
    expect(metrics.seen).toHaveLength(3);
    expect(service.refreshStats()).toEqual({ runs: 3, failures: 0 });
    expect(metrics.seen[2]).toBe(second!.instances);
  });

  it("invalidate flushes exactly the named caches, and the next snapshot reflects CF", async () => {
    const { cc, web, api } = landscape();
    const service = serviceFor(cc);
    await service.refresh();
    const before = cc.calls.length;
    cc.scale(web, 1);
    cc.setState(api, "STOPPED");
    await service.invalidate({ process: true });
    expect(cc.calls.slice(before).map((c) => c.method)).toEqual(["listWebProcesses"]);
    expect(count(service.current()!, "web")).toBe(1);
    expect(count(service.current()!, "api")).toBe(1); // still selected: application and resolver were kept
    await service.invalidate({ application: true, resolver: true });
    expect(count(service.current()!, "api")).toBe(0);
    expect(service.cacheStats().find((c) => c.cache === "org")?.entries).toBe(1);
  });

  it("re-resolves stale layers in the background and shows changes on a later refresh", async () => {
    const { cc, web } = landscape();
    const clock = manualClock();
    const service = serviceFor(cc, { clock, cache: { timeout: 60, expiry: 600 } });
    await service.refresh();
    cc.scale(web, 5);
    clock.advance(30_000);
    expect(count(await service.refresh(), "web")).toBe(2); // fresh: CF not asked
    const callsBefore = cc.count("listWebProcesses");
    clock.advance(31_000);
    expect(count(await service.refresh(), "web")).toBe(2); // stale: old value served, reload started
    await flush();
    expect(cc.count("listWebProcesses")).toBe(callsBefore + 1);
    expect(count(await service.refresh(), "web")).toBe(5);
  });

  it("drops a stopped app once the application and resolver entries have been reloaded", async () => {
    const { cc, api } = landscape();
    const clock = manualClock();
    const service = serviceFor(cc, { clock, cache: { timeout: 60, expiry: 600, resolver: 60 } });
    await service.refresh();
    cc.setState(api, "STOPPED");
    clock.advance(61_000);
    expect(count(await service.refresh(), "api")).toBe(1); // resolver stale: old selection served
    await flush();
    expect(count(await service.refresh(), "api")).toBe(0);
  });

  it("keeps a failing target's previous instances while the other targets move on", async () => {
    const { cc, space } = landscape();
    const otherSpace = cc.space(cc.org("other"), "prod");
    const other = cc.app(otherSpace, "other-app", { instances: 1 });
    const service = serviceFor(cc, { targets: [{ orgName: "acme" }, { orgName: "other" }] });
    await service.refresh();
    cc.app(space, "brand-new");
    cc.scale(other, 2);
    cc.failure = new Error("processes unavailable");
    cc.failOnly.add("listWebProcesses");
    await service.invalidate({ application: true, resolver: true });
    const s = service.current()!;
    // acme needs the new app's processes (not cached, load fails): keeps what it had, including web's 2
    expect(s.instances.filter((i) => i.targetIndex === 0).map((i) => i.appName)).toEqual([
      "api",
      "web",
      "web",
    ]);
    expect(count(s, "web")).toBe(2);
    expect(s.targets[0].problem).toContain("processes unavailable");
    // other's processes are cached, so it still resolves (its scale change shows after the process timeout)
    expect(s.targets[1]).toMatchObject({ instances: 1 });
    expect(s.targets[1].problem).toBeUndefined();
  });

  it("keeps the targets that resolve when another one fails", async () => {
    const { cc } = landscape();
    const service = serviceFor(cc, { targets: [{ orgName: "acme" }, { orgName: "later" }] });
    const first = await service.refresh();
    expect(first.targets[1].problem).toBe("organization later not found");
    cc.app(cc.space(cc.org("later"), "s"), "new-app");
    cc.failure = new Error("spaces unavailable");
    cc.failOnly.add("listSpaces");
    await service.invalidate({ org: true, resolver: true });
    const s = service.current()!;
    expect(s.instances.map((i) => i.appName)).toEqual(["api", "web", "web"]);
    expect(s.targets[1]).toMatchObject({
      instances: 0,
      problem: expect.stringContaining("spaces unavailable"),
    });
    expect(service.lastRefresh()).toMatchObject({
      ok: false,
      error: expect.stringContaining("spaces unavailable"),
    });
  });

  it("keeps the last landscape through a CF outage and warns once per failed refresh streak", async () => {
    const { cc } = landscape();
    const capture = captureLogger();
    const service = serviceFor(cc, { logger: capture.logger });
    const known = await service.refresh();
    const lastOkAt = service.lastRefresh()?.lastOkAt;
    expect(lastOkAt).toBe(service.lastRefresh()?.at);
    cc.failure = new Error("503 Service Unavailable");
    await service.invalidate({
      org: true,
      space: true,
      application: true,
      route: true,
      process: true,
      domain: true,
      resolver: true,
    });
    expect(service.current()?.instances).toBe(known.instances);
    await service.refresh();
    // the same instances; the target's report says why they are the previous ones
    expect(service.current()?.instances).toBe(known.instances);
    expect(service.current()?.targets[0]).toMatchObject({
      kind: "cc-error",
      problem: expect.stringContaining("503"),
    });
    expect(service.lastRefresh()).toMatchObject({
      ok: false,
      error: expect.stringContaining("503"),
      lastOkAt,
    });
    const warnings = capture.lines().filter((l) => l.msg.includes("keeping the previous landscape"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].cause).toContain("503 Service Unavailable");

    cc.failure = undefined;
    await service.refresh();
    expect(service.lastRefresh()?.ok).toBe(true);
    expect(service.current()?.instances).toHaveLength(3);
  });

  it("is not ready until a first refresh succeeds, and refresh rejects meanwhile", async () => {
    const { cc } = landscape();
    cc.failure = new Error("connection refused");
    const service = serviceFor(cc);
    await expect(service.refresh()).rejects.toThrow(/connection refused/);
    expect(service.ready()).toBe(false);
    expect(service.current()).toBeUndefined();
    let ready = false;
    void service.whenReady().then(() => {
      ready = true;
    });
    cc.failure = undefined;
    await service.refresh();
    await flush();
    expect(ready).toBe(true);
  });

  it("runs refreshes one at a time and lets waiting callers share the next one", async () => {
    const { cc } = landscape();
    const service = serviceFor(cc);
    const release = cc.hold();
    const a = service.refresh();
    const b = service.refresh();
    const c = service.refresh();
    await flush();
    expect(cc.calls).toHaveLength(1); // only the first refresh has started
    release();
    const [sa, sb, sc] = await Promise.all([a, b, c]);
    expect(sb).toBe(sc);
    expect(sa.instances).toHaveLength(3);
  });

  it("reports and logs an empty target once, and again after the resolver timeout", async () => {
    const { cc } = landscape();
    const clock = manualClock();
    const capture = captureLogger();
    const service = serviceFor(cc, {
      clock,
      logger: capture.logger,
      targets: [{ orgName: "acme" }, { orgName: "acme", applicationName: "ghost" }],
      cache: { timeout: 100, expiry: 1000, resolver: 100 },
    });
    const empties = () => capture.lines().filter((l) => l.msg.includes("matches no app instance"));
    const s = await service.refresh();
    expect(s.targets[1]).toMatchObject({ instances: 0, problem: "application ghost not found in acme/dev" });
    expect(s.targets[0]).toMatchObject({ instances: 3, description: "org=acme space=* app=*" });
    expect(s.targets[0].problem).toBeUndefined();
    await service.refresh();
    expect(empties()).toHaveLength(1);
    expect(empties()[0]).toMatchObject({ target: 1, reason: "application ghost not found in acme/dev" });
    clock.advance(100_000);
    await service.refresh();
    expect(empties()).toHaveLength(2);
  });

  it("reports an invalid regex as the target's problem without hurting other targets", async () => {
    const { cc } = landscape();
    const service = serviceFor(cc, { targets: [{ applicationRegex: "(" }, { applicationName: "api" }] });
    const s = await service.refresh();
    expect(s.targets[0].problem).toMatch(/invalid regular expression/);
    expect(s.instances.map((i) => i.appName)).toEqual(["api"]);
  });

  it("refreshes in a background loop until stopped", async () => {
    const { cc, web } = landscape();
    const service = serviceFor(cc, { tickMs: 20, cache: { timeout: 0 } });
    service.start();
    await service.whenReady();
    const changed = new Promise<DiscoverySnapshot>((resolve) =>
      service.onSnapshot((s) => {
        if (count(s, "web") === 3) resolve(s);
      }),
    );
    cc.scale(web, 3);
    expect(count(await changed, "web")).toBe(3);
    await service.stop();
    const calls = cc.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(cc.calls.length).toBe(calls);
  });

  it("reports statistics for every cache", async () => {
    const { cc } = landscape();
    const clock = manualClock();
    const service = serviceFor(cc, { clock });
    await service.refresh();
    clock.advance(2500);
    const stats = service.cacheStats();
    expect(stats.map((s) => s.cache)).toEqual([
      "org",
      "space",
      "application",
      "domain",
      "route",
      "process",
      "resolver",
    ]);
    expect(stats.find((s) => s.cache === "process")).toMatchObject({
      entries: 2,
      oldestAgeSeconds: 2.5,
      loads: 1,
    });
    expect(stats.find((s) => s.cache === "resolver")).toMatchObject({
      entries: 1,
      loads: 1,
      loadFailures: 0,
    });
  });
});
