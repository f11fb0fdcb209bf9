import { afterEach, describe, expect, it } from "vitest";
import { type CloudControllerClient, createCloudControllerClient } from "../../src/cf/index.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoveryService } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { type LandscapeSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { simulatorCf, testConfig } from "./config.js";

/**
 * One org's spaces, or one space's apps, failing to load leaves out only that org or space of a broad target
 * (issue "one failing key fails only itself", at every layer): the rest of the target is discovered, also on
 * the first start, and what the target had in the failing scope is kept.
 */

const BETA = "0b0b0b0b-0000-4000-8000-000000000002";
const BETA_DEV = "0b0b0b0b-0000-4000-8000-0000000000d2";

const landscape: LandscapeSpec = {
  domains: [{ name: "apps.example.com" }],
  orgs: [
    { name: "alpha", spaces: [{ name: "prod", apps: [{ name: "a1", routes: ["a1.apps.example.com"] }] }] },
    {
      name: "beta",
      guid: BETA,
      spaces: [
        { name: "prod", apps: [{ name: "b1", routes: ["b1.apps.example.com"] }] },
        { name: "dev", guid: BETA_DEV, apps: [{ name: "b2", routes: ["b2.apps.example.com"] }] },
      ],
    },
  ],
};

let sim: RunningSimulator | undefined;
const clients: CloudControllerClient[] = [];
const services: DiscoveryService[] = [];

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await sim?.close();
  sim = undefined;
});

/** Discovery of one broad target, every app of every org. */
async function start(): Promise<{ s: RunningSimulator; service: DiscoveryService }> {
  const s = await startSimulator({ landscape, tls: false });
  sim = s;
  const config = testConfig([{ orgRegex: ".*" }]);
  config.cf = simulatorCf(config.cf, s.apiUrl, { backoff: 5 });
  const client = createCloudControllerClient({ config: config.cf, logger: silentLogger });
  clients.push(client);
  const service = createDiscoveryService({ config, cf: client, logger: silentLogger });
  services.push(service);
  return { s, service };
}

const appsOf = (instances: readonly { appName: string }[]) => instances.map((i) => i.appName).sort();

describe("a broad target with one failing org or space", () => {
  it("is discovered on the first start without the org whose spaces fail, and reports it", async () => {
    const { s, service } = await start();
    s.admin.setListFaults({ failKeys: [BETA] });

    const first = await service.refresh();
    expect(appsOf(first.instances)).toEqual(["a1"]);
    expect(first.targets[0]).toMatchObject({ instances: 1, kind: "cc-error" });
    expect(first.targets[0].problem).toMatch(/^could not load spaces of org beta: /);
    expect(service.lastRefresh()).toMatchObject({ ok: false });

    s.admin.setListFaults({});
    await service.invalidate({ space: true, resolver: true });
    expect(appsOf(service.current()?.instances ?? [])).toEqual(["a1", "b1", "b2"]);
    expect(service.current()?.targets[0].problem).toBeUndefined();
  });

  it("keeps what it had in a space whose apps fail, the other spaces current", async () => {
    const { s, service } = await start();
    const first = await service.refresh();
    expect(appsOf(first.instances)).toEqual(["a1", "b1", "b2"]);
    const b2 = first.instances.find((i) => i.appName === "b2");

    s.admin.setListFaults({ failKeys: [BETA_DEV] });
    s.admin.scaleApp(s.admin.findApp("b1")?.guid ?? "", 2);
    await service.invalidate({ application: true, process: true, resolver: true });

    const next = service.current();
    expect(appsOf(next?.instances ?? [])).toEqual(["a1", "b1", "b1", "b2"]);
    // the failing space's instance is the one of the earlier discovery
    expect(next?.instances.find((i) => i.appName === "b2")).toBe(b2);
    expect(next?.targets[0]).toMatchObject({ instances: 4, kind: "cc-error" });
    expect(next?.targets[0].problem).toMatch(/^could not load apps of space beta\/dev: /);
  });
});
