// A real Prometheus scraping Promregator through http_sd, for the memory benchmark's --prometheus mode.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scrapeJobYaml } from "../../dist/prometheus-config.js";
import { startChild, waitFor } from "./child.mjs";
import { freePort, tempDir } from "./processes.mjs";
import { requireTool } from "./tools.mjs";

export async function startPrometheus({ promregatorUrl, intervalSeconds }) {
  const bin = requireTool("prometheus");
  const dir = tempDir("prometheus");
  const port = await freePort();
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global:",
      `  scrape_interval: ${intervalSeconds}s`,
      "  scrape_timeout: 10s",
      "scrape_configs:",
      scrapeJobYaml({ jobName: "promregator", promregatorUrl }),
      "",
    ].join("\n"),
  );
  const handle = await startChild(
    bin,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
    ],
    { name: "prometheus" },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await handle.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "prometheus to be ready",
      async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined),
      {
        gaveUp: () => (handle.exited() ? `prometheus exited: ${handle.output().slice(-2000)}` : undefined),
      },
    );
  } catch (error) {
    await stop();
    throw error;
  }

  async function scalar(expr) {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = await res.json();
    const value = body.data?.result?.[0]?.value?.[1];
    return value === undefined ? undefined : Number(value);
  }

  return {
    url,
    pid: handle.pid,
    /** Targets and their health at the end, and the spread of the last scrape durations. */
    async scrapeSummary() {
      const job = 'job="promregator"';
      const p50 = await scalar(`quantile(0.5, scrape_duration_seconds{${job}})`);
      const p99 = await scalar(`quantile(0.99, scrape_duration_seconds{${job}})`);
      const targets = (await (await fetch(`${url}/api/v1/targets?state=active`)).json()).data.activeTargets;
      const down = targets.filter((t) => t.health === "down");
      return {
        downTargets: down.slice(0, 5).map((t) => `${t.labels.instance}: ${t.lastError}`),
        scrapes: await scalar(`count(up{${job}})`),
        ok: await scalar(`sum(up{${job}})`),
        note: "scrapes/ok: targets and targets up at the end; p50/p99: last scrape_duration_seconds over targets",
        p50Ms: p50 === undefined ? undefined : Math.round(p50 * 1000 * 100) / 100,
        p99Ms: p99 === undefined ? undefined : Math.round(p99 * 1000 * 100) / 100,
      };
    },
    stop,
  };
}
