/**
 * The high-availability set-up of the Java documentation, literally: two Promregator processes run as the
 * instances of CF app promOrg/promSpace/promApplication, reached through the (simulated) CF router, with
 * ownMetricsEndpoint false and a target that scrapes promApplication's /promregatorMetrics like any other app.
 */
import { get } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { scrapeJobYaml } from "../../src/prometheus-config.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { freePort, prometheusAvailable, type RunningPrometheus, startPrometheus } from "./prometheus.js";
import { type PromregatorProcess, startPromregatorProcess } from "./promregator-process.js";

const CF_USER = { username: "ha", password: "ha-cf-secret" };
const INBOUND = { username: "promregator", password: "ha-inbound-secret" };
const PROM_HOST = "promapplication.apps.example.org";

interface Variant {
  honorLabels: boolean;
  labelNamePrefix?: string;
  metricsAuth?: boolean;
}

interface HaSetup {
  sim: RunningSimulator;
  promregators: PromregatorProcess[];
  prometheus: RunningPrometheus;
  promAppGuid: string;
}

let running: HaSetup | undefined;
afterEach(async () => {
  if (!running) return;
  await running.prometheus.stop();
  await Promise.all(running.promregators.map((p) => p.kill()));
  await running.sim.close();
  running = undefined;
});

function promregatorYaml(sim: RunningSimulator, port: number, v: Variant): string {
  const selfTarget = [
    "    - orgName: promOrg",
    "      spaceName: promSpace",
    "      applicationName: promApplication",
    "      protocol: http",
    "      path: /promregatorMetrics",
    ...(v.metricsAuth ? ["      authenticatorId: self"] : []),
  ].join("\n");
  return `
cf:
  api_host: ${sim.apiUrl}
  username: ${CF_USER.username}
promregator:
  targets:
    - orgName: appOrg
      spaceName: appSpace
      protocol: http
${selfTarget}
  targetAuthenticators:
    - id: self
      type: basic
      basic:
        username: ${INBOUND.username}
        password: ${INBOUND.password}
  authentication:
    basic:
      username: ${INBOUND.username}
      password: ${INBOUND.password}
  metrics:
    auth: ${v.metricsAuth ? "BASIC" : "NONE"}
${v.labelNamePrefix ? `    labelNamePrefix: ${v.labelNamePrefix}` : ""}
  discovery:
    ownMetricsEndpoint: false
    hostname: ${PROM_HOST}
    port: 80
  scraping:
    proxy:
      host: ${sim.routerAddress.host}
      port: ${sim.routerAddress.port}
server:
  port: ${port}
  address: 127.0.0.1
`;
}

async function startHa(v: Variant): Promise<HaSetup> {
  const ports = [await freePort(), await freePort()];
  const sim = await startSimulator({
    users: [CF_USER],
    landscape: {
      domains: [{ name: "apps.example.org" }],
      orgs: [
        {
          name: "promOrg",
          spaces: [
            {
              name: "promSpace",
              apps: [
                {
                  name: "promApplication",
                  instances: 2,
                  routes: [PROM_HOST],
                  instanceBehaviour: {
                    0: { upstream: `http://127.0.0.1:${ports[0]}` },
                    1: { upstream: `http://127.0.0.1:${ports[1]}` },
                  },
                },
              ],
            },
          ],
        },
        { name: "appOrg", spaces: [{ name: "appSpace", apps: [{ name: "worker", instances: 2 }] }] },
      ],
    },
  });
  const promregators = await Promise.all(
    ports.map((port) =>
      startPromregatorProcess({
        yaml: promregatorYaml(sim, port, v),
        port,
        caPem: sim.caPem,
        env: { CF_PASSWORD: CF_USER.password },
      }),
    ),
  );
  // Prometheus reaches Promregator only through the router, by its CF route, like on a real foundation.
  const proxy = `http://${sim.routerAddress.host}:${sim.routerAddress.port}`;
  const job = scrapeJobYaml({
    jobName: "cf",
    promregatorUrl: `http://${PROM_HOST}`,
    refreshInterval: "1s",
    honorLabels: v.honorLabels,
    basicAuth: v.metricsAuth ? INBOUND : undefined,
  })
    .replace("      - url: http://", `      - proxy_url: ${proxy}\n        url: http://`)
    .replace("    relabel_configs:", `    proxy_url: ${proxy}\n    relabel_configs:`);
  const prometheus = await startPrometheus(job);
  const promAppGuid = sim.admin.findApp("promApplication")!.guid;
  running = { sim, promregators, prometheus, promAppGuid };
  return running;
}

