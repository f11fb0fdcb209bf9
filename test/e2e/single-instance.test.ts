import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrapeJobYaml } from "../../src/prometheus-config.js";
import { type LandscapeSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import {
  freePort,
  prometheusAvailable,
  type RunningPrometheus,
  SCRAPE_JOB_TARGET_LABELS,
  startPrometheus,
} from "./prometheus.js";
import { type PromregatorProcess, simulatorYaml, startPromregatorProcess } from "./promregator-process.js";

const USER = { username: "e2e", password: "e2e-secret" };

const landscape: LandscapeSpec = {
  domains: [{ name: "apps.example.org" }],
  orgs: [
    {
      name: "e2e-org",
      spaces: [
        {
          name: "e2e-space",
          apps: [
            { name: "text-app", instances: 3, behaviour: { format: "text" } },
            { name: "om-app", instances: 2, behaviour: { format: "openmetrics" } },
            { name: "crashy", instances: 2, instanceBehaviour: { 1: { state: "CRASHED" } } },
            { name: "stopped-app", instances: 1, state: "STOPPED" },
          ],
        },
      ],
    },
  ],
};

/** Fetches one instance directly through the router, as Prometheus would without Promregator if it could. */
function scrapeThroughRouter(
  sim: RunningSimulator,
  host: string,
  path: string,
  instanceId: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    get(
      {
        host: sim.routerAddress.host,
        port: sim.routerAddress.port,
        path,
        headers: {
          host,
          "x-cf-app-instance": instanceId,
          accept: "application/openmetrics-text; version=1.0.0; charset=utf-8",
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          body += c;
        });
        res.on("end", () => resolve(body));
      },
    ).on("error", reject);
  });
}

