import type { DiscoveredInstance } from "../../src/discovery/types.js";
import { createOwnMetrics, type OwnMetrics, type OwnMetricsOptions } from "../../src/metrics/index.js";
import { discoveredInstance } from "../support/instances.js";

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: string;
}

export interface ParsedFamily {
  help?: string;
  type?: string;
  samples: ParsedSample[];
}

/** A small reader for the text formats, enough to assert on what we expose. */
export function parseExposition(body: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  const family = (name: string): ParsedFamily => {
    let f = families.get(name);
    if (!f) {
      f = { samples: [] };
      families.set(name, f);
    }
    return f;
  };
  let current: ParsedFamily | undefined;
  for (const line of body.split("\n")) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      current = family(meta[2]);
      if (meta[1] === "HELP") current.help = meta[3];
      else current.type = meta[3];
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`unparsable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1]] = m[2];
    }
    if (!current) throw new Error(`sample before any metadata: ${line}`);
    current.samples.push({ name: sample[1], labels, value: sample[3] });
  }
  return families;
}

export function samplesOf(body: string, sampleName: string): ParsedSample[] {
  const out: ParsedSample[] = [];
  for (const f of parseExposition(body).values()) out.push(...f.samples.filter((s) => s.name === sampleName));
  return out;
}

export function instance(overrides: Partial<DiscoveredInstance> = {}): DiscoveredInstance {
  return discoveredInstance(
    overrides.appGuid ?? "0b1c2d3e-1111-4a5b-9c8d-0123456789ab",
    overrides.index ?? 0,
    {
      orgName: "myorg",
      spaceName: "dev",
      appName: "shop",
      url: "https://shop.apps.example.com/metrics",
      ...overrides,
    },
  );
}

export function ownMetrics(overrides: Partial<OwnMetricsOptions> = {}): OwnMetrics {
  return createOwnMetrics({
    labelNamePrefix: "",
    requestLatency: false,
    internal: false,
    discovererTimeoutSeconds: 600,
    identity: { processId: "11111111-2222-4333-8444-555555555555" },
    version: "9.9.9",
    ...overrides,
  });
}

export async function textOf(metrics: OwnMetrics): Promise<string> {
  return (await metrics.render("text/plain; version=0.0.4")).body;
}

export async function openMetricsOf(metrics: OwnMetrics): Promise<string> {
  return (await metrics.render("application/openmetrics-text; version=1.0.0")).body;
}
