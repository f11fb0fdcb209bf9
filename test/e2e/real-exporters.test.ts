import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOBUF_DELIMITED_CONTENT_TYPE } from "../../src/media-type.js";
import { scrapeJobYaml } from "../../src/prometheus-config.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { familyName, gaugeFamily, messages } from "../scrape/protobuf-wire.js";
import {
  freePort,
  prometheusAvailable,
  type RunningPrometheus,
  SCRAPE_JOB_TARGET_LABELS,
  startPrometheus,
} from "./prometheus.js";
import { type PromregatorProcess, simulatorYaml, startPromregatorProcess } from "./promregator-process.js";

const NODE_EXPORTER_BIN = process.env.NODE_EXPORTER_BIN ?? "/usr/bin/prometheus-node-exporter";
const nodeExporterAvailable = existsSync(NODE_EXPORTER_BIN);
if (!nodeExporterAvailable) {
  console.warn(
    `skipping the real-exporter tests: ${NODE_EXPORTER_BIN} not found (apt install prometheus-node-exporter)`,
  );
}

const USER = { username: "e2e", password: "e2e-secret" };
/** Series whose values do not move between scrapes: a textfile of our own, plus build and uname info. */
const TEXTFILE = `# HELP e2e_fixed_ratio A gauge that does not change.
# TYPE e2e_fixed_ratio gauge
e2e_fixed_ratio{kind="a"} 0.25
e2e_fixed_ratio{kind="b"} 42
# HELP e2e_request_seconds A histogram that does not change.
# TYPE e2e_request_seconds histogram
e2e_request_seconds_bucket{le="0.1"} 3
e2e_request_seconds_bucket{le="1"} 5
e2e_request_seconds_bucket{le="+Inf"} 6
e2e_request_seconds_sum 4.5
e2e_request_seconds_count 6
`;
const FIXED = '{__name__=~"e2e_.*|node_uname_info|node_exporter_build_info|node_textfile_mtime_seconds"';
/** Labels Prometheus adds per target, and the series it makes up per scrape. */
const TARGET_LABELS = new Set(SCRAPE_JOB_TARGET_LABELS);
const SYNTHETIC = /^(up|scrape_.*)$/;
const OWN = new Set(["promregator_up", "promregator_scrape_duration_seconds"]);

interface NodeExporter {
  url: string;
  stop(): Promise<void>;
}

