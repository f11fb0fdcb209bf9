import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CloudControllerClient, createCloudControllerClient } from "../../src/cf/index.js";
import type { TargetConfig } from "../../src/config/types.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoverySnapshot } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import {
  DEFAULT_SIMULATOR_USER,
  loadLandscapeFile,
  type RunningSimulator,
  startSimulator,
} from "../../src/simulator/index.js";
import { simulatorCf, testConfig } from "./config.js";

/** TCP routes, a process type with its own route, and an internal route, written as a landscape file. */
const LANDSCAPE = `
domains:
  - name: apps.example.test
  - name: tcp.example.test
    tcp: true
  - name: apps.internal
    internal: true
orgs:
  - name: o
    spaces:
      - name: s
        apps:
          - name: tcp-first
            instances: 2
            routes: ["tcp.example.test:1050", "tcp-first.apps.example.test"]
          - name: tcp-only
            routes: ["tcp.example.test:1051"]
          - name: api-first
            instances: 2
            processes: [{ type: api, instances: 1 }]
            routeMappings:
              - { url: api-first-api.apps.example.test, process: api, port: 9000 }
              - { url: api-first.apps.example.test }
          - name: internal-api
            processes: [{ type: api }]
            routes: []
            routeMappings:
              - { url: internal-api-api.apps.internal, process: api, port: 9000 }
              - { url: internal-api.apps.internal }
`;

let sim: RunningSimulator;
let dir: string;
const clients: CloudControllerClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "routes-landscape-"));
  const file = join(dir, "landscape.yml");
  writeFileSync(file, LANDSCAPE);
  sim = await startSimulator({ landscape: loadLandscapeFile(file) });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function discover(targets: Partial<TargetConfig>[]): Promise<DiscoverySnapshot> {
  const config = testConfig(targets);
  config.cf = simulatorCf(config.cf, sim.apiUrl);
  const client = createCloudControllerClient({ config: config.cf, logger: silentLogger, ca: sim.caPem });
  clients.push(client);
  const service = createDiscoveryService({ config, cf: client, logger: silentLogger });
  try {
    return await service.refresh();
  } finally {
    await service.stop();
  }
}

const app = (applicationName: string): Partial<TargetConfig> => ({
  orgName: "o",
  spaceName: "s",
  applicationName,
});
const urlsOf = (s: DiscoverySnapshot, appName: string) =>
  s.instances.filter((i) => i.appName === appName).map((i) => i.url);

describe("route semantics against the simulator", () => {
  it("presents TCP routes and destinations to other process types as the Cloud Controller does", async () => {
    const client = createCloudControllerClient({
      config: { ...testConfig([]).cf, apiUrl: sim.apiUrl, api_host: sim.apiUrl, ...DEFAULT_SIMULATOR_USER },
      logger: silentLogger,
      ca: sim.caPem,
    });
    clients.push(client);
    const tcpFirst = sim.admin.findApp("tcp-first")!.guid;
    const apiFirst = sim.admin.findApp("api-first")!.guid;
    const routes = await client.listRoutes({ appGuids: [tcpFirst, apiFirst] });
    expect(routes.map((r) => [r.url, r.protocol])).toEqual([
      ["tcp.example.test:1050", "tcp"],
      ["tcp-first.apps.example.test", "http"],
      ["api-first-api.apps.example.test", "http"],
      ["api-first.apps.example.test", "http"],
    ]);
    expect(routes[2].destinations).toEqual([{ appGuid: apiFirst, processType: "api", port: 9000 }]);
    const domains = await client.listDomains();
    expect(domains.map((d) => d.name)).toContain("tcp.example.test");
  });

  it("scrapes an app through its HTTP route when a TCP route comes first", async () => {
    const snapshot = await discover([app("tcp-first")]);
    expect(urlsOf(snapshot, "tcp-first")).toEqual([
      "https://tcp-first.apps.example.test/metrics",
      "https://tcp-first.apps.example.test/metrics",
    ]);
  });

  it("gives an app with only TCP routes no target and says why", async () => {
    const snapshot = await discover([app("tcp-only"), app("tcp-first")]);
    expect(urlsOf(snapshot, "tcp-only")).toEqual([]);
    expect(snapshot.targets[0]).toMatchObject({ instances: 0, kind: "no-http-route" });
    expect(snapshot.targets[0].problem).toContain("no HTTP route");
  });

  it("uses the route to the web process, not a first route to the api process", async () => {
    const snapshot = await discover([app("api-first"), app("internal-api")]);
    expect(urlsOf(snapshot, "api-first")).toEqual([
      "https://api-first.apps.example.test/metrics",
      "https://api-first.apps.example.test/metrics",
    ]);
    expect(urlsOf(snapshot, "internal-api")).toEqual(["http://0.internal-api.apps.internal:8080/metrics"]);
  });

  it("takes process types and route destinations from apps added through the admin API", async () => {
    const space = sim.admin.findApp("tcp-only")!.spaceGuid;
    sim.admin.addApp(space, {
      name: "added",
      instances: 1,
      processes: [{ type: "worker" }],
      routes: ["tcp.example.test:1060"],
      routeMappings: [
        { url: "added-worker.apps.example.test", process: "worker", port: 7000 },
        { url: "added.apps.example.test" },
      ],
    });
    const snapshot = await discover([app("added")]);
    expect(urlsOf(snapshot, "added")).toEqual(["https://added.apps.example.test/metrics"]);
    expect(() =>
      sim.admin.addApp(space, {
        name: "broken",
        routeMappings: [{ url: "x.apps.example.test", process: "nope" }],
      }),
    ).toThrow(/undeclared process type 'nope'/);
  });
});
