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
});
