import { afterEach, describe, expect, it } from "vitest";
import { CfApiError, createCloudControllerClient } from "../../src/cf/index.js";
import type { CloudControllerApi } from "../../src/cf/types.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoveryService } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { startSimulator } from "../../src/simulator/index.js";
import { manualClock, simulatorCf, testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

const services: DiscoveryService[] = [];
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
  for (const close of closing.splice(0)) await close();
});

const flush = () => new Promise((resolve) => setImmediate(resolve));
const TICK_MS = 10_000;
const CC_METHODS = [
  "listOrganizations",
  "listSpaces",
  "listApps",
  "listWebProcesses",
  "listRoutes",
  "listDomains",
  "listAppBindings",
  "getBindingDetails",
] as const satisfies readonly (keyof CloudControllerApi)[];

/**
 * A Cloud Controller that hangs on demand, on a clock the test moves: while `hangMs` is set, every request
 * takes that long (the clock moves on) and then times out, as a request to a hanging Cloud Controller does.
 */
function hangingCloudController(clock: ReturnType<typeof manualClock>) {
  const cc = new FakeCloudController();
  const state = { hangMs: 0 };
  for (const method of CC_METHODS) {
    const original = cc[method].bind(cc) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(cc, {
      [method]: async (...args: unknown[]) => {
        if (state.hangMs > 0) {
          // Requests sent together time out together.
          const end = clock.now() + state.hangMs;
          await Promise.resolve();
          if (clock.now() < end) clock.advance(end - clock.now());
          throw new CfApiError(`GET /v3/${method} timed out: no complete answer within ${state.hangMs} ms`, {
            kind: "timeout",
            resource: "serviceBinding",
            path: `/v3/${method}`,
          });
        }
        return original(...args);
      },
    });
  }
  return { cc, state };
}

/** Five instances of bound apps in one foundation, as in the report: a target by `serviceInstanceName`. */
function boundLandscape(clock: ReturnType<typeof manualClock>) {
  const { cc, state } = hangingCloudController(clock);
  cc.domain("apps.example.com");
  const space = cc.space(cc.org("acme"), "prod");
  const shop = cc.app(space, "shop", { instances: 3 });
  const cart = cc.app(space, "cart", { instances: 2 });
  const bindings = {
    shop: cc.bind(shop, "metrics-endpoint", { path: "/team/metrics", username: "u", password: "p" }),
    cart: cc.bind(cart, "metrics-endpoint", { path: "/team/metrics", username: "u", password: "p" }),
  };
  return { cc, state, bindings };
}

function discovery(
  cc: FakeCloudController,
  clock: ReturnType<typeof manualClock>,
  cache: { resolver: number; expiry?: number },
): DiscoveryService {
  const config = testConfig([{ serviceInstanceName: "metrics-endpoint" }], cache);
  config.promregator.serviceBindings = { credentials: "path-and-basic-auth" };
  const service = createDiscoveryService({ config, cf: cc, logger: silentLogger, now: clock.now });
  services.push(service);
  return service;
}

/** One run of the background loop: TICK_MS after the last, then the background reloads it started. */
async function tick(service: DiscoveryService, clock: ReturnType<typeof manualClock>): Promise<void> {
  clock.advance(TICK_MS);
  await service.refresh();
  for (let i = 0; i < 20; i++) await flush();
}

/**
 * docs/service-bindings.md: "A binding keeps its last good credentials for as long as its target asks for them,
 * however long its reloads fail"; docs/operations.md: "A failing foundation keeps its last known instances".
 * A hanging Cloud Controller delays each read of the binding details by the binding list's timed-out reload,
 * which must not count as the details not being asked for.
 */
