/**
 * The scale-out set-up of docs/scaling.md, with the configuration blocks of that document: two Promregator
 * processes as the two instances of one CF app behind the (simulated) router, two real Prometheus servers each
 * keeping one hashmod shard of the same /discovery, reached only through the router. One Promregator is killed
 * half-way, before CF notices: the router's retry on another backend keeps discovery and every scrape working.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { isPrometheusConfig, yamlBlocks } from "./doc-configs.js";
import {
  freePort,
  prometheusAvailable,
  promtoolCheckConfig,
  type RunningPrometheus,
  startPrometheusWithConfig,
} from "./prometheus.js";
import { type PromregatorProcess, startPromregatorProcess } from "./promregator-process.js";

const DOC = "docs/scaling.md";
const blocks = yamlBlocks([DOC]);
const shardBlocks = blocks.filter((b) => isPrometheusConfig(b.text));
const promregatorBlock = blocks.find((b) => /^cf:/m.test(b.text));

const CF_USER = { username: "promregator-monitoring", password: "scale-out-cf-secret" };
const APPS = [
  { name: "checkout", instances: 3 },
  { name: "catalog", instances: 4 },
  { name: "payments", instances: 2 },
  { name: "search", instances: 3 },
];

interface PromregatorYaml {
  cf: Record<string, unknown>;
  promregator: { discovery: Record<string, unknown>; targets: { orgName: string; spaceName: string }[] };
  [key: string]: unknown;
}

interface PrometheusYaml {
  scrape_configs: { proxy_url?: string; http_sd_configs: { url: string; proxy_url?: string }[] }[];
  [key: string]: unknown;
}

/**
 * The documented promregator.yml on the simulated foundation: its CF API, the router as the way to the apps
 * (a real foundation resolves app routes by DNS), plain HTTP to the router (the simulated one has no TLS), and
 * the port the process listens on.
 */
function promregatorYamlFor(sim: RunningSimulator, port: number): string {
  const config = parse(promregatorBlock!.text) as PromregatorYaml;
  config.cf.api_host = sim.apiUrl;
  config.promregator.discovery.port = 80;
  for (const target of config.promregator.targets) Object.assign(target, { protocol: "http" });
  Object.assign(config.promregator, {
    scraping: { proxy: { host: sim.routerAddress.host, port: sim.routerAddress.port } },
  });
  config.server = { port, address: "127.0.0.1" };
  return stringify(config);
}

/** A documented shard's prometheus.yml, reaching the app route through the simulated router over plain HTTP. */
function shardYamlFor(sim: RunningSimulator, text: string): string {
  const config = parse(text) as PrometheusYaml;
  const proxy = `http://${sim.routerAddress.host}:${sim.routerAddress.port}`;
  config.global = { scrape_interval: "1s", scrape_timeout: "1s" };
  for (const job of config.scrape_configs) {
    job.proxy_url = proxy;
    for (const sd of job.http_sd_configs) {
      sd.url = sd.url.replace(/^https:/, "http:");
      Object.assign(sd, { proxy_url: proxy, refresh_interval: "1s" });
    }
  }
  return stringify(config);
}

/** The `instance` labels of the successful `up` series of a server. */
async function scrapedInstances(prometheus: RunningPrometheus): Promise<Set<string>> {
  const up = await prometheus.query('up{job="promregator"} == 1');
  return new Set(up.map((s) => s.metric.instance));
}

async function counter(prometheus: RunningPrometheus, expr: string): Promise<number> {
  return (await prometheus.query(expr)).reduce((sum, s) => sum + Number(s.value[1]), 0);
}

