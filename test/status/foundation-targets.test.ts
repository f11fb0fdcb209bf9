import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningPromregator, startPromregator } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import { type LandscapeSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { captureLogger } from "../discovery/config.js";

const EU_USER = { username: "eu", password: "eu-pw" };
const US_USER = { username: "us", password: "us-pw" };
/** One app guid that both Cloud Controllers list (as after copying a CC database). */
const SHARED_GUID = "4f1b2a3c-0000-4000-8000-00000000c0de";

function landscape(region: string, apps: { name: string; guid?: string }[]): LandscapeSpec {
  return {
    domains: [{ name: `apps.${region}.example.org` }],
    orgs: [
      { name: `${region}-org`, spaces: [{ name: "prod", apps: apps.map((a) => ({ ...a, instances: 1 })) }] },
    ],
  };
}

/**
 * Targets 0 and 1 belong to eu (the cf block), 2 and 3 to us: us numbers them 0 and 1 internally, while the
 * configuration, the status page and the log lines must all say 2 and 3.
 */
describe("targets of several foundations", () => {
  let eu: RunningSimulator;
  let us: RunningSimulator;
  let app: RunningPromregator;
  const { logger, lines } = captureLogger();

  beforeAll(async () => {
    eu = await startSimulator({
      landscape: landscape("eu", [{ name: "orders", guid: SHARED_GUID }]),
      users: [EU_USER],
    });
    us = await startSimulator({
      landscape: landscape("us", [{ name: "orders-copy", guid: SHARED_GUID }, { name: "shipping" }]),
      users: [US_USER],
    });
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
promregator:
  targets:
    - orgName: eu-org
    - orgName: eu-org
      applicationName: nothing-here
    - orgName: us-org
      foundation: us
    - orgName: no-such-org
      foundation: us
  discovery: { hostname: 127.0.0.1, port: 9999 }
server: { port: 0, address: 127.0.0.1 }
`,
    });
    app = await startPromregator({ config, logger, cfCa: `${eu.caPem}\n${us.caPem}`, env: {} });
    await app.whenReady();
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    await eu?.close();
    await us?.close();
  });

  it("number targets in log lines as the configuration does, with the foundation named", () => {
    const empty = lines().filter((l) => l.msg === "a configured target matches no app instance");
    const byTarget = empty.map((l) => [l.foundation, l.target]).sort((a, b) => Number(a[1]) - Number(b[1]));
    expect(byTarget).toEqual([
      ["eu", 1],
      ["us", 3],
    ]);
  });

  it("name their foundation on the status page and in the log, before and after discovery", async () => {
    const doc = (await (await fetch(`${app.url}/status.json`)).json()) as {
      discovery: { targets: { targetIndex: number; description: string }[] };
    };
    expect(doc.discovery.targets.map((t) => [t.targetIndex, t.description])).toEqual([
      [0, "foundation=eu org=eu-org space=* app=*"],
      [1, "foundation=eu org=eu-org space=* app=nothing-here"],
      [2, "foundation=us org=us-org space=* app=*"],
      [3, "foundation=us org=no-such-org space=* app=*"],
    ]);
    const html = await (await fetch(`${app.url}/`)).text();
    expect(html).toContain("<code>foundation=us org=us-org space=* app=*</code>");
    const empty = lines().find(
      (l) => l.msg === "a configured target matches no app instance" && l.target === 3,
    );
    expect(empty?.description).toBe("foundation=us org=no-such-org space=* app=*");
  });

  it("show an app guid found in two foundations on both target rows, counting only the served instances", async () => {
    const doc = (await (await fetch(`${app.url}/status.json`)).json()) as {
      discovery: {
        targets: {
          targetIndex: number;
          instances: number;
          problem?: string;
          why?: { kind: string; text: string };
        }[];
      };
      instances: { instanceId: string; foundation?: string }[];
    };
    const [eu0, , us2] = doc.discovery.targets;
    expect(
      doc.instances.filter((i) => i.instanceId.startsWith(SHARED_GUID)).map((i) => i.foundation),
    ).toEqual(["eu"]);
    expect(eu0.instances).toBe(1);
    expect(eu0.problem).toBe(
      `app orders (guid ${SHARED_GUID}) is also found in foundation us (target 2, app orders-copy); only this foundation's instances are served`,
    );
    expect(eu0.why).toEqual({ kind: "same-app-guid", text: "same app guid in two foundations" });
    // us's target lists shipping (served) and orders-copy (served from eu): one instance of its own.
    expect(us2.instances).toBe(1);
    expect(us2.problem).toBe(
      `app orders-copy (guid ${SHARED_GUID}) is also found in foundation eu (target 0, app orders), whose instances are served instead`,
    );
    expect(us2.why?.kind).toBe("same-app-guid");
    const html = await (await fetch(`${app.url}/`)).text();
    expect(html).toContain("same app guid in two foundations");
  });
});
