import { describe, expect, it } from "vitest";
import type { CfDomain, CfProcess, CfRoute } from "../../src/cf/types.js";
import { APPS_PER_TURN } from "../../src/discovery/instance-builder.js";
import type { CacheReader, ManyResult } from "../../src/discovery/refresh-ahead-cache.js";
import { type RefreshCaches, refreshOnce } from "../../src/discovery/refresh-step.js";
import type { TargetResolution } from "../../src/discovery/target-resolver.js";
import type { DiscoverySnapshot } from "../../src/discovery/types.js";
import { countLoopTurns } from "../support/loop-turns.js";
import { target } from "./config.js";

/** A cache reader over a plain map; a key mapped to an Error fails like a failed load. */
function reader<V>(entries: Record<string, V | Error>): CacheReader<V> {
  return {
    async getMany(keys: Iterable<string>): Promise<ManyResult<V>> {
      const values = new Map<string, V>();
      const errors = new Map<string, Error>();
      for (const key of keys) {
        const entry = entries[key];
        if (entry instanceof Error) errors.set(key, entry);
        else if (entry !== undefined) values.set(key, entry);
      }
      return { values, errors };
    },
  };
}

const domain: CfDomain = { guid: "d1", name: "apps.example.test", internal: false };

/** Two targets: target 0 selects app "a" (2 instances), target 1 app "b" (1 instance). */
function caches(resolver: Record<string, TargetResolution | Error>): RefreshCaches {
  const app = (name: string, instances: number) => ({
    process: [{ guid: `p-${name}`, appGuid: name, type: "web", instances }] satisfies CfProcess[],
    route: [
      {
        guid: `r-${name}`,
        url: `${name}.apps.example.test`,
        domainGuid: "d1",
        appGuids: [name],
        protocol: "http",
        destinations: [{ appGuid: name, processType: "web", port: 8080 }],
      },
    ] satisfies CfRoute[],
  });
  const a = app("a", 2);
  const b = app("b", 1);
  return {
    resolver: reader(resolver),
    process: reader({ "s/a": a.process, "s/b": b.process }),
    route: reader({ "s/a": a.route, "s/b": b.route }),
    domain: reader<ReadonlyMap<string, CfDomain>>({ "*": new Map([["d1", domain]]) }),
  };
}

const resolution = (targetIndex: number, appName: string): TargetResolution => ({
  apps: [
    {
      targetIndex,
      orgName: "o",
      spaceName: "s",
      spaceGuid: "s",
      appGuid: appName,
      appName,
      path: "/metrics",
    },
  ],
});

const targets = [
  target({ orgName: "o", applicationName: "a" }),
  target({ orgName: "o", applicationName: "b" }),
];
const input = (
  previous: DiscoverySnapshot | undefined,
  resolver: Record<string, TargetResolution | Error>,
) => ({
  previous,
  targets,
  routePatterns: [[], []],
  defaultInternalRoutePort: 8080,
  foundation: "default",
  caches: caches(resolver),
  at: 1000,
});
const ids = (s: DiscoverySnapshot | undefined) => s?.instances.map((i) => i.instanceId);

