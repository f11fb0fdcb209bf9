import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CfApiError, type CloudControllerClient, createCloudControllerClient } from "../../src/cf/index.js";
import type { CfConfig } from "../../src/config/types.js";
import { silentLogger } from "../../src/log.js";
import {
  DEFAULT_SIMULATOR_USER,
  generateLandscape,
  type RunningSimulator,
  startSimulator,
} from "../../src/simulator/index.js";
import { testConfig } from "./fake-cf.js";

/** 1 org x 2 spaces x 600 apps: the app list takes two pages of 1,000. */
const landscape = generateLandscape({ orgs: 1, spacesPerOrg: 2, appsPerSpace: 600, instances: 1 });

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
  sim.admin.setListFaults({});
});

function connect(request: Partial<CfConfig["request"]> = {}): CloudControllerClient {
  const config = testConfig(sim.apiUrl, {
    username: DEFAULT_SIMULATOR_USER.username,
    password: DEFAULT_SIMULATOR_USER.password,
  });
  // Generous timeouts: a loaded machine must not turn 1,000-item pages into smaller ones here.
  const timeout = Object.fromEntries(Object.keys(config.request.timeout).map((k) => [k, 30_000]));
  config.request = { ...config.request, timeout: timeout as CfConfig["request"]["timeout"], ...request };
  client = createCloudControllerClient({ config, logger: silentLogger, ca: sim.caPem });
  return client;
}

const requestsTo = (path: string) => sim.admin.counters().byPath[path] ?? 0;

describe("bounded list reading against the simulator", () => {
  it("stops at the first page's total_pages when pagination.next never ends", async () => {
    sim.admin.setListFaults({ endlessNext: true });
    const c = connect();
    const orgs = await c.listOrganizations();
    sim.admin.resetCounters();
    const apps = await c.listApps({ organizationGuids: orgs.map((o) => o.guid) });
    expect(apps).toHaveLength(1200);
    // total_pages is 2: two requests, however long the CC keeps linking to further (empty) pages.
    expect(requestsTo("/v3/apps")).toBe(2);
  });

  it("follows links that name another origin on the configured one", async () => {
    // The CC writes its external name into the links: another host name and plain http.
    const external = sim.apiUrl.replace("https://127.0.0.1", "http://localhost");
    sim.admin.setListFaults({ linkOrigin: external });
    const c = connect();
    const orgs = await c.listOrganizations();
    sim.admin.resetCounters();
    const apps = await c.listApps({ organizationGuids: orgs.map((o) => o.guid) });
    expect(new Set(apps.map((a) => a.guid)).size).toBe(1200);
    expect(requestsTo("/v3/apps")).toBe(2);
  });

  it("fails a body that never ends at the byte cap, and reads other lists as before", async () => {
    sim.admin.setListFaults({ endlessBodyPaths: ["/v3/spaces"] });
    const c = connect({ maxBodySize: 4 * 1024 * 1024 });
    const orgs = await c.listOrganizations();
    const err = await c.listSpaces({ organizationGuids: orgs.map((o) => o.guid) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CfApiError);
    expect(err).toMatchObject({ kind: "size", resource: "space" });
    expect((err as Error).message).toBe(
      "GET /v3/spaces failed: the answer body is larger than 4194304 bytes (cf.request.maxBodySize)",
    );
    // Not retried: the same request would only bring the same flood again.
    expect(requestsTo("/v3/spaces")).toBe(1);
    expect(await c.listOrganizations()).toHaveLength(1);
  });

  it("gives each filter value that makes the CC fail its own error and reads the others", async () => {
    const c = connect();
    const [org] = await c.listOrganizations();
    const spaces = await c.listSpaces({ organizationGuids: [org!.guid] });
    const [bad, good] = spaces;
    sim.admin.setListFaults({ failKeys: [bad!.guid] });
    sim.admin.resetCounters();
    const err = await c.listApps({ spaceGuids: [bad!.guid, good!.guid] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "PartialListError", filter: "space_guids" });
    const partial = err as { items: { spaceGuid: string }[]; failed: Map<string, Error> };
    expect(partial.items).toHaveLength(600);
    expect(new Set(partial.items.map((a) => a.spaceGuid))).toEqual(new Set([good!.guid]));
    expect([...partial.failed.keys()]).toEqual([bad!.guid]);
    expect(partial.failed.get(bad!.guid)!.message).toBe(
      `GET /v3/apps failed with status 500: UnknownError (10001): An unknown error occurred. (space_guids=${bad!.guid})`,
    );
  });
});
