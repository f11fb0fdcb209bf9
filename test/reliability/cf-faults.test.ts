import { afterEach, describe, expect, it } from "vitest";
import { type FailureSpec, startSimulator } from "../../src/simulator/index.js";
import {
  cfHealth,
  cfLoads,
  expectLastGoodLandscape,
  expectRecovery,
  waitForFailedLoads,
} from "./support/cf-checks.js";
import {
  CF_USER,
  eventually,
  guardUnhandledRejections,
  type Harness,
  sleep,
  smallLandscape,
  startHarness,
} from "./support/harness.js";

guardUnhandledRejections();

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Starts, waits for the first landscape (3 apps x 2 instances + own metrics) and returns its targets. */
async function started(requestTimeoutMs?: number): Promise<{ h: Harness; known: string[] }> {
  h = await startHarness({
    configure: (config) => {
      const timeouts = config.cf.request.timeout;
      if (requestTimeoutMs)
        for (const k of Object.keys(timeouts) as (keyof typeof timeouts)[]) timeouts[k] = requestTimeoutMs;
    },
  });
  await h.app.whenReady();
  const known = await h.discoveryTargets();
  expect(known).toHaveLength(7);
  return { h, known };
}

/** A change to the landscape made while CF fails; visible only once CF answers again. */
function scaleDuringFault(h: Harness): void {
  h.sim.admin.scaleApp(h.sim.admin.findApp("app-c")!.guid, 3);
}