function seriesKey(name: string, labels: [string, string][]): string {
  const sorted = labels.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${sorted.join(",")}}`.replace("{}", "");
}

/** Series identities (name + labels) of an exposition; values, exemplars and comments are dropped. */
function seriesOfExposition(body: string): string[] {
  return body
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((line) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?/.exec(line)!;
      const labels = [...(m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(
        (l) => [l[1], l[2]] as [string, string],
      );
      return seriesKey(m[1], labels);
    });
}

async function upByInstance(prom: RunningPrometheus, job: string): Promise<Map<string, string>> {
  const result = await prom.query(`up{job="${job}"}`);
  return new Map(result.map((r) => [r.metric.instance, r.value[1]]));
}

describe.skipIf(!prometheusAvailable)("end to end with a real Prometheus", () => {
  let sim: RunningSimulator;
  let promregator: PromregatorProcess;
  let prometheus: RunningPrometheus;
  let sdDir: string;

  beforeAll(async () => {
    sim = await startSimulator({ landscape, users: [USER] });
    const port = await freePort();
    sdDir = mkdtempSync(join(tmpdir(), "promregator-filesd-"));
    promregator = await startPromregatorProcess({
      yaml: simulatorYaml({
        sim,
        port,
        user: USER,
        org: "E2E-ORG",
        space: "e2e-space",
        discoveryExtra: `    file: ${join(sdDir, "targets.json")}`,
      }),
      port,
      caPem: sim.caPem,
    });
    prometheus = await startPrometheus(
      [
        scrapeJobYaml({ jobName: "cf-http-sd", promregatorUrl: promregator.url, refreshInterval: "1s" }),
        scrapeJobYaml({
          jobName: "cf-file-sd",
          promregatorUrl: promregator.url,
          sdFile: join(sdDir, "targets.json"),
        }),
      ].join("\n"),
    );
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await promregator?.kill();
    await sim?.close();
    if (sdDir) rmSync(sdDir, { recursive: true, force: true });
  });

  const guidOf = (name: string) => sim.admin.findApp(name)!.guid;

  it.each(["cf-http-sd", "cf-file-sd"])(
    "%s: every instance is a target with its own labels and health",
    async (job) => {
      const expectedInstances = [
        ...[0, 1, 2].map((i) => `${guidOf("text-app")}:${i}`),
        ...[0, 1].map((i) => `${guidOf("om-app")}:${i}`),
        ...[0, 1].map((i) => `${guidOf("crashy")}:${i}`),
      ];
      const up = await prometheus.waitFor(`up for all instances of ${job}`, async () => {
        const m = await upByInstance(prometheus, job);
        // All instances plus the own-metrics target, which is one more.
        return expectedInstances.every((i) => m.has(i)) && m.size === expectedInstances.length + 1
          ? m
          : undefined;
      });
      for (const id of expectedInstances) {
        expect(up.get(id), id).toBe(id === `${guidOf("crashy")}:1` ? "0" : "1");
      }
      // The own-metrics target is the one more target; the stopped app has none.
      expect(up.size).toBe(expectedInstances.length + 1);

      const targets = (await prometheus.targets()).filter((t) => t.scrapePool === job);
      const crashed = targets.find((t) => t.labels.instance === `${guidOf("crashy")}:1`)!;
      expect(crashed.health).toBe("down");
      // The reason travels in the status line, which Prometheus shows as the target's error.
      expect(crashed.lastError).toMatch(
        /^server returned HTTP status 502 target answered 502 Bad Gateway \(router: endpoint_failure/,
      );

      const series = await prometheus.waitFor(`app series of ${job}`, async () => {
        const r = await prometheus.query(`sim_instance_info{job="${job}"}`);
        return r.length === 6 ? r : undefined;
      });
      for (const s of series) {
        expect(s.metric.org_name).toBe("e2e-org");
        expect(s.metric.space_name).toBe("e2e-space");
        expect(s.metric.app_name).toBe(s.metric.app);
        // The instance that answered is the one the target names: the X-CF-APP-INSTANCE header worked.
        expect(s.metric.cf_instance_number).toBe(s.metric.index);
        expect(s.metric.instance).toBe(`${guidOf(s.metric.app)}:${s.metric.index}`);
        expect(s.metric.cf_instance_id).toBe(s.metric.instance);
      }
      expect(new Set(series.map((s) => s.metric.instance)).size).toBe(6);
    },
  );

  it("passes an OpenMetrics target through unchanged: same series as a direct scrape, exemplars kept", async () => {
    const id = `${guidOf("om-app")}:0`;
    const direct = await scrapeThroughRouter(sim, "om-app.apps.example.org", "/metrics", id);
    const expected = new Set([
      ...seriesOfExposition(direct),
      "promregator_up",
      "promregator_scrape_duration_seconds",
    ]);
    const SYNTHETIC = new Set([
      "up",
      "scrape_duration_seconds",
      "scrape_samples_scraped",
      "scrape_samples_post_metric_relabeling",
      "scrape_series_added",
    ]);
    const stored = await prometheus.waitFor("all series of om-app:0", async () => {
      const series = await prometheus.series(`{job="cf-http-sd",instance="${id}"}`);
      const keys = new Set(
        series
          .filter((s) => !SYNTHETIC.has(s.__name__))
          .map((s) =>
            seriesKey(
              s.__name__,
              Object.entries(s).filter(([k]) => k !== "__name__" && !SCRAPE_JOB_TARGET_LABELS.includes(k)),
            ),
          ),
      );
      return keys.size >= expected.size ? keys : undefined;
    });
    expect([...stored].sort()).toEqual([...expected].sort());

    const exemplars = await prometheus.waitFor("exemplars of om-app", async () => {
      const r = await prometheus.exemplars(
        'http_request_duration_seconds_bucket{job="cf-http-sd",app_name="om-app"}',
      );
      return r.length > 0 ? r : undefined;
    });
    expect(exemplars[0].exemplars[0].labels.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("is accepted by promtool check service-discovery", async () => {
    const dir = mkdtempSync(join(tmpdir(), "promregator-promtool-"));
    try {
      const file = join(dir, "prometheus.yml");
      writeFileSync(
        file,
        `scrape_configs:\n${scrapeJobYaml({ jobName: "sd", promregatorUrl: promregator.url })}\n`,
      );
      const run = spawnSync("promtool", ["check", "service-discovery", "--timeout=3s", file, "sd"], {
        encoding: "utf8",
      });
      expect(run.status, run.stderr).toBe(0);
      // promtool prints every discovered target with its labels after relabelling.
      expect(run.stdout).toContain(`${guidOf("om-app")}:1`);
      expect(run.stdout).toContain("cf_instance_number");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ingests OpenMetrics and text 0.0.4 instances alike, with histograms intact", async () => {
    const buckets = await prometheus.waitFor("histogram buckets of both formats", async () => {
      const r = await prometheus.query('http_request_duration_seconds_bucket{job="cf-http-sd",le="+Inf"}');
      const apps = new Set(r.map((s) => s.metric.app_name));
      // Prometheus spreads its first scrapes of the five instances over the interval: wait for all of them.
      return apps.has("om-app") && apps.has("text-app") && r.length >= 5 ? r : undefined;
    });
    expect(buckets.length).toBeGreaterThanOrEqual(5);
    const upSamples = await prometheus.query('promregator_up{job="cf-http-sd"}');
    expect(upSamples.length).toBeGreaterThanOrEqual(5);
    expect(upSamples.every((s) => s.value[1] === "1")).toBe(true);
  });

  it("follows scaling in the landscape after a cache invalidation", async () => {
    const text = guidOf("text-app");
    sim.admin.scaleApp(text, 4);
    const res = await fetch(`${promregator.url}/cache/invalidate?process=1&application=1`, {
      method: "POST",
    });
    expect(res.status).toBe(204);
    await prometheus.waitFor("the fourth instance to be scraped", async () => {
      const m = await upByInstance(prometheus, "cf-http-sd");
      return m.get(`${text}:3`) === "1" ? true : undefined;
    });
    sim.admin.scaleApp(text, 1);
    await fetch(`${promregator.url}/cache/invalidate?process=1`, { method: "POST" });
    await prometheus.waitFor("instances 1..3 to disappear", async () => {
      const targets = (await prometheus.targets()).filter((t) => t.scrapePool === "cf-http-sd");
      const ids = targets.map((t) => t.labels.instance);
      return ids.includes(`${text}:0`) && ![1, 2, 3].some((i) => ids.includes(`${text}:${i}`))
        ? true
        : undefined;
    });
  });
});
