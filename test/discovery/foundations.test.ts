import { afterEach, describe, expect, it } from "vitest";
import type { Config, FoundationConfig } from "../../src/config/types.js";
import { composeFoundations, type FoundationsDiscovery } from "../../src/discovery/foundations.js";
import { describeTarget } from "../../src/discovery/matching.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoverySnapshot } from "../../src/discovery/types.js";
import { foundationView, isUsedFoundation } from "../../src/foundation-discovery.js";
import { silentLogger } from "../../src/log.js";
import { captureLogger, testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

/** No background runs during a test: each refresh is started by the test itself (start() runs the first). */
const NEVER_MS = 3_600_000;
const running: FoundationsDiscovery[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
});

function foundationCc(org: string, app: string, instances: number) {
  const cc = new FakeCloudController();
  cc.domain("apps.example.com");
  const space = cc.space(cc.org(org), "dev");
  const appGuid = cc.app(space, app, { instances, routes: [`${app}-${org}.apps.example.com`] });
  return { cc, appGuid };
}

/** Two foundations: "default" (org eu, app a, 2 instances) and "us" (org us, app b, 1 instance); target 1 is us's. */
function twoFoundations(extraTargets: Parameters<typeof testConfig>[0] = []) {
  const base = testConfig([{ orgName: "eu" }, { orgName: "us", foundation: "us" }, ...extraTargets]);
  const foundation = (name: string): FoundationConfig => ({
    name,
    cf: base.cf,
    defaultInternalRoutePort: 8080,
  });
  const config: Config = { ...base, foundations: [foundation("default"), foundation("us")] };
  const eu = foundationCc("eu", "a", 2);
  const us = foundationCc("us", "b", 1);
  return { config, eu, us, ccs: [eu.cc, us.cc] };
}

/** The wiring of createFoundationDiscovery, with fake Cloud Controllers instead of clients. */
function compose(config: Config, ccs: FakeCloudController[], logger = silentLogger, readyGraceMs?: number) {
  let composition: FoundationsDiscovery | undefined;
  const parts = config.foundations.map((foundation, index) => {
    const view = foundationView(config, foundation);
    return {
      name: foundation.name,
      apiUrl: `https://api.${foundation.name}.example.com`,
      targetIndices: view.targetIndices,
      targetDescriptions: view.config.promregator.targets.map(describeTarget),
      service: isUsedFoundation(config, foundation)
        ? createDiscoveryService({
            config: view.config,
            cf: ccs[index],
            logger,
            tickMs: NEVER_MS,
            foundation: foundation.name,
            onRefreshed: () => composition?.refreshed(index),
          })
        : undefined,
    };
  });
  composition = composeFoundations(parts, logger, { readyGraceMs });
  running.push(composition);
  return { discovery: composition, parts };
}

function nextSnapshot(discovery: FoundationsDiscovery): Promise<DiscoverySnapshot> {
  return new Promise((resolve) => {
    const stop = discovery.onSnapshot((snapshot) => {
      stop();
      resolve(snapshot);
    });
  });
}

const summary = (s: DiscoverySnapshot | undefined) =>
  s?.instances.map((i) => `${i.foundation}/${i.appName}:${i.index}@${i.targetIndex}`);

