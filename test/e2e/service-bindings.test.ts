import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrapeJobYaml } from "../../src/prometheus-config.js";
import { type LandscapeSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { freePort, prometheusAvailable, type RunningPrometheus, startPrometheus } from "./prometheus.js";
import { type PromregatorProcess, startPromregatorProcess } from "./promregator-process.js";

const ADMIN = { username: "e2e-admin", password: "e2e-admin-pw" };
const AUDITOR = { username: "e2e-auditor", password: "e2e-auditor-pw" };
const APP_PASSWORD = "b1nd1ng-pa55word-e2e";
const ORG = "bind-org";
const SPACE = "bind-space";
const BROKER_SPACE = "broker-space";
const BROKER_PASSWORD = "br0ker-db-pa55word-e2e";

/** Apps that opt in by binding "metrics-endpoint", and apps that do not. */
const landscape: LandscapeSpec = {
  domains: [{ name: "apps.example.org" }],
  orgs: [
    {
      name: ORG,
      spaces: [
        {
          name: SPACE,
          apps: [
            {
              name: "secured-app",
              instances: 2,
              metricsPath: "/internal/prometheus",
              behaviour: { auth: { basic: { username: "scraper", password: APP_PASSWORD } } },
            },
            { name: "path-app", instances: 1, metricsPath: "/other/metrics" },
            { name: "unbound-app", instances: 1 },
            { name: "db-user-app", instances: 1 },
          ],
        },
        {
          // A service broker's instance named like the opt-in one; its app accepts the broker's database user.
          name: BROKER_SPACE,
          apps: [
            {
              name: "db-app",
              instances: 1,
              behaviour: { auth: { basic: { username: "db-user", password: BROKER_PASSWORD } } },
            },
          ],
        },
      ],
    },
  ],
  serviceInstances: [
    {
      name: "metrics-endpoint",
      space: `${ORG}/${SPACE}`,
      bindings: [
        {
          app: "secured-app",
          credentials: { path: "/internal/prometheus", username: "scraper", password: APP_PASSWORD },
        },
        { app: "path-app", credentials: { path: "/other/metrics" } },
      ],
    },
    { name: "db", space: `${ORG}/${SPACE}`, bindings: ["db-user-app"] },
    {
      name: "metrics-endpoint",
      type: "managed",
      space: `${ORG}/${BROKER_SPACE}`,
      credentials: { username: "db-user", password: BROKER_PASSWORD },
      bindings: ["db-app"],
    },
  ],
  auditors: [AUDITOR.username],
};

function promregatorYaml(sim: RunningSimulator, port: number, user: { username: string; password: string }) {
  return `
cf:
  api_host: ${sim.apiUrl}
  username: ${user.username}
  password: ${user.password}
promregator:
  targets:
    - orgName: ${ORG}
      serviceInstanceName: metrics-endpoint
      protocol: http
  serviceBindings:
    credentials: path-and-basic-auth
  scraping:
    proxy:
      host: ${sim.routerAddress.host}
      port: ${sim.routerAddress.port}
  discovery:
    hostname: 127.0.0.1
    port: ${port}
    ownMetricsEndpoint: false
server:
  port: ${port}
  address: 127.0.0.1
logging:
  level:
    org.cloudfoundry.promregator: debug
`;
}

async function fetchText(url: string, method: "GET" | "POST" = "GET"): Promise<string> {
  const res = await request(url, { method });
  return res.body.text();
}

interface StatusTarget {
  instances: number;
  problem?: string;
  why?: { kind: string };
}

async function statusTarget(promregator: PromregatorProcess): Promise<StatusTarget> {
  const doc = JSON.parse(await fetchText(`${promregator.url}/status.json`)) as {
    discovery: { targets: StatusTarget[] };
  };
  return doc.discovery.targets[0];
}

describe.skipIf(!prometheusAvailable)("targets by service binding, end to end with a real Prometheus", () => {
  let sim: RunningSimulator;
  let promregator: PromregatorProcess;
  let auditorPromregator: PromregatorProcess;
  let prometheus: RunningPrometheus;
  const guidOf = (name: string) => sim.admin.findApp(name)?.guid ?? "";

  beforeAll(async () => {
    sim = await startSimulator({ landscape, users: [ADMIN, AUDITOR] });
    const [port, auditorPort] = [await freePort(), await freePort()];
    [promregator, auditorPromregator] = await Promise.all([
      startPromregatorProcess({ yaml: promregatorYaml(sim, port, ADMIN), port, caPem: sim.caPem }),
      startPromregatorProcess({
        yaml: promregatorYaml(sim, auditorPort, AUDITOR),
        port: auditorPort,
        caPem: sim.caPem,
      }),
    ]);
    prometheus = await startPrometheus(
      [
        scrapeJobYaml({ jobName: "bound", promregatorUrl: promregator.url, refreshInterval: "1s" }),
        scrapeJobYaml({ jobName: "auditor", promregatorUrl: auditorPromregator.url, refreshInterval: "1s" }),
      ].join("\n"),
    );
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([promregator?.kill(), auditorPromregator?.kill()]);
    await sim?.close();
  });

  it("scrapes only the bound apps, at the binding's path and with its Basic credentials", async () => {
    const expected = [`${guidOf("secured-app")}:0`, `${guidOf("secured-app")}:1`, `${guidOf("path-app")}:0`];
    const up = await prometheus.waitFor("the bound instances up", async () => {
      const result = await prometheus.query('up{job="bound"}');
      return result.length === expected.length && result.every((r) => r.value[1] === "1")
        ? result
        : undefined;
    });
    expect(up.map((r) => r.metric.instance).sort()).toEqual(expected.sort());
    // The apps answered with their own series: path and password reached them.
    const series = await prometheus.waitFor("app series", async () => {
      const r = await prometheus.query('sim_instance_info{job="bound"}');
      return r.length === 3 ? r : undefined;
    });
    expect(new Set(series.map((s) => s.metric.app))).toEqual(new Set(["secured-app", "path-app"]));
    const targets = (await prometheus.targets()).filter((t) => t.scrapePool === "bound");
    expect(targets.every((t) => t.health === "up")).toBe(true);
  });

  it("picks up an app that opts in later, once the targets are resolved again", async () => {
    const unbound = guidOf("unbound-app");
    const instance = sim.admin.findServiceInstance("metrics-endpoint");
    if (!instance) throw new Error("no metrics-endpoint instance");
    const binding = sim.admin.bindService(instance, unbound);
    try {
      await fetchText(`${promregator.url}/cache/invalidate?resolver=1`, "POST");
      await prometheus.waitFor("the newly bound app up", async () => {
        const r = await prometheus.query(`up{job="bound",instance="${unbound}:0"}`);
        return r.length === 1 && r[0].value[1] === "1" ? r : undefined;
      });
    } finally {
      sim.admin.unbindService(binding);
    }
  });

  it("for an auditor, who may not read credentials, scrapes as the target says and the status page says why", async () => {
    const target = await statusTarget(auditorPromregator);
    expect(target.instances).toBe(3);
    expect(target.why?.kind).toBe("service-binding");
    expect(target.problem).toContain("credentials not read");
    expect(target.problem).toContain("404");
    // Without the binding's path and password the apps answer 401 and 404: Prometheus sees them down.
    const up = await prometheus.waitFor("the auditor's targets scraped", async () => {
      const result = await prometheus.query('up{job="auditor"}');
      return result.length === 3 ? result : undefined;
    });
    expect(up.every((r) => r.value[1] === "0")).toBe(true);
  });

  it("leaves out the app bound to a managed instance of that name and never sends it the broker's credentials", async () => {
    const target = await statusTarget(promregator);
    expect(target.problem).toContain(`${ORG}/${BROKER_SPACE}/db-app`);
    expect(target.problem).toContain("its service instance is a managed one");
    const discovery = await fetchText(`${promregator.url}/discovery`);
    expect(discovery).not.toContain(guidOf("db-app"));
    const seen = await prometheus.query(`up{instance="${guidOf("db-app")}:0"}`);
    expect(seen).toEqual([]);
  });

  it("never shows the binding's password: not in the log, /discovery, /status.json or the status page", async () => {
    const encoded = Buffer.from(`scraper:${APP_PASSWORD}`).toString("base64");
    for (const body of [promregator.output(), auditorPromregator.output()]) {
      expect(body).not.toContain(BROKER_PASSWORD);
    }
    const pages = await Promise.all(
      ["/discovery", "/status.json", "/"].map((path) => fetchText(`${promregator.url}${path}`)),
    );
    for (const body of [...pages, promregator.output(), auditorPromregator.output()]) {
      expect(body).not.toContain(APP_PASSWORD);
      expect(body).not.toContain(encoded);
    }
    expect(pages[1]).toContain('bound to \\"metrics-endpoint\\"');
  });
});