describe.skipIf(!prometheusAvailable)(
  "scale-out: two Promregators, two hashmod shards (docs/scaling.md)",
  () => {
    let sim: RunningSimulator;
    let promregators: PromregatorProcess[] = [];
    let shards: RunningPrometheus[] = [];
    let allInstances: Set<string>;

    beforeAll(async () => {
      const ports = [await freePort(), await freePort()];
      sim = await startSimulator({
        users: [CF_USER],
        landscape: {
          domains: [{ name: "apps.example.com" }],
          orgs: [
            {
              name: "promOrg",
              spaces: [
                {
                  name: "promSpace",
                  apps: [
                    {
                      name: "promregator",
                      instances: 2,
                      routes: ["promregator.apps.example.com"],
                      instanceBehaviour: Object.fromEntries(
                        ports.map((port, i) => [i, { upstream: `http://127.0.0.1:${port}` }]),
                      ),
                    },
                  ],
                },
              ],
            },
            { name: "myorg", spaces: [{ name: "production", apps: APPS }] },
          ],
        },
      });
      allInstances = new Set(
        APPS.flatMap(({ name, instances }) =>
          Array.from({ length: instances }, (_, i) => `${sim.admin.findApp(name)!.guid}:${i}`),
        ),
      );
      // Everything starts at once: Prometheus retries discovery until a Promregator answers through the router.
      const started = await Promise.all([
        ...ports.map((port) =>
          startPromregatorProcess({
            yaml: promregatorYamlFor(sim, port),
            port,
            caPem: sim.caPem,
            env: { CF_PASSWORD: CF_USER.password },
          }),
        ),
        ...shardBlocks.map((b) => startPrometheusWithConfig(shardYamlFor(sim, b.text))),
      ]);
      promregators = started.slice(0, 2) as PromregatorProcess[];
      shards = started.slice(2) as RunningPrometheus[];
    }, 60_000);

    afterAll(async () => {
      await Promise.all([...shards.map((s) => s.stop()), ...promregators.map((p) => p.kill())]);
      await sim?.close();
    });

    it("documents one promregator.yml and two shards that promtool accepts", () => {
      expect(promregatorBlock, `a promregator.yml block in ${DOC}`).toBeDefined();
      expect(shardBlocks).toHaveLength(2);
      for (const block of shardBlocks) {
        const check = promtoolCheckConfig(block.text);
        expect(check.output).toContain("SUCCESS");
        expect(check.code).toBe(0);
      }
    });

    it("scrapes every instance on exactly one shard, and keeps scraping when one Promregator dies", async () => {
      const [a, b] = shards;
      const split = await a.waitFor(
        "both shards together to scrape every instance",
        async () => {
          const [onA, onB] = await Promise.all([scrapedInstances(a), scrapedInstances(b)]);
          return onA.size + onB.size >= allInstances.size ? { onA, onB } : undefined;
        },
        30_000,
      );
      // Disjoint, complete, and both shards carry a part.
      expect([...split.onA].filter((i) => split.onB.has(i))).toEqual([]);
      expect(new Set([...split.onA, ...split.onB])).toEqual(allInstances);
      expect(split.onA.size).toBeGreaterThan(0);
      expect(split.onB.size).toBeGreaterThan(0);
      // Each shard knows the others' targets only as dropped by its relabelling.
      for (const [shard, kept] of [
        [a, split.onA],
        [b, split.onB],
      ] as const) {
        const active = await shard.targets();
        expect(new Set(active.map((t) => t.labels.instance))).toEqual(kept);
      }

      const sdFailures = "sum(prometheus_sd_http_failures_total) or vector(0)";
      const failuresBefore = await Promise.all(shards.map((s) => counter(s, sdFailures)));
      const killedAt = Date.now() / 1000;
      // The process dies; CF has not noticed yet, so the router still has it as an endpoint of the route.
      await promregators[0].kill("SIGKILL");

      // Three more scrape rounds on each shard, every one of them successful.
      for (const shard of shards) {
        await shard.waitFor("three scrape rounds after the kill", async () => {
          const oldest = await shard.query('min(timestamp(up{job="promregator"}))');
          return oldest.length === 1 && Number(oldest[0].value[1]) > killedAt + 3 ? true : undefined;
        });
      }
      const window = Math.ceil(Date.now() / 1000 - killedAt);
      for (const [shard, kept] of [
        [a, split.onA],
        [b, split.onB],
      ] as const) {
        const worst = await shard.query(`min_over_time(up{job="promregator"}[${window}s])`);
        expect(new Set(worst.map((s) => s.metric.instance))).toEqual(kept);
        expect(worst.filter((s) => s.value[1] !== "1").map((s) => s.metric.instance)).toEqual([]);
      }
      // Discovery kept being answered (by the survivor) at every refresh.
      const failuresAfter = await Promise.all(shards.map((s) => counter(s, sdFailures)));
      expect(failuresAfter).toEqual(failuresBefore);
    }, 60_000);
  },
);