/** A request to a CF route through the router, by Host header (fetch cannot set Host). */
function getThroughRouter(sim: RunningSimulator, host: string, path: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    get({ host: sim.routerAddress.host, port: sim.routerAddress.port, path, headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

/** Counters Prometheus keeps for samples it had to drop; all must stay 0. */
const DROPPED_SAMPLE_COUNTERS = [
  "prometheus_target_scrapes_sample_duplicate_timestamp_total",
  "prometheus_target_scrapes_sample_out_of_order_total",
  "prometheus_target_scrapes_sample_out_of_bounds_total",
  "prometheus_target_scrapes_exceeded_sample_limit_total",
  "prometheus_target_scrapes_exemplar_out_of_order_total",
];

async function assertNothingDropped(prometheus: RunningPrometheus) {
  const self = await (await fetch(`${prometheus.url}/metrics`)).text();
  for (const name of DROPPED_SAMPLE_COUNTERS) {
    const line = self.split("\n").find((l) => l.startsWith(`${name} `));
    expect(line, name).toBeDefined();
    expect(Number(line!.split(" ")[1]), name).toBe(0);
  }
  expect(prometheus.log()).not.toMatch(/is not unique/);
  expect(prometheus.log()).not.toMatch(/invalid sample/);
}

/** Both Promregator instances scraped as ordinary targets, each identified by its CF instance number. */
async function bothInstancesScraped(ha: HaSetup) {
  const { prometheus, promAppGuid } = ha;
  const info = await prometheus.waitFor("promregator_info from both instances", async () => {
    const r = await prometheus.query(`promregator_info{app_name="promApplication"}`);
    return r.length === 2 ? r : undefined;
  });
  expect(info.map((s) => s.metric.cf_instance_number).sort()).toEqual(["0", "1"]);
  expect(info.map((s) => s.metric.instance).sort()).toEqual([`${promAppGuid}:0`, `${promAppGuid}:1`]);
  // Two different processes answered, not the same one twice.
  expect(new Set(info.map((s) => s.metric.instance_id)).size).toBe(2);
  await prometheus.waitFor("all four targets (2 workers, 2 Promregators) up", async () => {
    const up = await prometheus.query('up{job="cf"}');
    return up.length === 4 && up.every((s) => s.value[1] === "1") ? true : undefined;
  });
}

describe.skipIf(!prometheusAvailable)("high availability set-up (ha-setup.md)", () => {
  it("with honor_labels: Promregator's own per-target labels win, nothing is dropped", async () => {
    const ha = await startHa({ honorLabels: true });
    await bothInstancesScraped(ha);
    const sizes = await ha.prometheus.waitFor("request size series about the worker app", async () => {
      const r = await ha.prometheus.query('promregator_request_size_bytes_count{app_name="worker"}');
      return r.length > 0 ? r : undefined;
    });
    // honor_labels keeps the scraped app's name, so these series describe "worker", not the Promregator app.
    expect(sizes.every((s) => s.metric.org_name === "appOrg")).toBe(true);
    await assertNothingDropped(ha.prometheus);
  });

  it("with labelNamePrefix: both label sets survive side by side", async () => {
    const ha = await startHa({ honorLabels: false, labelNamePrefix: "target_" });
    await bothInstancesScraped(ha);
    const sizes = await ha.prometheus.waitFor("prefixed request size series", async () => {
      const r = await ha.prometheus.query('promregator_request_size_bytes_count{target_app_name="worker"}');
      return r.length > 0 ? r : undefined;
    });
    for (const s of sizes) {
      expect(s.metric.app_name).toBe("promApplication");
      expect(s.metric.target_org_name).toBe("appOrg");
      expect(["0", "1"]).toContain(s.metric.cf_instance_number);
    }
    await assertNothingDropped(ha.prometheus);
  });

  it("with metrics.auth BASIC and an authenticatorId on the self target; survives losing one instance", async () => {
    const ha = await startHa({ honorLabels: false, labelNamePrefix: "target_", metricsAuth: true });
    await bothInstancesScraped(ha);
    await assertNothingDropped(ha.prometheus);

    // Instance 0 dies; CF notices (health check) and takes it out of the router.
    await ha.promregators[0].kill("SIGKILL");
    ha.sim.admin.setInstanceBehaviour(ha.promAppGuid, 0, { state: "CRASHED" });

    await ha.prometheus.waitFor("only the dead Promregator to be down", async () => {
      const targets = (await ha.prometheus.targets()).filter((t) => t.scrapePool === "cf");
      const byInstance = new Map(targets.map((t) => [t.labels.instance, t.health]));
      const worker = ha.sim.admin.findApp("worker")!.guid;
      const expected: [string, string][] = [
        [`${ha.promAppGuid}:0`, "down"],
        [`${ha.promAppGuid}:1`, "up"],
        [`${worker}:0`, "up"],
        [`${worker}:1`, "up"],
      ];
      return targets.length === 4 && expected.every(([id, h]) => byInstance.get(id) === h) ? true : undefined;
    });
    // Discovery keeps being served by the survivor through the router.
    const sd = await getThroughRouter(ha.sim, PROM_HOST, "/discovery");
    expect(sd.status).toBe(200);
    expect((JSON.parse(sd.body) as unknown[]).length).toBe(4);
  });
});
