import { existsSync } from "node:fs";
import { join } from "node:path";
import type { PromTarget } from "./prometheus.js";
import { startServerProcess, waitFor } from "./server-process.js";

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
export async function startVictoriaMetrics(configYaml: string): Promise<RunningVictoriaMetrics> {
  const server = await startServerProcess({
    name: "VictoriaMetrics",
    bin: VICTORIA_METRICS_BIN,
    files: { "scrape.yml": configYaml },
    args: (port, dir) => [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dir, "data")}`,
      "-retentionPeriod=1d",
      `-promscrape.config=${join(dir, "scrape.yml")}`,
      "-promscrape.config.strictParse=true",
      "-promscrape.httpSDCheckInterval=1s",
      "-search.latencyOffset=0s",
      "-search.disableCache",
    ],
    readyPath: "/health",
  });
  const { api, url } = server;
  // Samples are searchable once VictoriaMetrics has flushed them from memory; queries ask for that first.
  const flush = async () => void (await (await fetch(`${url}/internal/force_flush`)).arrayBuffer());
  return {
    url,
    log: server.output,
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
    waitFor: (what, probe, timeoutMs) => waitFor(what, probe, timeoutMs, server.output),
    stop: server.stop,
  };
}
