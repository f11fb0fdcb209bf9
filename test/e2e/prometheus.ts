import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

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

/** A free loopback port chosen at run time. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

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

/**
 * Starts a real Prometheus with a complete prometheus.yml (text) on a free loopback port. The port is free when
 * chosen; should another process take it before Prometheus binds it (test files run in parallel), it starts
 * again on another one.
 */
export async function startPrometheusWithConfig(configYaml: string, flags: string[] = []) {
  return retryOnTakenPort(() => launchPrometheus(configYaml, flags));
}

/** A server that could not bind the free port it was given, because another process took it first. */
export class PortTakenError extends Error {}

/** Runs `launch` again (up to three times in all) while it fails with PortTakenError. */
export async function retryOnTakenPort<T>(launch: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch();
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === 3) throw error;
    }
  }
}

/**
 * Asks `probe` every 250 ms until it answers something other than undefined (errors count as not yet); on
 * timeout fails with the last error and the tail of `log()`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  log: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}${last ? ` (last error: ${last})` : ""}\n${log().slice(-3000)}`,
  );
}

async function launchPrometheus(configYaml: string, flags: string[]): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "promregator-e2e-"));
  const port = await freePort();
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, configYaml);
  let output = "";
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      "--web.enable-lifecycle",
      "--enable-feature=exemplar-storage",
      "--log.level=debug",
      ...flags,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`Prometheus ${path}: ${body.error}`);
    return body.data;
  }

  const prom: RunningPrometheus = {
    url,
    log: () => output,
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
    waitFor: (what, probe, timeoutMs) => waitFor(what, probe, timeoutMs, () => output),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      const message = `Prometheus exited with ${child.exitCode}:\n${output.slice(-3000)}`;
      throw /address already in use/.test(output) ? new PortTakenError(message) : new Error(message);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await prom.stop();
      throw new Error(`Prometheus did not become ready:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return prom;
}