describe("several foundations", () => {
  it("publishes one foundation's instances while another's first refresh hangs, and is ready once both ended", async () => {
    const { config, ccs, us } = twoFoundations();
    const releaseUs = us.cc.hold();
    const { discovery } = compose(config, ccs);
    const first = nextSnapshot(discovery);
    discovery.start();
    expect(summary(await first)).toEqual(["default/a:0@0", "default/a:1@0"]);
    expect(discovery.ready()).toBe(false);
    expect(discovery.current()?.targets.map((t) => [t.targetIndex, t.problem])).toEqual([
      [0, undefined],
      [1, "foundation us has not completed its first discovery"],
    ]);
    releaseUs();
    await discovery.whenReady();
    expect(summary(discovery.current())).toEqual(["default/a:0@0", "default/a:1@0", "us/b:0@1"]);
    expect(discovery.current()?.byInstanceId.get(`${us.appGuid}:0`)?.foundation).toBe("us");
  });

  it("is ready after the grace with one foundation's snapshot while another's first refresh still hangs", async () => {
    const { config, ccs, us } = twoFoundations();
    const releaseUs = us.cc.hold();
    const { logger, lines } = captureLogger();
    // A grace the other foundation's first discovery surely ends within, also on a busy machine.
    const { discovery, parts } = compose(config, ccs, logger, 500);
    discovery.start();
    await discovery.whenReady();
    expect(discovery.ready()).toBe(true);
    expect(parts[1].service?.lastRefresh()).toBeUndefined();
    expect(summary(discovery.current())).toEqual(["default/a:0@0", "default/a:1@0"]);
    expect(lines().filter((l) => l.msg.startsWith("ready before the first discovery"))).toEqual([
      expect.objectContaining({ foundations: ["us"], graceMs: 500 }),
    ]);
    releaseUs();
  });

  it("is not ready after the grace while no foundation has a snapshot", async () => {
    const { config, ccs, eu, us } = twoFoundations();
    const releaseEu = eu.cc.hold();
    const releaseUs = us.cc.hold();
    const { discovery } = compose(config, ccs, silentLogger, 0);
    discovery.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(discovery.ready()).toBe(false);
    releaseEu();
    await discovery.whenReady();
    expect(summary(discovery.current())).toEqual(["default/a:0@0", "default/a:1@0"]);
    releaseUs();
  });

  it("keeps a failing foundation's last instances and still publishes the other's changes", async () => {
    const { config, ccs, eu, us } = twoFoundations();
    const { discovery } = compose(config, ccs);
    discovery.start();
    await discovery.whenReady();
    us.cc.failure = new Error("503 CF-ServiceUnavailable");
    eu.cc.scale(eu.appGuid, 3);
    await discovery.invalidate({ process: true });
    expect(summary(discovery.current())).toEqual([
      "default/a:0@0",
      "default/a:1@0",
      "default/a:2@0",
      "us/b:0@1",
    ]);
    const health = discovery.foundations();
    expect(health.map((f) => [f.name, f.lastRefresh?.ok, f.instances, f.targets])).toEqual([
      ["default", true, 3, 1],
      ["us", false, 1, 1],
    ]);
    expect(health[1].lastRefresh?.error).toContain("503 CF-ServiceUnavailable");
    const overall = discovery.lastRefresh();
    expect(overall?.ok).toBe(false);
    expect(overall?.error).toMatch(/^foundation us: .*503 CF-ServiceUnavailable/);
  });

  it("tells refresh subscribers the merged snapshot after every foundation's refresh, changed or not", async () => {
    const { config, ccs, us } = twoFoundations();
    const { discovery } = compose(config, ccs);
    const seen: (string[] | undefined)[] = [];
    discovery.onRefresh((snapshot) => seen.push(summary(snapshot)));
    discovery.start();
    await discovery.whenReady();
    seen.length = 0;
    us.cc.failure = new Error("503 CF-ServiceUnavailable");
    await discovery.refresh();
    // One notice per foundation, each with all instances: the failing one's kept, the other's unchanged.
    const all = ["default/a:0@0", "default/a:1@0", "us/b:0@1"];
    expect(seen).toEqual([all, all]);
  });

  it("is ready with the other foundations when one is down from the start, and says why its targets are empty", async () => {
    const { config, ccs, us } = twoFoundations();
    us.cc.failure = new Error("connect ECONNREFUSED");
    const { discovery } = compose(config, ccs);
    discovery.start();
    await discovery.whenReady();
    expect(discovery.ready()).toBe(true);
    expect(summary(discovery.current())).toEqual(["default/a:0@0", "default/a:1@0"]);
    const report = discovery.current()?.targets[1];
    expect(report?.problem).toMatch(/^foundation us could not be read: .*ECONNREFUSED/);
    expect(report?.kind).toBe("cc-error");
    expect(discovery.foundations()[1].lastRefresh?.ok).toBe(false);
  });

  it("counts a foundation that no target names neither as a landscape nor as healthy, and never asks it", async () => {
    const { config: both, ccs, eu, us } = twoFoundations();
    // Only target 1 (foundation us) is left: "default" (the `cf:` block) is named by no target.
    const config: Config = {
      ...both,
      promregator: { ...both.promregator, targets: both.promregator.targets.slice(1) },
    };
    us.cc.failure = new Error("connect ECONNREFUSED");
    eu.cc.failure = new Error("the unused foundation must not be asked");
    const { discovery } = compose(config, ccs, silentLogger, 0);
    discovery.start();
    await expect(discovery.refresh()).rejects.toThrow(/ECONNREFUSED/);
    await new Promise((r) => setTimeout(r, 20)); // past the readiness grace
    expect(discovery.ready()).toBe(false);
    expect(discovery.current()).toBeUndefined();
    expect(discovery.lastRefresh()).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^foundation us: /),
    });
    expect(discovery.foundations().map((f) => [f.name, f.unused ?? false, f.lastRefresh?.ok])).toEqual([
      ["default", true, undefined],
      ["us", false, false],
    ]);
    expect(eu.cc.count()).toBe(0);

    us.cc.failure = undefined;
    await discovery.refresh();
    expect(discovery.ready()).toBe(true);
    expect(summary(discovery.current())).toEqual(["us/b:0@0"]);
    expect(discovery.lastRefresh()?.ok).toBe(true);
    expect(eu.cc.count()).toBe(0);
  });

  it("is not ready while every foundation fails, and rejects a refresh then", async () => {
    const { config, ccs, eu, us } = twoFoundations();
    eu.cc.failure = new Error("down");
    us.cc.failure = new Error("down");
    const { discovery } = compose(config, ccs);
    await expect(discovery.refresh()).rejects.toThrow(/down/);
    expect(discovery.ready()).toBe(false);
    expect(discovery.current()).toBeUndefined();
  });

  it("sums each cache over the foundations that have it, the binding caches only where a target uses them", () => {
    const { config, ccs } = twoFoundations([
      { orgName: "us", foundation: "us", serviceInstanceName: "metrics" },
    ]);
    const { discovery } = compose(config, ccs);
    const names = discovery.cacheStats().map((c) => c.cache);
    expect(names).toEqual([
      "org",
      "space",
      "application",
      "domain",
      "route",
      "process",
      "resolver",
      "serviceBinding",
      "bindingDetails",
    ]);
  });

  it("numbers each foundation's instances and reports by promregator.targets", async () => {
    // Targets: 0 eu (default), 1 us, 2 eu again (an app that only the third target selects).
    const { config, ccs, eu } = twoFoundations([{ orgName: "eu", applicationName: "c" }]);
    eu.cc.app(eu.cc.spaces[0].guid, "c", { instances: 1 });
    const { discovery, parts } = compose(config, ccs);
    expect(parts.map((p) => p.targetIndices)).toEqual([[0, 2], [1]]);
    await discovery.refresh();
    expect(discovery.current()?.targets.map((t) => t.targetIndex)).toEqual([0, 1, 2]);
    expect(discovery.current()?.targets.map((t) => t.description)).toEqual([
      "foundation=default org=eu space=* app=*",
      "foundation=us org=us space=* app=*",
      "foundation=default org=eu space=* app=c",
    ]);
  });

  it("keeps the renumbered objects of a foundation's instances that a refresh left unchanged", async () => {
    const { config, ccs, us } = twoFoundations();
    const { discovery } = compose(config, ccs);
    await discovery.refresh();
    const before = discovery.current()?.instances.find((i) => i.foundation === "us");
    us.cc.scale(us.appGuid, 2);
    await discovery.invalidate({ process: true });
    const after = discovery.current()?.instances.filter((i) => i.foundation === "us");
    expect(after?.map((i) => `${i.index}@${i.targetIndex}`)).toEqual(["0@1", "1@1"]);
    expect(after?.[0]).toBe(before);
  });

  it("replaces the renumbered object of an instance its foundation's refresh changed", async () => {
    const { config, ccs, us } = twoFoundations();
    const { discovery } = compose(config, ccs);
    await discovery.refresh();
    const before = discovery.current()?.instances.find((i) => i.foundation === "us");
    const app = us.cc.apps.find((a) => a.guid === us.appGuid);
    if (!app) throw new Error("landscape");
    app.name = "renamed";
    await discovery.invalidate({ application: true, resolver: true });
    const after = discovery.current()?.instances.find((i) => i.foundation === "us");
    expect(after).not.toBe(before);
    expect(after).toMatchObject({ appName: "renamed", targetIndex: 1, foundation: "us" });
    expect(discovery.current()?.byInstanceId.get(after?.instanceId ?? "")).toBe(after);
  });

  it("serves an app guid found in two foundations from the first one, with one warning", async () => {
    const { config, ccs, eu, us } = twoFoundations();
    // Copied Cloud Controller databases are the only way to this: the same guid on both sides.
    us.cc.apps[0].guid = eu.appGuid;
    for (const p of us.cc.processes) p.appGuid = eu.appGuid;
    for (const r of us.cc.routes) {
      r.appGuids = [eu.appGuid];
      for (const d of r.destinations) d.appGuid = eu.appGuid;
    }
    const { logger, lines } = captureLogger();
    const { discovery } = compose(config, ccs, logger);
    await discovery.refresh();
    await discovery.refresh();
    expect(summary(discovery.current())).toEqual(["default/a:0@0", "default/a:1@0"]);
    const warnings = lines().filter((l) => l.msg.includes("two foundations"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ kept: "default", dropped: "us" });
  });
});

describe("one foundation", () => {
  it("publishes the service's own snapshot objects and is ready with it", async () => {
    const base = testConfig([{ orgName: "eu" }]);
    const { cc } = foundationCc("eu", "a", 2);
    const { discovery, parts } = compose(base, [cc]);
    expect(base.foundations).toHaveLength(1);
    const published = nextSnapshot(discovery);
    discovery.start();
    const snapshot = await published;
    expect(snapshot).toBe(parts[0].service?.current());
    await discovery.whenReady();
    expect(discovery.ready()).toBe(true);
    expect(discovery.lastRefresh()).toBe(parts[0].service?.lastRefresh());
    expect(summary(snapshot)).toEqual(["default/a:0@0", "default/a:1@0"]);
  });
});
