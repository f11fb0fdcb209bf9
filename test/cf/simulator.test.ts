import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CfApiError,
  type CloudControllerClient,
  createCloudControllerClient,
  UaaError,
} from "../../src/cf/index.js";
import type { CfConfig } from "../../src/config/types.js";
import { silentLogger } from "../../src/log.js";
import {
  DEFAULT_SIMULATOR_CLIENT,
  DEFAULT_SIMULATOR_USER,
  generateLandscape,
  type RunningSimulator,
  startSimulator,
} from "../../src/simulator/index.js";
import { recordingMetrics, testConfig } from "./fake-cf.js";

/** 2 orgs x 6 spaces x 1000 apps = 12,000 apps. */
const landscape = generateLandscape({ orgs: 2, spacesPerOrg: 6, appsPerSpace: 1000, instances: 1 });

let sim: RunningSimulator;
let client: CloudControllerClient | undefined;

beforeAll(async () => {
  sim = await startSimulator({ landscape });
});

afterAll(async () => {
  await sim?.close();
});

afterEach(async () => {
  await client?.close();
  client = undefined;
  sim.admin.reset();
});

function simConfig(overrides: Partial<CfConfig> = {}): CfConfig {
  return testConfig(sim.apiUrl, {
    username: DEFAULT_SIMULATOR_USER.username,
    password: DEFAULT_SIMULATOR_USER.password,
    ...overrides,
  });
}

function connect(overrides: Partial<CfConfig> = {}): CloudControllerClient {
  client = createCloudControllerClient({ config: simConfig(overrides), logger: silentLogger, ca: sim.caPem });
  return client;
}

