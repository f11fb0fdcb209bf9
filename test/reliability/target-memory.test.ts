import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { type ChildPromregator, freePort, scratchDir, startChild } from "./support/child.js";
import { CF_USER, guardUnhandledRejections, httpGet } from "./support/harness.js";
import {
  BAD_MODES,
  type BadTarget,
  badLandscape,
  startBadTarget,
  startCanary,
  type TestServer,
} from "./support/servers.js";

guardUnhandledRejections();

const BUDGET_MS = 400;
const SCRAPES = 1000;
const CONCURRENCY = 50;

let canary: TestServer;
let bad: BadTarget;
let sim: RunningSimulator;
let child: ChildPromregator;
const scratch = scratchDir();

beforeAll(async () => {
  canary = await startCanary();
  bad = await startBadTarget(canary.url);
  sim = await startSimulator({ landscape: badLandscape(bad), users: [CF_USER] });
  const port = await freePort();
  const configFile = scratch.file(
    "promregator.yml",
    `cf:
  api_host: ${sim.apiUrl}
  username: ${CF_USER.username}
promregator:
  targets:
    - orgName: rel-org
      protocol: http
  scraping:
    maxProcessingTime: ${BUDGET_MS}
    maxBodySize: 1MB
    proxy: { host: ${sim.routerAddress.host}, port: ${sim.routerAddress.port} }
server: { port: ${port}, address: 127.0.0.1 }
logging:
  level:
    org.cloudfoundry.promregator: error
`,
  );
  child = await startChild({
    configFile,
    url: `http://127.0.0.1:${port}`,
    env: { CF_PASSWORD: CF_USER.password, NODE_EXTRA_CA_CERTS: scratch.file("ca.pem", sim.caPem!) },
  });
}, 30_000);

afterAll(async () => {
  await child?.stop();
  await sim?.close();
  await bad?.close();
  await canary?.close();
  scratch.remove();
});

/**
 * The modes whose scrapes fail: a login page or a body in an unknown content type is passed on for Prometheus
 * to judge, as it judges it when scraping directly (docs/operations.md), so those answer 200.
 */
const FAILING = BAD_MODES.map((mode, index) => ({ mode, index })).filter(
  ({ mode }) => mode !== "html" && mode !== "garbage-type",
);

/** n scrapes spread over every failing mode, `CONCURRENCY` at a time; returns the outcomes by status. */
async function scrapeMany(n: number): Promise<{ outcomes: Map<string, number>; slowestMs: number }> {
  const appGuid = sim.admin.findApp("bad")!.guid;
  const outcomes = new Map<string, number>();
  let slowestMs = 0;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const { index } = FAILING[next++ % FAILING.length];
      const started = performance.now();
      const outcome = await httpGet(child.url, `/singleTargetMetrics/${appGuid}/${index}`).then(
        (a) => String(a.status),
        () => "incomplete",
      );
      slowestMs = Math.max(slowestMs, performance.now() - started);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { outcomes, slowestMs };
}

describe("memory under misbehaving targets (separate process)", () => {
  it(`${SCRAPES} failing scrapes, after as many to warm up, grow the resident set by less than 25 MB`, async () => {
    // Warm-up: pools, JIT, and the heap grown to its working size, which alone took 24-59 MB of RSS over the
    // first thousand scrapes; after that, further thousands moved it by -8 to +5 MB.
    await scrapeMany(SCRAPES);
    const before = child.rssMb();
    const { outcomes, slowestMs } = await scrapeMany(SCRAPES);
    const after = child.rssMb();

    // every scrape failed visibly: an error status or an incomplete body, never a 200
    expect(outcomes.get("200")).toBeUndefined();
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(SCRAPES);
    expect(outcomes.get("504")).toBeGreaterThan(0);
    expect(outcomes.get("502")).toBeGreaterThan(0); // a failed target answers 502
    expect(outcomes.get("incomplete")).toBeGreaterThan(0);
    expect(slowestMs).toBeLessThan(3 * BUDGET_MS + 2000);
    expect(after - before).toBeLessThan(25);
    expect(canary.requests).toEqual([]);
  }, 90_000);
});
