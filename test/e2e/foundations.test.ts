import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrapeJobYaml } from "../../src/prometheus-config.js";
import { type LandscapeSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { freePort, prometheusAvailable, type RunningPrometheus, startPrometheus } from "./prometheus.js";
import { type PromregatorProcess, startPromregatorProcess } from "./promregator-process.js";

const EU_USER = { username: "eu-user", password: "eu-secret" };
const US_USER = { username: "us-user", password: "us-secret" };

function landscape(region: string, apps: { name: string; instances: number }[]): LandscapeSpec {
  return {
    domains: [{ name: `apps.${region}.example.org` }],
    orgs: [{ name: `${region}-org`, spaces: [{ name: "prod", apps }] }],
  };
}

/** Two foundations, each with its own Cloud Controller, UAA and router (its routes only reachable through it). */
function yaml(eu: RunningSimulator, us: RunningSimulator, port: number): string {
  return `
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
      timeout: { org: 500, space: 500, appInSpace: 500, domain: 500, route: 500, process: 500 }
      backoff: 50
    # Short cache lives, so that the outage is noticed by the next refreshes, not after minutes.
    cache:
      timeout: { org: 1, space: 1, application: 1, domain: 1, route: 1, process: 1, resolver: 1 }
    scraping:
      proxy: { host: ${us.routerAddress.host}, port: ${us.routerAddress.port} }
promregator:
  targets:
    - orgName: eu-org
      protocol: http
    - orgName: us-org
      protocol: http
      foundation: us
  scraping:
    proxy: { host: ${eu.routerAddress.host}, port: ${eu.routerAddress.port} }
  discovery:
    hostname: 127.0.0.1
    port: ${port}
server:
  port: ${port}
  address: 127.0.0.1
`;
}

describe.skipIf(!prometheusAvailable)("several foundations end to end with a real Prometheus", () => {
  let eu: RunningSimulator;
  let us: RunningSimulator;
  let promregator: PromregatorProcess;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    eu = await startSimulator({
      landscape: landscape("eu", [
        { name: "orders", instances: 2 },
        { name: "billing", instances: 1 },
      ]),
      users: [EU_USER],
    });
    us = await startSimulator({
      landscape: landscape("us", [{ name: "shipping", instances: 2 }]),
      users: [US_USER],
    });
    const port = await freePort();
    promregator = await startPromregatorProcess({
      yaml: yaml(eu, us, port),
      port,
      // Each simulator has its own self-signed CA; both are trusted.
      caPem: `${eu.caPem}\n${us.caPem}`,
    });
    prometheus = await startPrometheus(
      scrapeJobYaml({
        jobName: "cf",
        promregatorUrl: promregator.url,
        refreshInterval: "1s",
        foundationLabel: true,
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await promregator?.kill();
    await eu?.close();
    await us?.close();
  });

  const id = (sim: RunningSimulator, app: string, index: number) =>
    `${sim.admin.findApp(app)?.guid}:${index}`;

  it("scrapes both foundations, each series labelled with its foundation, and takes one down without touching the other", async () => {
    const euInstances = [id(eu, "orders", 0), id(eu, "orders", 1), id(eu, "billing", 0)];
    const usInstances = [id(us, "shipping", 0), id(us, "shipping", 1)];
    const series = await prometheus.waitFor("app series of both foundations", async () => {
      const r = await prometheus.query('sim_instance_info{job="cf"}');
      return r.length === 5 ? r : undefined;
    });
    const foundationOf = new Map(series.map((s) => [s.metric.instance, s.metric.cf_foundation]));
    for (const instance of euInstances) expect(foundationOf.get(instance), instance).toBe("eu");
    for (const instance of usInstances) expect(foundationOf.get(instance), instance).toBe("us");
    // The series of a foundation's instance came through that foundation's router: the app names match.
    for (const s of series) expect(s.metric.app_name).toBe(s.metric.app);

    const healthy = await prometheus.waitFor("both foundations up in the own metrics", async () => {
      const r = await prometheus.query('promregator_foundation_up{job="cf"}');
      return r.length === 2 && r.every((s) => s.value[1] === "1") ? r : undefined;
    });
    expect(healthy.map((s) => s.metric.foundation).sort()).toEqual(["eu", "us"]);

    // The us foundation goes away entirely: Cloud Controller, UAA and router.
    await us.close();
    const downAt = Date.now();
    await prometheus.waitFor(
      "us reported down",
      async () => {
        const r = await prometheus.query('promregator_foundation_up{job="cf",foundation="us"}');
        return r.length === 1 && r[0].value[1] === "0" ? r : undefined;
      },
      45_000,
    );
    const after = await prometheus.waitFor(
      "fresh scrapes of every eu instance after the outage",
      async () => {
        const targets = (await prometheus.targets()).filter((t) => t.scrapePool === "cf");
        const fresh = targets.filter(
          (t) => euInstances.includes(t.labels.instance) && Date.parse(t.lastScrape) > downAt + 1000,
        );
        return fresh.length === euInstances.length ? targets : undefined;
      },
    );
    for (const t of after.filter((t) => euInstances.includes(t.labels.instance))) {
      expect(t.health, t.labels.instance).toBe("up");
      expect(t.labels.cf_foundation).toBe("eu");
    }
    // The us instances stay discovered (last good) and are now failing scrapes, not silently gone.
    const usTargets = after.filter((t) => usInstances.includes(t.labels.instance));
    expect(usTargets.map((t) => t.labels.instance).sort()).toEqual([...usInstances].sort());
    const eventually = await prometheus.waitFor("us targets down", async () => {
      const targets = (await prometheus.targets()).filter((t) => usInstances.includes(t.labels.instance));
      return targets.length === 2 && targets.every((t) => t.health === "down") ? targets : undefined;
    });
    expect(eventually).toHaveLength(2);
    const euUp = await prometheus.query('promregator_foundation_up{job="cf",foundation="eu"}');
    expect(euUp[0]?.value[1]).toBe("1");

    const status = (await (await fetch(`${promregator.url}/status.json`)).json()) as {
      ready: boolean;
      foundations: { name: string; ok: boolean; instances: number; lastError?: string }[];
    };
    expect(status.ready).toBe(true);
    expect(status.foundations.map((f) => [f.name, f.ok, f.instances])).toEqual([
      ["eu", true, 3],
      ["us", false, 2],
    ]);
    expect(status.foundations[1].lastError).toBeTruthy();
  }, 120_000);
});

describe("a foundation whose Cloud Controller hangs from the start", () => {
  let eu: RunningSimulator;
  let us: RunningSimulator;
  let promregator: PromregatorProcess | undefined;

  beforeAll(async () => {
    eu = await startSimulator({
      landscape: landscape("eu", [{ name: "orders", instances: 2 }]),
      users: [EU_USER],
    });
    us = await startSimulator({
      landscape: landscape("us", [{ name: "shipping", instances: 2 }]),
      users: [US_USER],
    });
    // Accepts every request of the us API and never answers.
    us.admin.setOutage("hang");
  }, 30_000);

  afterAll(async () => {
    await promregator?.kill();
    await eu?.close();
    await us?.close();
  });

  it("does not hold /ready: the process is ready with the other foundation's landscape after the grace", async () => {
    const port = await freePort();
    // Generous timeouts for us (as for a big foundation): its first refresh ends long after the start deadline.
    const slow = yaml(eu, us, port)
      .replace(
        "timeout: { org: 500, space: 500, appInSpace: 500, domain: 500, route: 500, process: 500 }",
        "timeout: { org: 60000, space: 60000, appInSpace: 60000, domain: 60000, route: 60000, process: 60000 }",
      )
      .replace("    request:\n", "    watchdog: { timeout: 60000 }\n    request:\n");
    expect(slow).toContain("watchdog: { timeout: 60000 }");
    // startPromregatorProcess waits at most 20 s for /ready to answer 200.
    promregator = await startPromregatorProcess({ yaml: slow, port, caPem: `${eu.caPem}\n${us.caPem}` });
    const status = (await (await fetch(`${promregator.url}/status.json`)).json()) as {
      ready: boolean;
      foundations: { name: string; ok: boolean; instances: number; lastError?: string }[];
      discovery: { targets: { targetIndex: number; instances: number; problem?: string }[] };
    };
    expect(status.ready).toBe(true);
    expect(status.foundations.map((f) => [f.name, f.ok, f.instances])).toEqual([
      ["eu", true, 2],
      ["us", false, 0],
    ]);
    expect(status.discovery.targets.map((t) => [t.targetIndex, t.instances, t.problem])).toEqual([
      [0, 2, undefined],
      [1, 0, "foundation us has not completed its first discovery"],
    ]);
    expect(promregator.output()).toContain(
      "ready before the first discovery of every foundation ended: their targets join when it completes",
    );
  }, 60_000);
});