describe("against the simulator", () => {
  it("logs in with the password grant and lists 12,000 apps in pages of 1,000", async () => {
    // Generous timeouts: on a loaded machine a timed-out page of 1,000 would be read again in pages of 200.
    const base = simConfig().request;
    const timeout = Object.fromEntries(Object.keys(base.timeout).map((k) => [k, 30_000]));
    const c = connect({ request: { ...base, timeout: timeout as CfConfig["request"]["timeout"] } });
    const orgs = await c.listOrganizations();
    expect(orgs.map((o) => o.name).sort()).toEqual(["org-1", "org-2"]);
    sim.admin.resetCounters();

    const apps = await c.listApps({ organizationGuids: orgs.map((o) => o.guid) });
    expect(apps).toHaveLength(12_000);
    expect(new Set(apps.map((a) => a.guid)).size).toBe(12_000);
    expect(apps.every((a) => a.state === "STARTED")).toBe(true);
    // 12,000 / 1,000 per page = 12 pages, no token request (the token from before is reused).
    expect(sim.admin.counters()).toMatchObject({ ccRequests: 12, uaaRequests: 0 });
  });

  it("lists processes and routes of 1,000 apps in chunks of at most 100 guids", async () => {
    const c = connect();
    const spaces = await c.listSpaces({ names: ["space-1-1"] });
    expect(spaces).toHaveLength(1);
    const apps = await c.listApps({ spaceGuids: [spaces[0]!.guid] });
    expect(apps).toHaveLength(1000);
    sim.admin.resetCounters();

    const appGuids = apps.map((a) => a.guid);
    const [processes, routes] = await Promise.all([
      c.listWebProcesses({ appGuids }),
      c.listRoutes({ appGuids }),
    ]);
    expect(processes).toHaveLength(1000);
    expect(processes.every((p) => p.type === "web" && p.instances === 1)).toBe(true);
    expect(new Set(processes.map((p) => p.appGuid))).toEqual(new Set(appGuids));
    expect(routes).toHaveLength(1000);
    const app = apps.find((a) => a.name === "app-1-1-7")!;
    expect(routes.find((r) => r.appGuids.includes(app.guid))?.url).toBe("app-1-1-7.apps.example.org");
    const counters = sim.admin.counters();
    expect(counters.byPath["/v3/processes"]).toBe(10);
    expect(counters.byPath["/v3/routes"]).toBe(10);

    const domains = await c.listDomains();
    expect(domains).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "apps.example.org", internal: false }),
        expect.objectContaining({ name: "apps.internal", internal: true }),
      ]),
    );
  });

  it("logs in with the client_credentials grant", async () => {
    const c = connect({
      username: undefined,
      password: undefined,
      client_id: DEFAULT_SIMULATOR_CLIENT.clientId,
      client_secret: DEFAULT_SIMULATOR_CLIENT.clientSecret,
    });
    expect(await c.listOrganizations()).toHaveLength(2);
    expect(c.counters.tokenRequests).toBe(1);
  });

  it("reports a wrong password from the simulated UAA", async () => {
    const c = connect({ password: "not-the-password" });
    const err = await c.listOrganizations().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UaaError);
    expect((err as Error).message).toMatch(/^CF rejected the credentials for user "admin": /);
    expect((err as Error).message).not.toContain("not-the-password");
  });

  it("renews a short-lived token before it expires", async () => {
    const short = await startSimulator({
      landscape: generateLandscape({ orgs: 1, spacesPerOrg: 1, appsPerSpace: 1, instances: 1 }),
      tokenLifetimeSeconds: 2,
    });
    try {
      client = createCloudControllerClient({
        config: testConfig(short.apiUrl, { username: "admin", password: "admin" }),
        logger: silentLogger,
        ca: short.caPem,
      });
      expect(await client.listOrganizations()).toHaveLength(1);
      // Lifetime 2 s is announced as expires_in 1 (as UAA does); the client renews after 0.9 s.
      await new Promise((r) => setTimeout(r, 1000));
      expect(await client.listOrganizations()).toHaveLength(1);
      expect(client.counters.tokenRequests).toBe(2);
      // Renewed ahead of time, so CC never had to refuse a token.
      expect(client.counters.requests.org).toBe(2);
    } finally {
      await client?.close();
      client = undefined;
      await short.close();
    }
  });

  it("logs in again after the tokens were revoked", async () => {
    const c = connect();
    await c.listOrganizations();
    sim.admin.revokeTokens();
    expect(await c.listOrganizations()).toHaveLength(2);
    // One refused request, then a renewal (refresh refused too, so a new login) and the retry.
    expect(c.counters.requests.org).toBe(3);
    expect(c.counters.tokenRequests).toBeGreaterThanOrEqual(2);
  });

  it("retries injected 503s and load-balancer pages once", async () => {
    const c = connect();
    await c.listOrganizations();
    sim.admin.injectFailures({ count: 1, status: 503, pathPrefix: "/v3/organizations" });
    expect(await c.listOrganizations()).toHaveLength(2);
    sim.admin.injectFailures({
      count: 2,
      status: 502,
      pathPrefix: "/v3/organizations",
      kind: "loadBalancer",
    });
    const err = await c.listOrganizations().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CfApiError);
    expect(err).toMatchObject({ status: 502, kind: "http", path: "/v3/organizations" });
  });

  it("waits out the CC rate limit (Retry-After) and then succeeds", async () => {
    const metrics = recordingMetrics();
    client = createCloudControllerClient({
      config: simConfig(),
      logger: silentLogger,
      ca: sim.caPem,
      metrics,
    });
    await client.listOrganizations();
    sim.admin.setRateLimit({ limit: 2, windowSeconds: 1 });
    for (let i = 0; i < 4; i++) expect(await client.listOrganizations()).toHaveLength(2);
    const limited = metrics.calls.filter((c) => c.fn === "request" && c.outcome === "rate_limited");
    const waits = metrics.calls.filter((c) => c.fn === "wait");
    expect(limited.length).toBeGreaterThan(0);
    // one wait per 429, and at most one more each for the rest of its hold (a timer may fire a millisecond early)
    expect(waits.length).toBeGreaterThanOrEqual(limited.length);
    expect(waits.length).toBeLessThanOrEqual(2 * limited.length);
    for (const w of waits) expect(w.seconds).toBeGreaterThan(0);
    expect(client.counters.requests.org).toBe(5 + limited.length);
  });
});