/** Debian's node_exporter on a free loopback port, with a few steady collectors and our textfile. */
async function startNodeExporter(dir: string): Promise<NodeExporter> {
  writeFileSync(join(dir, "fixed.prom"), TEXTFILE);
  const port = await freePort();
  const child: ChildProcess = spawn(
    NODE_EXPORTER_BIN,
    [
      `--web.listen-address=127.0.0.1:${port}`,
      "--collector.disable-defaults",
      "--collector.textfile",
      `--collector.textfile.directory=${dir}`,
      "--collector.uname",
      "--collector.loadavg",
      "--collector.time",
    ],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    try {
      if ((await fetch(`${url}/metrics`)).ok) break;
    } catch {
      // not listening yet
    }
    if (tries > 100 || child.exitCode !== null) throw new Error("node_exporter did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

interface Recorder {
  url: string;
  /** Content-Type of every answer that passed. */
  contentTypes: Set<string>;
  close(): Promise<void>;
}

/** Sits between the router and the exporter and notes the format of each answer. */
async function startRecorder(upstream: string): Promise<Recorder> {
  const contentTypes = new Set<string>();
  const server = http.createServer((req, res) => {
    const forward = http.request(`${upstream}${req.url}`, { headers: req.headers }, (answer) => {
      contentTypes.add(String(answer.headers["content-type"]));
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    contentTypes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `name{labels}` without the labels a scrape job adds, so direct and proxied series compare. */
function seriesKey(series: Record<string, string>): string {
  const labels = Object.entries(series)
    .filter(([k]) => k !== "__name__" && !TARGET_LABELS.has(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${series.__name__}{${labels.join(",")}}`;
}

async function seriesOf(prom: RunningPrometheus, job: string): Promise<Set<string>> {
  const all = await prom.series(`{job="${job}"}`);
  return new Set(all.filter((s) => !SYNTHETIC.test(s.__name__)).map(seriesKey));
}

async function valuesOf(prom: RunningPrometheus, job: string): Promise<Map<string, string>> {
  const result = await prom.query(`${FIXED},job="${job}"}`);
  return new Map(result.map((r) => [seriesKey(r.metric), r.value[1]]));
}

/** Waits until both jobs were scraped at least twice, so each stored what a scrape brings. */
async function scrapedTwice(prom: RunningPrometheus): Promise<void> {
  await prom.waitFor("two scrapes of both jobs", async () => {
    const r = await prom.query('count_over_time(up{job=~"direct|through-promregator"}[1m]) >= 2');
    return r.length === 2 ? true : undefined;
  });
}

describe.skipIf(!prometheusAvailable || !nodeExporterAvailable)(
  "real exporters behind the simulated router",
  () => {
    let dir: string;
    let nodeExporter: NodeExporter;
    let recorder: Recorder;
    let sim: RunningSimulator;
    let promregator: PromregatorProcess;
    let singleTarget: string;
    const prometheus: Record<"plain" | "nativeHistograms", RunningPrometheus | undefined> = {
      plain: undefined,
      nativeHistograms: undefined,
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "promregator-real-exporter-"));
      nodeExporter = await startNodeExporter(dir);
      recorder = await startRecorder(nodeExporter.url);
      sim = await startSimulator({
        users: [USER],
        landscape: {
          domains: [{ name: "apps.example.org" }],
          orgs: [
            {
              name: "real-org",
              spaces: [
                {
                  name: "real-space",
                  apps: [{ name: "node", instances: 1, behaviour: { upstream: recorder.url } }],
                },
              ],
            },
          ],
        },
      });
      const port = await freePort();
      promregator = await startPromregatorProcess({
        yaml: simulatorYaml({
          sim,
          port,
          user: USER,
          org: "real-org",
          space: "real-space",
          discoveryExtra: "    ownMetricsEndpoint: false",
        }),
        port,
        caPem: sim.caPem,
      });
      singleTarget = `${promregator.url}/singleTargetMetrics/${sim.admin.findApp("node")?.guid}/0`;
      const jobs = [
        `  - job_name: direct\n    static_configs:\n      - targets: ["${new URL(nodeExporter.url).host}"]`,
        scrapeJobYaml({
          jobName: "through-promregator",
          promregatorUrl: promregator.url,
          refreshInterval: "1s",
        }),
      ].join("\n");
      // Both at once: the machine's time is better spent waiting for two Prometheus than for one after the other.
      [prometheus.plain, prometheus.nativeHistograms] = await Promise.all([
        startPrometheus(jobs),
        startPrometheus(jobs, { flags: ["--enable-feature=native-histograms"] }),
      ]);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([prometheus.plain?.stop(), prometheus.nativeHistograms?.stop()]);
      await promregator?.kill();
      await sim?.close();
      await recorder?.close();
      await nodeExporter?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it.each(["plain", "nativeHistograms"] as const)(
      "Prometheus (%s) stores through Promregator every series of a direct scrape, same fixed values, plus promregator_up",
      async (which) => {
        const prom = prometheus[which] as RunningPrometheus;
        await scrapedTwice(prom);
        const direct = await seriesOf(prom, "direct");
        const through = await seriesOf(prom, "through-promregator");
        expect(direct.size).toBeGreaterThan(50);
        expect([...through].filter((s) => !OWN.has(s.replace(/\{.*/, ""))).sort()).toEqual(
          [...direct].sort(),
        );

        const fixedDirect = await valuesOf(prom, "direct");
        expect(fixedDirect.size).toBe(10);
        expect(await valuesOf(prom, "through-promregator")).toEqual(fixedDirect);

        const up = await prom.query('promregator_up{job="through-promregator"}');
        expect(up.map((r) => r.value[1])).toEqual(["1"]);
        const targets = (await prom.targets()).filter((t) => t.scrapePool === "through-promregator");
        expect(targets.map((t) => [t.health, t.lastError])).toEqual([["up", ""]]);
      },
    );

    it("saw node_exporter answer both Prometheus in the format each asked for: text, and protobuf", () => {
      expect([...recorder.contentTypes].sort()).toEqual([
        PROTOBUF_DELIMITED_CONTENT_TYPE,
        "text/plain; version=0.0.4; charset=utf-8",
      ]);
    });

    it("answers node_exporter's text with the own samples appended", async () => {
      const res = await fetch(singleTarget, { headers: { accept: "text/plain;version=0.0.4" } });
      const body = await res.text();
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      expect(body).toMatch(/\ne2e_fixed_ratio\{kind="a"\} 0.25\n/);
      expect(body).toMatch(/\npromregator_up 1\.0\n(.*\n){2}promregator_scrape_duration_seconds [0-9.]+\n$/);
    });

    it("answers node_exporter's protobuf with the own samples as MetricFamily messages", async () => {
      const res = await fetch(singleTarget, {
        headers: { accept: `${PROTOBUF_DELIMITED_CONTENT_TYPE},text/plain;q=0.5` },
      });
      expect(res.headers.get("content-type")).toBe(PROTOBUF_DELIMITED_CONTENT_TYPE);
      const all = messages(Buffer.from(await res.arrayBuffer()));
      expect(all.length).toBeGreaterThan(20);
      expect(all.map(familyName)).toContain("e2e_request_seconds");
      expect(
        all
          .slice(-2)
          .map(gaugeFamily)
          .map((f) => [f.name, f.value]),
      ).toEqual([
        ["promregator_up", 1],
        ["promregator_scrape_duration_seconds", expect.any(Number)],
      ]);
    });
  },
);