describe("one refresh step", () => {
  it("builds a snapshot with one report per target", async () => {
    const result = await refreshOnce(input(undefined, { "0": resolution(0, "a"), "1": resolution(1, "b") }));
    expect(result.changed).toBe(true);
    expect(result.failed).toBe(false);
    expect(ids(result.snapshot)).toEqual(["a:0", "a:1", "b:0"]);
    expect(result.snapshot?.refreshedAt).toBe(1000);
    expect(result.reports.map((r) => r.instances)).toEqual([2, 1]);
  });

  it("counts an instance that two targets select only under the first, which serves it", async () => {
    // Both targets select app "a": target 0 serves its two instances.
    const result = await refreshOnce(input(undefined, { "0": resolution(0, "a"), "1": resolution(1, "a") }));
    expect(ids(result.snapshot)).toEqual(["a:0", "a:1"]);
    expect(result.reports.map((r) => r.instances)).toEqual([2, 0]);
    expect(result.reports[0].problem).toBeUndefined();
    expect(result.reports[1]).toMatchObject({
      kind: "selected-by-earlier-target",
      problem: "each of its 2 instances is also selected by an earlier target (#0), which serves them",
    });
  });

  it("returns the previous snapshot itself when nothing changed", async () => {
    const all = { "0": resolution(0, "a"), "1": resolution(1, "b") };
    const first = await refreshOnce(input(undefined, all));
    const second = await refreshOnce({ ...input(first.snapshot, all), at: 2000 });
    expect(second.changed).toBe(false);
    expect(second.snapshot).toBe(first.snapshot);
  });

  it("hands over the previous snapshot's objects for the instances that did not change", async () => {
    const all = { "0": resolution(0, "a"), "1": resolution(1, "b") };
    const first = await refreshOnce(input(undefined, all));
    // b scaled from 1 to 2 instances, and a renamed: a new snapshot
    const renamedA = { apps: [{ ...resolution(0, "a").apps[0], appName: "a2" }] };
    const scaled = input(first.snapshot, { ...all, "0": renamedA });
    const b = await scaled.caches.process.getMany(["s/b"]);
    scaled.caches.process = reader({
      ...Object.fromEntries((await scaled.caches.process.getMany(["s/a"])).values),
      "s/b": (b.values.get("s/b") ?? []).map((p) => ({ ...p, instances: 2 })),
    });
    const second = await refreshOnce(scaled);

    expect(second.changed).toBe(true);
    const before = new Map(first.snapshot?.instances.map((i) => [i.instanceId, i]));
    const after = new Map(second.snapshot?.instances.map((i) => [i.instanceId, i]));
    expect([...after.keys()]).toEqual(["a:0", "a:1", "b:0", "b:1"]);
    expect(after.get("b:0")).toBe(before.get("b:0"));
    expect(after.get("b:1")).toMatchObject({ appName: "b", index: 1 });
    for (const id of ["a:0", "a:1"]) {
      expect(after.get(id)).not.toBe(before.get(id));
      expect(after.get(id)).toMatchObject({ appName: "a2" });
    }
    // and an unchanged refresh after that: the same snapshot again
    const third = await refreshOnce({ ...scaled, previous: second.snapshot });
    expect(third.changed).toBe(false);
    expect(third.snapshot).toBe(second.snapshot);
  });

  it("keeps the last good instances of a target whose Cloud Controller data failed", async () => {
    const first = await refreshOnce(input(undefined, { "0": resolution(0, "a"), "1": resolution(1, "b") }));
    const next = await refreshOnce(
      input(first.snapshot, { "0": resolution(0, "a"), "1": new Error("CC 503") }),
    );
    expect(next.failed).toBe(false);
    expect(ids(next.snapshot)).toEqual(["a:0", "a:1", "b:0"]);
    expect(next.errors.get(1)?.message).toBe("CC 503");
    expect(next.reports[1]).toMatchObject({ instances: 1, problem: "CC 503" });
  });

  it("keeps the whole previous snapshot when every target failed, and has none on a first failure", async () => {
    const failing = { "0": new Error("CC down"), "1": new Error("CC down") };
    const nothing = await refreshOnce(input(undefined, failing));
    expect(nothing).toMatchObject({ failed: true, changed: false, snapshot: undefined });

    const first = await refreshOnce(input(undefined, { "0": resolution(0, "a"), "1": resolution(1, "b") }));
    const kept = await refreshOnce(input(first.snapshot, failing));
    expect(kept.failed).toBe(true);
    // the instances stay, each target's report says why it failed
    expect(kept.snapshot?.instances).toBe(first.snapshot?.instances);
    expect(kept.snapshot?.targets.map((t) => [t.instances, t.kind, t.problem])).toEqual([
      [2, "cc-error", "CC down"],
      [1, "cc-error", "CC down"],
    ]);
    // the same failure again changes nothing
    const again = await refreshOnce(input(kept.snapshot, failing));
    expect(again).toMatchObject({ failed: true, changed: false });
    expect(again.snapshot).toBe(kept.snapshot);
  });

  it("treats a refresh that throws as a failure of every target", async () => {
    const broken: RefreshCaches = {
      ...caches({}),
      resolver: {
        getMany: async () => {
          throw new Error("resolver broke");
        },
      },
    };
    const result = await refreshOnce({ ...input(undefined, {}), caches: broken });
    expect(result.failed).toBe(true);
    expect([...result.errors.values()].map((e) => e.message)).toEqual(["resolver broke"]);
  });

  it("reads the process and the route layer in separate turns of the event loop", async () => {
    const loop = countLoopTurns();
    const base = caches({ "0": resolution(0, "a"), "1": resolution(1, "b") });
    const readAt: Record<string, number> = {};
    const counted = <V>(name: string, cache: CacheReader<V>): CacheReader<V> => ({
      getMany: (keys) => {
        readAt[name] = loop.turns;
        return cache.getMany(keys);
      },
    });
    const result = await refreshOnce({
      ...input(undefined, {}),
      caches: { ...base, process: counted("process", base.process), route: counted("route", base.route) },
    });
    loop.stop();
    expect(ids(result.snapshot)).toEqual(["a:0", "a:1", "b:0"]);
    expect(readAt.route).toBeGreaterThan(readAt.process);
  });

  it("gives the event loop turns while it turns hundreds of apps into instances", async () => {
    const count = 3 * APPS_PER_TURN;
    const names = Array.from({ length: count }, (_, i) => `app${i}`);
    const many = caches({});
    const base = caches({ "0": resolution(0, "a") });
    const a = await base.process.getMany(["s/a"]);
    const r = await base.route.getMany(["s/a"]);
    const perApp = (name: string) => ({
      process: (a.values.get("s/a") ?? []).map((p) => ({ ...p, appGuid: name })),
      route: (r.values.get("s/a") ?? []).map((route) => ({
        ...route,
        url: `${name}.apps.example.test`,
        appGuids: [name],
        destinations: route.destinations.map((d) => ({ ...d, appGuid: name })),
      })),
    });
    const resolved: TargetResolution = {
      apps: names.map((name) => ({ ...resolution(0, name).apps[0] })),
    };
    const big: RefreshCaches = {
      ...many,
      resolver: reader({ "0": resolved }),
      process: reader(Object.fromEntries(names.map((n) => [`s/${n}`, perApp(n).process]))),
      route: reader(Object.fromEntries(names.map((n) => [`s/${n}`, perApp(n).route]))),
    };
    const loop = countLoopTurns();
    const result = await refreshOnce({
      ...input(undefined, {}),
      targets: [targets[0]],
      routePatterns: [[]],
      caches: big,
    });
    loop.stop();
    expect(result.snapshot?.instances).toHaveLength(2 * count);
    expect(loop.turns).toBeGreaterThanOrEqual(2);
  });
});
