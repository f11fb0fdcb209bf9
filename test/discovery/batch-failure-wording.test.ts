import { describe, expect, it } from "vitest";
import { CfApiError } from "../../src/cf/errors.js";
import type { CfDomain, CfProcess, CfRoute } from "../../src/cf/types.js";
import { appKey } from "../../src/discovery/cf-caches.js";
import { scanInstances } from "../../src/discovery/instance-builder.js";
import type { CacheReader, ManyResult } from "../../src/discovery/refresh-ahead-cache.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { ResolvedApp } from "../../src/discovery/target-resolver.js";
import type { DiscoverySnapshot } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { target, testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

const timedOut = () =>
  new CfApiError("GET /v3/routes timed out: the request took longer than 2500 ms", {
    kind: "timeout",
    resource: "route",
    path: "/v3/routes",
  });

describe("the cause of a layer that failed for a whole batch", () => {
  it("names the batch, not one app, when the routes request for 7 apps timed out", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.test");
    const space = cc.space(cc.org("o"), "s");
    const names = ["app1", "app2", "app3", "app4", "app5", "app6", "app7"];
    for (const name of names) cc.app(space, name, { routes: [`${name}.apps.example.test`] });
    const discovery = createDiscoveryService({
      config: testConfig([
        { orgName: "o", spaceName: "s", applicationRegex: "app.*" },
        { orgName: "o", spaceName: "s", applicationName: "app5" },
        // A target that does not fail, so that the refresh publishes its reports.
        { orgName: "o", spaceName: "s", applicationName: "missing" },
      ]),
      cf: cc,
      logger: silentLogger,
    });
    await discovery.refresh();
    cc.failOnly.add("listRoutes");
    cc.failure = timedOut();
    let latest: DiscoverySnapshot | undefined;
    discovery.onRefresh((snapshot) => {
      latest = snapshot;
    });
    await discovery.invalidate({ route: true });
    const [all, five] = latest?.targets ?? [];
    expect(all?.problem).toBe(
      "could not load routes of 7 apps (app1, app2, app3, …): GET /v3/routes timed out: the request took longer than 2500 ms",
    );
    // Also the target of one app says that its app failed with six others, in one request.
    expect(five?.problem).toMatch(
      /^could not load routes of 7 apps \(app1, app2, app3, …\): GET \/v3\/routes timed out/,
    );
    await discovery.stop();
  });
});

describe("target resolution: the same for the spaces and apps layers", () => {
  it("names the spaces whose apps one failed request was to read", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.test");
    const org = cc.org("o");
    for (const name of ["s1", "s2"])
      cc.app(cc.space(org, name), `app-${name}`, { routes: [`${name}.apps.example.test`] });
    const discovery = createDiscoveryService({
      config: testConfig([
        { orgName: "o", spaceRegex: "s.*", applicationRegex: ".*" },
        { orgName: "no-such-org", spaceName: "s", applicationName: "a" },
      ]),
      cf: cc,
      logger: silentLogger,
    });
    await discovery.refresh();
    cc.failOnly.add("listApps");
    cc.failure = new Error("GET /v3/apps failed with status 503: CF-ServiceUnavailable (10015): busy");
    let latest: DiscoverySnapshot | undefined;
    discovery.onRefresh((snapshot) => {
      latest = snapshot;
    });
    await discovery.invalidate({ application: true, resolver: true });
    expect(latest?.targets[0]?.problem).toBe(
      "could not load apps of 2 spaces (o/s1, o/s2): GET /v3/apps failed with status 503: CF-ServiceUnavailable (10015): busy",
    );
    await discovery.stop();
  });
});

describe("scanInstances: whole-batch failures against per-key failures", () => {
  const apps: ResolvedApp[] = ["a1", "a2", "a3"].map((name, i) => ({
    targetIndex: i,
    orgName: "o",
    spaceName: "s",
    spaceGuid: "s1",
    appGuid: name,
    appName: name,
    path: "/metrics",
  }));
  const domains: CacheReader<ReadonlyMap<string, CfDomain>> = {
    getMany: async (keys) => ({
      values: new Map([...keys].map((k) => [k, new Map<string, CfDomain>()] as const)),
      errors: new Map(),
    }),
  };
  const processes: CacheReader<CfProcess[]> = {
    getMany: async (keys) => ({
      values: new Map([...keys].map((k) => [k, [] as CfProcess[]] as const)),
      errors: new Map(),
    }),
  };
  const failing = (errorOf: (key: string) => Error): CacheReader<CfRoute[]> => ({
    async getMany(keys: Iterable<string>): Promise<ManyResult<CfRoute[]>> {
      return { values: new Map(), errors: new Map([...keys].map((k) => [k, errorOf(k)] as const)) };
    },
  });
  const scan = (route: CacheReader<CfRoute[]>) =>
    scanInstances(
      {
        apps,
        targets: apps.map(() => target({ orgName: "o", spaceName: "s" })),
        routePatterns: apps.map(() => []),
        defaultInternalRoutePort: 8080,
        foundation: "default",
      },
      { process: processes, route, domain: domains },
    );

  it("one error object for every key (the request failed whole): the batch is named on each target", async () => {
    const shared = timedOut();
    const result = await scan(failing(() => shared));
    for (const t of [0, 1, 2]) {
      expect(result.errors.get(t)?.message).toBe(
        `could not load routes of 3 apps (a1, a2, a3): ${shared.message}`,
      );
      expect(result.errors.get(t)?.cause).toBe(shared);
    }
  });

  it("an error per key (isolated by splitting the batch): each app keeps its own wording", async () => {
    const result = await scan(
      failing((key) => new Error(`GET /v3/routes failed with status 500 (app_guids=${key.split("/")[1]})`)),
    );
    expect(result.errors.get(1)?.message).toBe(
      `could not load routes of app a2: GET /v3/routes failed with status 500 (app_guids=a2)`,
    );
    expect(appKey("s1", "a2")).toBe("s1/a2");
  });
});
