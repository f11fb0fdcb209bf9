import { createHash } from "node:crypto";
import type { MetricsFormat } from "../types.js";

export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";
export const DEFAULT_SIZE_BYTES = 2048;

const BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"];
const ROUTES = ["/api/orders", "/api/items", "/health"];
const startedAt = Date.now();

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A stable per-instance number in [0, 1) so each instance has its own rates and sizes. */
function seed(key: string): number {
  return createHash("sha1").update(key).digest().readUInt32BE(0) / 2 ** 32;
}

interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram";
  help: string;
  samples: string[];
}

/**
 * Families whose values move with time (counters grow, gauges wobble), so a scraper sees live data,
 * plus `sim_instance_info` naming the app and index that answered.
 */
function coreFamilies(app: string, index: number, nowMs: number): Family[] {
  const s = seed(`${app}/${index}`);
  const elapsed = (nowMs - startedAt) / 1000 + 1000 * s;
  const id = `app="${escapeLabel(app)}",index="${index}"`;
  const requests: string[] = [];
  for (const [i, route] of ROUTES.entries()) {
    for (const code of ["200", "500"]) {
      const rate = (code === "200" ? 5 : 0.05) * (1 + s + i / 3);
      requests.push(
        `http_requests_total{method="GET",route="${route}",code="${code}"} ${Math.floor(elapsed * rate)}`,
      );
    }
  }
  const count = Math.floor(elapsed * 7 * (1 + s));
  let cumulative = 0;
  const histogram: string[] = [];
  for (const [i, le] of BUCKETS.entries()) {
    cumulative = Math.floor(count * Math.min(1, 0.2 + i * 0.09));
    histogram.push(`http_request_duration_seconds_bucket{le="${le}"} ${cumulative}`);
  }
  histogram.push(`http_request_duration_seconds_bucket{le="+Inf"} ${count}`);
  histogram.push(`http_request_duration_seconds_sum ${(count * 0.042).toFixed(3)}`);
  histogram.push(`http_request_duration_seconds_count ${count}`);
  const wobble = Math.sin(nowMs / 15000 + s * 6);
  return [
    {
      name: "sim_instance_info",
      type: "gauge",
      help: "Which simulated app instance answered.",
      samples: [`sim_instance_info{${id}} 1`],
    },
    { name: "http_requests", type: "counter", help: "HTTP requests served.", samples: requests },
    {
      name: "http_request_duration_seconds",
      type: "histogram",
      help: "HTTP request latency.",
      samples: histogram,
    },
    {
      name: "process_resident_memory_bytes",
      type: "gauge",
      help: "Resident memory size in bytes.",
      samples: [`process_resident_memory_bytes ${Math.floor(120e6 + 20e6 * s + 5e6 * wobble)}`],
    },
    {
      name: "jobs_queue_depth",
      type: "gauge",
      help: "Jobs waiting per queue.",
      samples: ["default", "mail"].map(
        (q, i) => `jobs_queue_depth{queue="${q}"} ${Math.max(0, Math.round(10 * (wobble + 1) * (i + 1)))}`,
      ),
    },
  ];
}

/** OpenMetrics histograms carry an exemplar on one bucket, as instrumented apps with tracing do. */
function withExemplar(sample: string): string {
  if (!sample.includes('le="0.1"')) return sample;
  const traceId = createHash("sha1").update(sample).digest("hex").slice(0, 32);
  return `${sample} # {trace_id="${traceId}"} 0.067`;
}

function renderFamily(f: Family, format: MetricsFormat): string {
  // OpenMetrics names the counter family without the _total suffix its samples carry.
  const name = format === "text" && f.type === "counter" ? `${f.name}_total` : f.name;
  const samples =
    format === "openmetrics" && f.type === "histogram" ? f.samples.map(withExemplar) : f.samples;
  return `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n${samples.join("\n")}\n`;
}

const paddingCache = new Map<string, string>();

/** Filler series so bodies reach the configured size; independent of the instance, hence cached. */
function padding(lines: number, format: MetricsFormat): string {
  if (lines <= 0) return "";
  const key = `${format}:${lines}`;
  let text = paddingCache.get(key);
  if (text === undefined) {
    const samples: string[] = [];
    for (let i = 0; i < lines; i++) {
      samples.push(`sim_padding_value{series="${String(i).padStart(6, "0")}",kind="filler"} ${i % 97}`);
    }
    text = renderFamily(
      {
        name: "sim_padding_value",
        type: "gauge",
        help: "Filler series to reach the configured body size.",
        samples,
      },
      format,
    );
    if (paddingCache.size > 64) paddingCache.clear();
    paddingCache.set(key, text);
  }
  return text;
}

const PADDING_LINE_BYTES = 'sim_padding_value{series="000000",kind="filler"} 00\n'.length;

/** The exposition one instance serves: counters, gauges, a histogram, labels, padded to about sizeBytes. */
export function renderExposition(
  app: string,
  index: number,
  format: MetricsFormat,
  sizeBytes = DEFAULT_SIZE_BYTES,
  nowMs = Date.now(),
): string {
  let body = coreFamilies(app, index, nowMs)
    .map((f) => renderFamily(f, format))
    .join("");
  const eof = format === "openmetrics" ? "# EOF\n" : "";
  const missing = sizeBytes - Buffer.byteLength(body) - eof.length;
  if (missing > 120) body += padding(Math.ceil((missing - 110) / PADDING_LINE_BYTES), format);
  return body + eof;
}

/**
 * Content negotiation as exporters do it: OpenMetrics only for an instance configured for it and a client
 * that accepts it; everything else gets text 0.0.4.
 */
export function negotiateFormat(
  configured: MetricsFormat | undefined,
  accept: string | undefined,
): MetricsFormat {
  if (configured !== "openmetrics") return "text";
  return accept?.toLowerCase().includes("application/openmetrics-text") ? "openmetrics" : "text";
}
