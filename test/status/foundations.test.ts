import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningPromregator, startPromregator } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log.js";
import { type LandscapeSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";

const EU_USER = { username: "eu", password: "eu-pw" };
const US_USER = { username: "us", password: "us-pw" };

function landscape(region: string, app: string, instances: number): LandscapeSpec {
  return {
    domains: [{ name: `apps.${region}.example.org` }],
    orgs: [{ name: `${region}-org`, spaces: [{ name: "prod", apps: [{ name: app, instances }] }] }],
  };
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface Group {
  labels: Record<string, string>;
}

describe("several foundations in one process, one of them hanging", () => {
  let eu: RunningSimulator;
  let us: RunningSimulator;
  let app: RunningPromregator;

  beforeAll(async () => {
    eu = await startSimulator({ landscape: landscape("eu", "orders", 2), users: [EU_USER] });
    us = await startSimulator({ landscape: landscape("us", "shipping", 1), users: [US_USER] });
    // The us API accepts connections and never answers: its first refresh ends only by its request timeouts.
    us.admin.setOutage("hang");
    const { config } = loadConfig({
      env: {},
      text: `
cf:
  name: eu
  api_host: ${eu.apiUrl}
  username: ${EU_USER.username}
  password: ${EU_USER.password}
foundations:
  - name: us
    api_host: ${us.apiUrl}
    username: ${US_USER.username}
    password: ${US_USER.password}
    request:
      timeout: { org: 3000, space: 3000, appInSpace: 3000, domain: 3000, route: 3000, process: 3000 }
      backoff: 10
promregator:
  targets:
    - orgName: eu-org
    - orgName: us-org
      foundation: us
  discovery: { hostname: 127.0.0.1, port: 9999 }
server: { port: 0, address: 127.0.0.1 }
`,
    });
    app = await startPromregator({
      config,
      logger: silentLogger,
      cfCa: `${eu.caPem}\n${us.caPem}`,
      env: {},
      discoveryTickMs: 200,
    });
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await eu?.close();
    await us?.close();
  });

  const statusJson = async () =>
    (await (await fetch(`${app.url}/status.json`)).json()) as {
      ready: boolean;
      foundations: { name: string; ok: boolean; instances: number; targets: number; lastError?: string }[];
      discovery: { targets: { targetIndex: number; problem?: string }[] };
      instances: { foundation?: string }[];
    };

  it("serves the answering foundation's instances before the hanging one's first refresh ends, then becomes ready", async () => {
    const groups = await poll("a discovery document", async () => {
      const res = await fetch(`${app.url}/discovery`);
      return res.status === 200 ? ((await res.json()) as Group[]) : undefined;
    });
    const instances = groups.filter((g) => g.labels.__meta_promregator_target_instanceId !== undefined);
    expect(instances.map((g) => g.labels.__meta_promregator_target_foundation)).toEqual(["eu", "eu"]);
    expect(instances.map((g) => g.labels.__meta_promregator_target_applicationName)).toEqual([
      "orders",
      "orders",
    ]);
    // us is still waiting for its first answer: not ready, and its target says so.
    const early = await statusJson();
    expect(early.ready).toBe(false);
    expect(early.discovery.targets[1].problem).toBe("foundation us has not completed its first discovery");
    expect((await fetch(`${app.url}/ready`)).status).toBe(503);

    await app.whenReady();
    const failed = await statusJson();
    expect(failed.ready).toBe(true);
    expect(failed.foundations.map((f) => [f.name, f.ok, f.instances, f.targets])).toEqual([
      ["eu", true, 2, 1],
      ["us", false, 0, 1],
    ]);
    expect(failed.discovery.targets[1].problem).toMatch(/^foundation us could not be read: /);
    const metrics = await (await fetch(`${app.url}/promregatorMetrics`)).text();
    expect(metrics).toMatch(/^promregator_foundation_up\{foundation="us"\} 0$/m);
    expect(metrics).toMatch(/^promregator_foundation_up\{foundation="eu"\} 1$/m);
    expect(metrics).toMatch(/^promregator_foundation_discovered_instances\{foundation="eu"\} 2$/m);
    const html = await (await fetch(`${app.url}/`)).text();
    expect(html).toContain('<h2 id="foundations">Foundations</h2>');
    expect(html).toContain("Foundation us (Cloud Controller");
  }, 30_000);

  it("adds the foundation's instances once it answers again", async () => {
    us.admin.setOutage();
    const recovered = await poll("us instances", async () => {
      const s = await statusJson();
      return s.foundations[1].ok && s.foundations[1].instances === 1 ? s : undefined;
    });
    expect(recovered.instances.map((i) => i.foundation)).toEqual(["eu", "eu", "us"]);
    const metrics = await (await fetch(`${app.url}/promregatorMetrics`)).text();
    expect(metrics).toMatch(/^promregator_foundation_up\{foundation="us"\} 1$/m);
  }, 30_000);
});