describe("last good data of a hanging Cloud Controller", () => {
  for (const { resolver, hangMs } of [
    { resolver: 10, hangMs: 8_500 },
    { resolver: 3, hangMs: 8_500 },
    { resolver: 1, hangMs: 2_500 },
    { resolver: 30, hangMs: 30_000 },
  ]) {
    it(`keeps every bound instance for 10 minutes of hanging requests (resolver ${resolver} s, requests hang ${hangMs} ms)`, async () => {
      const clock = manualClock();
      const { cc, state } = boundLandscape(clock);
      const service = discovery(cc, clock, { resolver });
      expect((await service.refresh()).instances).toHaveLength(5);

      state.hangMs = hangMs;
      const start = clock.now();
      while (clock.now() - start < 600_000) {
        await tick(service, clock);
        const snapshot = service.current();
        expect(snapshot?.instances.map((i) => i.appName).sort()).toEqual([
          "cart",
          "cart",
          "shop",
          "shop",
          "shop",
        ]);
        expect(snapshot?.targets[0].problem ?? "").not.toContain("left out for now");
      }
      expect(snapshot(service).every((i) => i.url.endsWith("/team/metrics") && i.bindingCredential)).toBe(
        true,
      );
    });
  }

  it("keeps the instances through a hang also when every Cloud Controller cache expires between refreshes", async () => {
    const clock = manualClock();
    const { cc, state } = boundLandscape(clock);
    // cf.cache.expiry.* of 1 s: every org, space, app, process, route and domain entry is dropped between two reads.
    const service = discovery(cc, clock, { resolver: 10, expiry: 1 });
    expect((await service.refresh()).instances).toHaveLength(5);

    state.hangMs = 8_500;
    const start = clock.now();
    while (clock.now() - start < 300_000) {
      await tick(service, clock);
      expect(service.current()?.instances).toHaveLength(5);
    }
    expect(service.lastRefresh()?.error).toContain("timed out");
  });

  it("forgets the credentials of a binding that is gone, once the binding list says so", async () => {
    const clock = manualClock();
    const { cc, bindings } = boundLandscape(clock);
    const service = discovery(cc, clock, { resolver: 10 });
    await service.refresh();
    const detailsEntries = () => service.cacheStats().find((c) => c.cache === "bindingDetails")?.entries;
    expect(detailsEntries()).toBe(2);

    cc.bindings = cc.bindings.filter((b) => b.guid !== bindings.cart);
    await service.invalidate({ resolver: true });
    expect(service.current()?.instances.map((i) => i.appName)).toEqual(["shop", "shop", "shop"]);
    expect(detailsEntries()).toBe(1);
  });
});

/** The report's set-up on the simulated Cloud Controller, on the real clock with short timeouts. */
describe("last good credentials through a simulated Cloud Controller outage (POST /admin/outage hang)", () => {
  it("keeps the bound instances while every request hangs for several resolver periods", async () => {
    const sim = await startSimulator({
      landscape: {
        domains: [{ name: "apps.example.org" }],
        orgs: [
          {
            name: "acme",
            spaces: [
              {
                name: "prod",
                apps: [
                  { name: "shop", instances: 3 },
                  { name: "cart", instances: 2 },
                ],
              },
            ],
          },
        ],
        serviceInstances: [
          {
            name: "metrics-endpoint",
            space: "acme/prod",
            credentials: { path: "/team/metrics", username: "u", password: "p" },
            bindings: ["shop", "cart"],
          },
        ],
      },
    });
    closing.push(() => sim.close());
    // resolver 1 s: the details were dropped 2 s after their last read; each read now waits for the binding
    // list's reload to time out (2 attempts of 700 ms) first.
    const config = testConfig([{ serviceInstanceName: "metrics-endpoint", protocol: "https" }], {
      resolver: 1,
    });
    const timeout = Object.fromEntries(Object.keys(config.cf.request.timeout).map((k) => [k, 700]));
    config.cf = simulatorCf(config.cf, sim.apiUrl, {
      backoff: 5,
      timeout: timeout as typeof config.cf.request.timeout,
    });
    config.promregator.serviceBindings = { credentials: "path-and-basic-auth" };
    const client = createCloudControllerClient({ config: config.cf, logger: silentLogger, ca: sim.caPem });
    closing.push(() => client.close());
    const service = createDiscoveryService({ config, cf: client, logger: silentLogger, tickMs: 200 });
    services.push(service);
    service.start();
    await service.whenReady();
    expect(snapshot(service)).toHaveLength(5);

    sim.admin.setOutage("hang");
    try {
      const until = Date.now() + 5_000;
      while (Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(
          snapshot(service)
            .map((i) => i.appName)
            .sort(),
        ).toEqual(["cart", "cart", "shop", "shop", "shop"]);
      }
      expect(service.lastRefresh()?.ok).toBe(false);
    } finally {
      sim.admin.setOutage(undefined);
    }
  }, 15_000);
});

function snapshot(service: DiscoveryService) {
  return service.current()?.instances ?? [];
}
