import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CloudControllerClient, createCloudControllerClient } from "../../src/cf/index.js";
import type { TargetConfig } from "../../src/config/types.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoveryService } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { generateLandscape, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { simulatorCf, testConfig } from "./config.js";

/** 4 orgs x 25 spaces x 100 apps = 10,000 apps in 100 spaces. */
const landscape = generateLandscape({ orgs: 4, spacesPerOrg: 25, appsPerSpace: 100, instances: 2 });

let sim: RunningSimulator;
let client: CloudControllerClient | undefined;
let service: DiscoveryService | undefined;

beforeAll(async () => {
  sim = await startSimulator({ landscape });
});

afterAll(async () => {
  await sim?.close();
});

afterEach(async () => {
  await service?.stop();
  await client?.close();
  service = undefined;
  client = undefined;
  sim.admin.reset();
});

function discoveryFor(targets: Partial<TargetConfig>[]): DiscoveryService {
  const config = testConfig(targets);
  config.cf = simulatorCf(config.cf, sim.apiUrl, { backoff: 5 });
  client = createCloudControllerClient({ config: config.cf, logger: silentLogger, ca: sim.caPem });
  service = createDiscoveryService({ config, cf: client, logger: silentLogger });
  return service;
}

describe("discovery against the simulator", () => {
  it("resolves 10,000 apps in 100 spaces with about a hundred Cloud Controller requests", async () => {
    const discovery = discoveryFor([{}]);
    const snapshot = await discovery.refresh();
    expect(snapshot.instances).toHaveLength(20_000);
    expect(new Set(snapshot.instances.map((i) => i.appGuid)).size).toBe(10_000);
    const first = snapshot.instances[0];
    expect(first).toMatchObject({
      orgName: "org-1",
      spaceName: "space-1-1",
      index: 0,
      sendInstanceHeader: true,
    });
    expect(first.url).toBe(`https://${first.appName}.apps.example.org/metrics`);
    const { ccRequests } = sim.admin.counters();
    expect(ccRequests).toBeGreaterThan(0);
    // Apps and processes in 10 pages of 1,000 each; routes are asked for by app guid (100 per request): a
    // route can lead to apps of other spaces. With the root, orgs, spaces and domains: 123.
    expect(ccRequests).toBeLessThanOrEqual(125);

    // A second pass within the cache timeouts does not ask the Cloud Controller at all.
    sim.admin.resetCounters();
    expect(await discovery.refresh()).toBe(snapshot);
    expect(sim.admin.counters().ccRequests).toBe(0);
  });

  it("shows a scaled and a stopped app after invalidation", async () => {
    const discovery = discoveryFor([{ orgName: "org-2", spaceRegex: "space-2-(1|2)" }]);
    const before = await discovery.refresh();
    expect(before.instances).toHaveLength(400);
    const scaled = sim.admin.findApp("app-2-1-7")!;
    const stopped = sim.admin.findApp("app-2-2-9")!;
    const countOf = (guid: string) => discovery.current()!.instances.filter((i) => i.appGuid === guid).length;

    sim.admin.scaleApp(scaled.guid, 5);
    await discovery.invalidate({ process: true });
    expect(countOf(scaled.guid)).toBe(5);

    sim.admin.setAppState(stopped.guid, "STOPPED");
    // application=true alone: the targets are resolved anew from the new app list
    await discovery.invalidate({ application: true });
    expect(countOf(stopped.guid)).toBe(0);
    expect(discovery.current()!.instances).toHaveLength(400 + 3 - 2);
  });

  it("keeps the last landscape while the Cloud Controller fails", async () => {
    const discovery = discoveryFor([{ orgName: "org-3", spaceName: "space-3-4" }]);
    const known = await discovery.refresh();
    expect(known.instances).toHaveLength(200);
    sim.admin.injectFailures({ count: 1000, status: 503 });
    await discovery.invalidate({
      org: true,
      space: true,
      application: true,
      process: true,
      route: true,
      resolver: true,
    });
    expect(discovery.current()?.instances).toBe(known.instances);
    expect(discovery.current()?.targets.every((t) => t.kind === "cc-error")).toBe(true);
    expect(discovery.lastRefresh()).toMatchObject({ ok: false });
    expect(discovery.lastRefresh()?.error).toMatch(/503|unavailable/i);

    sim.admin.reset();
    await discovery.refresh();
    expect(discovery.lastRefresh()?.ok).toBe(true);
    expect(discovery.current()?.instances).toHaveLength(200);
  });
});
