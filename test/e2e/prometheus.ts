import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServerProcess, waitFor } from "./server-process.js";

export { freePort, waitFor } from "./server-process.js";

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";
export const prometheusAvailable = existsSync(PROMETHEUS_BIN);
export const PROMTOOL_BIN = process.env.PROMTOOL_BIN ?? "/usr/bin/promtool";

/** `promtool check config` of a prometheus.yml given as text: exit code and output. */
export function promtoolCheckConfig(configYaml: string): { code: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "promregator-promtool-"));
  try {
    const file = join(dir, "prometheus.yml");
    writeFileSync(file, configYaml);
    const result = spawnSync(PROMTOOL_BIN, ["check", "config", file], { encoding: "utf8" });
    return { code: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The labels a series gets from its target under scrapeJobYaml's job: job, instance and the relabelled CF ones. */
export const SCRAPE_JOB_TARGET_LABELS: readonly string[] = [
  "job",
  "instance",
  "org_name",
  "space_name",
  "app_name",
  "cf_instance_id",
  "cf_instance_number",
];

export interface RunningPrometheus {
  url: string;
  log: () => string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  targets(): Promise<PromTarget[]>;
  series(match: string): Promise<Record<string, string>[]>;
  exemplars(
    query: string,
  ): Promise<{ seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[]>;
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export interface PromTarget {
  labels: Record<string, string>;
  discoveredLabels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: "up" | "down" | "unknown";
  lastError: string;
  /** RFC 3339 time of the last scrape; the zero time (year 1) before the first. */
  lastScrape: string;
}

/** Starts a real Prometheus with the given scrape_configs on a free loopback port. */
export async function startPrometheus(
  scrapeConfigs: string,
  /** `flags`: extra command-line flags, e.g. `--enable-feature=native-histograms`. */
  opts: { interval?: string; flags?: string[] } = {},
) {
  const interval = opts.interval ?? "1s";
  return startPrometheusWithConfig(
    `global:\n  scrape_interval: ${interval}\n  scrape_timeout: ${interval}\n  evaluation_interval: 1m\nscrape_configs:\n${scrapeConfigs}\n`,
    opts.flags,
  );
}

/** Starts a real Prometheus with a complete prometheus.yml (text) on a free loopback port. */
export async function startPrometheusWithConfig(
  configYaml: string,
  flags: string[] = [],
): Promise<RunningPrometheus> {
  const server = await startServerProcess({
    name: "Prometheus",
    bin: PROMETHEUS_BIN,
    files: { "prometheus.yml": configYaml },
    args: (port, dir) => [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      "--web.enable-lifecycle",
      "--enable-feature=exemplar-storage",
      "--log.level=debug",
      ...flags,
    ],
    readyPath: "/-/ready",
  });
  const { api } = server;
  return {
    url: server.url,
    log: server.output,
    query: async (expr) =>
      (
        await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
          `/api/v1/query?query=${encodeURIComponent(expr)}`,
        )
      ).result,
    series: async (match) => api(`/api/v1/series?match[]=${encodeURIComponent(match)}`),
    exemplars: async (query) => {
      const now = Date.now() / 1000;
      return api(
        `/api/v1/query_exemplars?query=${encodeURIComponent(query)}&start=${now - 600}&end=${now + 60}`,
      );
    },
    targets: async () =>
      (await api<{ activeTargets: PromTarget[] }>("/api/v1/targets?state=active")).activeTargets,
    waitFor: (what, probe, timeoutMs) => waitFor(what, probe, timeoutMs, server.output),
    stop: server.stop,
  };
}
