/**
 * A foundation that no target names (the `cf:` block, which stays required when every target names a
 * `foundations[]` entry) at run time: it must not make the process ready, must not be reported healthy, and is
 * not contacted; the foundations actually used are named at start-up.
 */
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningPromregator, startPromregator } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { captureLogger } from "../discovery/config.js";

const US_USER = { username: "us", password: "us-pw" };

async function poll<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe("a `cf:` block that no target names, with the only used foundation down at start", () => {
  let us: RunningSimulator;
  let app: RunningPromregator;
  /** Stands in for the unused foundation's Cloud Controller: counts every connection made to it. */
  let unusedCc: Server;
  let unusedConnections = 0;
  const { logger, lines } = captureLogger();

  beforeAll(async () => {
    unusedCc = createServer((socket) => {
      unusedConnections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => unusedCc.listen(0, "127.0.0.1", resolve));
    const unusedPort = (unusedCc.address() as { port: number }).port;
    us = await startSimulator({
      landscape: {
        domains: [{ name: "apps.us.example.org" }],
        orgs: [{ name: "us-org", spaces: [{ name: "prod", apps: [{ name: "shipping", instances: 1 }] }] }],
      },
      users: [US_USER],
    });
    us.admin.setOutage("unavailable");
    const { config } = loadConfig({
      env: {},
      text: `
cf:
  api_host: https://127.0.0.1:${unusedPort}
  username: nobody
  password: unused-pw
foundations:
  - name: us
    api_host: ${us.apiUrl}
    username: ${US_USER.username}
    password: ${US_USER.password}
    request:
      backoff: 10
promregator:
  targets:
    - orgName: us-org
      foundation: us
server: { port: 0, address: 127.0.0.1 }
`,
    });
    app = await startPromregator({ config, logger, cfCa: us.caPem, env: {}, discoveryTickMs: 100 });
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await us?.close();
    await new Promise((resolve) => unusedCc?.close(resolve));
  });

  const statusJson = async () =>
    (await (await fetch(`${app.url}/status.json`)).json()) as {
      ready: boolean;
      cf: { apiUrl: string; foundation?: string; health?: { ok: boolean; lastError?: string } };
      foundations: { name: string; ok: boolean; unused?: boolean; lastSuccess?: unknown }[];
    };

  it("answers 503 on /ready and /discovery, and shows the unused foundation as unused, not OK", async () => {
    const doc = await poll("a failed refresh of us", async () => {
      const d = await statusJson();
      return d.cf.health?.lastError ? d : undefined;
    });
    expect((await fetch(`${app.url}/ready`)).status).toBe(503);
    expect((await fetch(`${app.url}/discovery`)).status).toBe(503);
    expect(doc.ready).toBe(false);
    expect(doc.foundations.map((f) => [f.name, f.ok, f.unused ?? false])).toEqual([
      ["default", false, true],
      ["us", false, false],
    ]);
    expect(doc.foundations[0].lastSuccess).toBeUndefined();
    // The top-level Cloud Controller is the one whose error is shown.
    expect(doc.cf).toMatchObject({ apiUrl: us.apiUrl, foundation: "us", health: { ok: false } });
    expect(doc.cf.health?.lastError).toMatch(/^foundation us: /);

    const metrics = await (await fetch(`${app.url}/promregatorMetrics`)).text();
    expect(metrics).toMatch(/^promregator_foundation_up\{foundation="us"\} 0$/m);
    expect(metrics).not.toMatch(/foundation="default"/);
    expect(unusedConnections).toBe(0);
  });

  it("names the used foundations in the start-up line, and logs each landscape change with its foundation", async () => {
    const startup = lines().find((l) => l.msg.startsWith("Promregator "));
    expect(startup).toMatchObject({
      foundations: [{ foundation: "us", cfApi: us.apiUrl, cfUser: US_USER.username }],
      unusedFoundations: ["default"],
    });
    expect(startup).not.toHaveProperty("cfApi");

    us.admin.setOutage(undefined);
    await poll("readiness", async () =>
      (await fetch(`${app.url}/ready`)).status === 200 ? true : undefined,
    );
    const groups = (await (await fetch(`${app.url}/discovery`)).json()) as {
      labels: Record<string, string>;
    }[];
    const apps = groups.map((g) => g.labels.__meta_promregator_target_applicationName).filter(Boolean);
    expect(apps).toEqual(["shipping"]);
    expect(lines().filter((l) => l.msg.startsWith("first discovery:"))).toEqual([
      expect.objectContaining({ foundation: "us", instances: 1 }),
    ]);
    expect(unusedConnections).toBe(0);
  });
});