describe("Cloud Controller faults", () => {
  const storms: [string, FailureSpec, RegExp][] = [
    [
      "a 5xx storm",
      { count: 1_000_000, status: 500 },
      /^GET \/v3\/\S+ failed with status 500: UnknownError \(10001\)/,
    ],
    [
      "a load balancer answering 503 (connection limit)",
      { count: 1_000_000, status: 503, kind: "loadBalancer" },
      /^GET \/v3\/\S+ failed with status 503: non-JSON body "<html>/,
    ],
    [
      "connection resets",
      { count: 1_000_000, status: 500, kind: "reset" },
      /^GET \/v3\/\S+ failed: .*(socket|closed|ECONNRESET)/i,
    ],
  ];

  it.each(storms)(
    "%s: last landscape served, one retry per request, one warning per class, recovery",
    async (_, spec, warning) => {
      const { h, known } = await started();
      const before = await cfLoads(h);
      h.sim.admin.resetCounters();
      h.sim.admin.injectFailures(spec);
      scaleDuringFault(h);
      await waitForFailedLoads(h, before.failures, 8);

      await expectLastGoodLandscape(h, known);
      const { ccRequests } = h.sim.admin.counters();
      const after = await cfLoads(h);
      // every load of this small landscape is one request; with its one retry, two. A failed batch of the
      // three apps' processes or routes is split to find the app it fails for: up to 4 requests more, none
      // retried (a 503 says nothing about the apps and is not split).
      const perLoad = spec.status === 500 && spec.kind !== "reset" ? 6 : 2;
      expect(ccRequests).toBeLessThanOrEqual(perLoad * (after.loads - before.loads));
      expect(h.logs.lines().some((l) => l.level === "debug" && /retrying/.test(l.msg))).toBe(true);
      // one warning per failing resource, not one per attempt: at most the six CF list endpoints
      const warned = h.logs.warnings(warning);
      expect(warned.length).toBeGreaterThanOrEqual(1);
      expect(warned.length).toBeLessThanOrEqual(6);
      expect(h.logs.warnings(/could not reload a cache; serving its previous values/).length).toBeGreaterThan(
        0,
      );
      // the status page tells that CF is failing, although the landscape is still served
      const during = await cfHealth(h);
      expect(during.ok).toBe(false);
      expect(during.lastError).toMatch(/^could not reload the \w+ cache: GET \/v3\//);

      const mark = h.logs.mark();
      h.sim.admin.reset();
      await expectRecovery(h, 8);
      expect(h.logs.since(mark).some((l) => l.msg === "Cloud Controller requests succeed again")).toBe(true);
      await eventually("CF health to be ok again", async () => ((await cfHealth(h)).ok ? true : undefined));
    },
  );

  it("requests hanging past cf.request.timeout are abandoned and retried once", async () => {
    const { h, known } = await started(300);
    const before = await cfLoads(h);
    h.sim.admin.resetCounters();
    h.sim.admin.setLatency(1500);
    scaleDuringFault(h);
    await waitForFailedLoads(h, before.failures, 4);

    await expectLastGoodLandscape(h, known);
    const { ccRequests } = h.sim.admin.counters();
    expect(ccRequests).toBeLessThanOrEqual(2 * ((await cfLoads(h)).loads - before.loads));
    expect(
      h.logs.warnings(/^GET \/v3\/\S+ timed out: no complete answer within 300 ms$/).length,
    ).toBeGreaterThan(0);

    h.sim.admin.setLatency(0);
    await expectRecovery(h, 8);
  });

  it("429 with Retry-After: waits as told instead of hammering, and catches up", async () => {
    const { h, known } = await started();
    h.sim.admin.resetCounters();
    h.sim.admin.setRateLimit({ limit: 2, windowSeconds: 1 });
    scaleDuringFault(h);
    await sleep(1500);

    // waiting is not failing: /discovery keeps answering with at least what was known
    expect(await h.discoveryTargets()).toEqual(expect.arrayContaining(known));
    const waits = h.logs.lines().filter((l) => l.msg === "CC rate limit hit, waiting");
    expect(waits.length).toBeGreaterThan(0);
    // Retry-After is 1 s here; the plain backoff would be 20 ms
    for (const w of waits) expect(w.waitMs as number).toBeGreaterThanOrEqual(900);
    // six layers reloading every second, each sending again only after the server's wait: a bounded number
    expect(h.sim.admin.counters().ccRequests).toBeLessThanOrEqual(30);

    h.sim.admin.setRateLimit();
    await expectRecovery(h, 8);
  });

  it("a revoked token is renewed transparently", async () => {
    const { h } = await started();
    const mark = h.logs.mark();
    h.sim.admin.resetCounters();
    h.sim.admin.revokeTokens();
    scaleDuringFault(h);
    await expectRecovery(h, 8);
    expect(h.sim.admin.counters().uaaRequests).toBeGreaterThanOrEqual(1);
    expect(h.logs.since(mark).filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);
  });

  it.each([
    ["answers 503", { count: 1_000_000, status: 503, pathPrefix: "/uaa" }, /^UAA at \S+ answered 503/],
    [
      "resets connections",
      { count: 1_000_000, status: 500, pathPrefix: "/uaa", kind: "reset" },
      /^UAA at \S+ could not be reached for a token/,
    ],
  ] as [string, FailureSpec, RegExp][])(
    "UAA down (%s) after a token revocation",
    async (_, spec, warning) => {
      const { h, known } = await started();
      const before = await cfLoads(h);
      h.sim.admin.resetCounters();
      h.sim.admin.injectFailures(spec);
      h.sim.admin.revokeTokens();
      scaleDuringFault(h);
      await waitForFailedLoads(h, before.failures, 4);

      await expectLastGoodLandscape(h, known);
      expect(h.logs.warnings(warning)).toHaveLength(1);
      // per failed load at most one token attempt: a refresh grant and a new login, each tried twice
      const loads = (await cfLoads(h)).loads - before.loads;
      expect(h.sim.admin.counters().uaaRequests).toBeLessThanOrEqual(4 * loads);

      h.sim.admin.reset();
      await expectRecovery(h, 8);
    },
  );
});

describe("Cloud Controller unreachable", () => {
  it("connection refused while the simulator is down; back once it listens again", async () => {
    h = await startHarness({ simulator: { tls: false } });
    await h.app.whenReady();
    const known = await h.discoveryTargets();
    const before = await cfLoads(h);
    const apiPort = Number(new URL(h.sim.apiUrl).port);
    const routerPort = h.sim.routerAddress.port;
    await h.sim.close();
    await waitForFailedLoads(h, before.failures, 4);

    expect(await h.discoveryTargets()).toEqual(known);
    // the router is down too: the scrape fails cleanly with a reason
    const scrape = await h.get(known[0]);
    expect(scrape.status).toBe(502);
    expect(scrape.text).toMatch(/refused/);
    expect(h.logs.warnings(/^GET \/v3\/\S+ failed: .*ECONNREFUSED/).length).toBeGreaterThan(0);

    const landscape = smallLandscape();
    landscape.orgs[0].spaces[0].apps[2].instances = 3;
    const revived = await startSimulator({ landscape, users: [CF_USER], tls: false, apiPort, routerPort });
    try {
      await expectRecovery(h, 8);
      expect((await h.get(known[0])).status).toBe(200);
    } finally {
      await revived.close();
    }
  });
});
