import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, PortTakenError, type PromTarget, retryOnTakenPort, waitFor } from "./prometheus.js";

/** Single-node VictoriaMetrics as Debian packages it (package victoria-metrics). */
export const VICTORIA_METRICS_BIN = process.env.VICTORIA_METRICS_BIN ?? "/usr/bin/victoria-metrics";
export const victoriaMetricsAvailable = existsSync(VICTORIA_METRICS_BIN);

export interface RunningVictoriaMetrics {
  url: string;
  log: () => string;
  /** Instant query (Prometheus query API); recently scraped samples are flushed first so they are found. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  series(match: string): Promise<Record<string, string>[]>;
  targets(): Promise<PromTarget[]>;
  waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts VictoriaMetrics on a free loopback port with `configYaml` as its -promscrape.config (strictly parsed, so
 * a field it does not support fails the start), http_sd checked every second, and queries that see samples at
 * once (no 30 s latency offset, no response cache).
 */
export function startVictoriaMetrics(configYaml: string): Promise<RunningVictoriaMetrics> {
  return retryOnTakenPort(() => launch(configYaml));
}

async function launch(configYaml: string): Promise<RunningVictoriaMetrics> {
  const dir = mkdtempSync(join(tmpdir(), "promregator-vm-"));
  const port = await freePort();
  const configFile = join(dir, "scrape.yml");
  writeFileSync(configFile, configYaml);
  let output = "";
  const child: ChildProcess = spawn(
    VICTORIA_METRICS_BIN,
    [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dir, "data")}`,
      "-retentionPeriod=1d",
      `-promscrape.config=${configFile}`,
      "-promscrape.config.strictParse=true",
      "-promscrape.httpSDCheckInterval=1s",
      "-search.latencyOffset=0s",
      "-search.disableCache",
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
    if (body.status !== "success") throw new Error(`VictoriaMetrics ${path}: ${body.error}`);
    return body.data;
  }
  async function flush(): Promise<void> {
    await (await fetch(`${url}/internal/force_flush`)).arrayBuffer();
  }

  const vm: RunningVictoriaMetrics = {
    url,
    log: () => output,
    async query(expr) {
      await flush();
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return data.result;
    },
    async series(match) {
      await flush();
      return api(`/api/v1/series?match[]=${encodeURIComponent(match)}`);
    },
    targets: async () =>
      (await api<{ activeTargets: PromTarget[] }>("/api/v1/targets?state=active")).activeTargets,
    waitFor: (what, probe, timeoutMs) => waitFor(what, probe, timeoutMs, () => output),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
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
      const message = `VictoriaMetrics exited with ${child.exitCode}:\n${output.slice(-3000)}`;
      throw /address already in use/.test(output) ? new PortTakenError(message) : new Error(message);
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await vm.stop();
      throw new Error(`VictoriaMetrics did not become healthy:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return vm;
}
