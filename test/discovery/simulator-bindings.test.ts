import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type CloudControllerClient, createCloudControllerClient } from "../../src/cf/index.js";
import type { TargetConfig } from "../../src/config/types.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoveryService, DiscoverySnapshot } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { type LandscapeSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { manualClock, simulatorCf, testConfig } from "./config.js";

const SHOP_BINDING = "5b1e0c7a-3f43-4c55-9a53-0d4f6f0b0a01";
const DETAILS = `/v3/service_credential_bindings/${SHOP_BINDING}/details`;

const landscape: LandscapeSpec = {
  domains: [{ name: "apps.example.org" }],
  orgs: [
    {
      name: "acme",
      spaces: [
        {
          name: "prod",
          apps: [
            { name: "shop", instances: 1 },
            { name: "cart", instances: 1 },
          ],
        },
        { name: "dev", apps: [{ name: "billing", instances: 1 }] },
      ],
    },
  ],
  serviceInstances: [
    {
      name: "metrics-endpoint",
      space: "acme/prod",
      credentials: { path: "/team/metrics" },
      bindings: [{ app: "shop", guid: SHOP_BINDING }, "cart"],
    },
    {
      // A service broker's instance that happens to have the same name: its binding carries a database user.
      name: "metrics-endpoint",
      type: "managed",
      space: "acme/dev",
      credentials: { path: "/db", username: "db-user", password: "broker-db-password" },
      bindings: ["billing"],
    },
  ],
};

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

/** Discovery of the bound apps against the simulator; resolver period 300 s on a clock the test moves. */
function discovery(
  clock = manualClock(),
  target: Partial<TargetConfig> = { spaceName: "prod" },
): DiscoveryService {
  const config = testConfig([{ serviceInstanceName: "metrics-endpoint", protocol: "https", ...target }], {
    resolver: 300,
  });
  config.cf = simulatorCf(config.cf, sim.apiUrl, { backoff: 5 });
  config.promregator.serviceBindings = { credentials: "path-and-basic-auth" };
  client = createCloudControllerClient({ config: config.cf, logger: silentLogger, ca: sim.caPem });
  service = createDiscoveryService({ config, cf: client, logger: silentLogger, now: clock.now });
  return service;
}

const urls = (s: DiscoverySnapshot) => s.instances.map((i) => `${i.appName} ${i.url}`).sort();
const BOTH = [
  "cart https://cart.apps.example.org/team/metrics",
  "shop https://shop.apps.example.org/team/metrics",
];

describe("targets by service binding against the simulated Cloud Controller", () => {
  it("ignores a managed instance of the same name: its app is left out with a note, its credentials never read", async () => {
    sim.admin.resetCounters();
    const service = discovery(manualClock(), {});
    const s = await service.refresh();
    expect(urls(s)).toEqual(BOTH);
    expect(s.instances.every((i) => i.bindingCredential === undefined)).toBe(true);
    expect(s.targets[0].kind).toBe("service-binding");
    expect(s.targets[0].problem).toContain("acme/dev/billing");
    expect(s.targets[0].problem).toContain("its service instance is a managed one");
    expect(JSON.stringify(s)).not.toContain("broker-db-password");
    // Details of shop's and cart's bindings only: the managed binding's are never asked for.
    const details = Object.keys(sim.admin.counters().byPath).filter((p) => p.endsWith("/details"));
    expect(details).toHaveLength(2);
    expect(details).toContain(DETAILS);
  });

  it("counts the binding list and the binding details among the cache statistics", async () => {
    const service = discovery(manualClock(), {});
    await service.refresh();
    const stats = new Map(service.cacheStats().map((c) => [c.cache, c]));
    expect(stats.get("serviceBinding")).toMatchObject({ entries: 1, loads: 1, loadFailures: 0 });
    expect(stats.get("bindingDetails")).toMatchObject({ entries: 2, loadFailures: 0 });
  });
});

describe("service binding details that fail for a while (simulated Cloud Controller)", () => {
  it("keeps a bound app with its last good credentials when reading them again after /cache/invalidate fails", async () => {
    const service = discovery();
    expect(urls(await service.refresh())).toEqual(BOTH);
    // Both attempts (one retry) of the details request answer 503.
    sim.admin.injectFailures({ count: 2, status: 503, pathPrefix: DETAILS });
    sim.admin.resetCounters();
    await service.invalidate({ resolver: true });
    expect(sim.admin.counters().byPath[DETAILS]).toBe(2);
    const after = service.current() as DiscoverySnapshot;
    expect(urls(after)).toEqual(BOTH);
    expect(after.targets[0].problem).toBeUndefined();
  });

  it("on a cold start leaves the app out with a note and resolves it again soon, not a whole period later", async () => {
    const clock = manualClock();
    sim.admin.injectFailures({ count: 2, status: 503, pathPrefix: DETAILS });
    const service = discovery(clock);
    const first = await service.refresh();
    expect(urls(first)).toEqual(["cart https://cart.apps.example.org/team/metrics"]);
    expect(first.targets[0].kind).toBe("cc-error");
    expect(first.targets[0].problem).toContain(`acme/prod/shop (binding ${SHOP_BINDING}`);
    expect(first.targets[0].problem).toContain("left out for now, its credentials could not be read");

    // 30 s later, well within the 300 s resolver period, the target is resolved again and the app is back.
    clock.advance(30_000);
    await vi.waitFor(
      async () => {
        expect(urls(await service.refresh())).toEqual(BOTH);
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(service.current()?.targets[0].problem).toBeUndefined();
  });
});
