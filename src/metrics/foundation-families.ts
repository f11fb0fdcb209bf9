import { Gauge, type Registry } from "prom-client";

/** One foundation's discovery health, as its own-metrics families show it. */
export interface FoundationHealthSample {
  /** `cf.name` or `foundations[].name`. */
  foundation: string;
  /** Whether its latest discovery refresh succeeded; false before the first one ended. */
  up: boolean;
  /** epoch seconds of the start of its latest successful refresh; absent before one succeeded. */
  lastSuccessSeconds?: number;
  /** Its instances in the published snapshot. */
  instances: number;
}

export type FoundationHealthSource = () => readonly FoundationHealthSample[];

/**
 * The per-foundation families, read from `source` at every collection. Registered only when several foundations
 * are configured, so that a configuration with the `cf:` block alone exposes the same families as before.
 */
export function registerFoundationFamilies(registry: Registry, source: FoundationHealthSource): void {
  const read = (): readonly FoundationHealthSample[] => {
    try {
      return source();
    } catch {
      return []; // a broken source must not break /promregatorMetrics
    }
  };
  const family = (name: string, help: string, value: (s: FoundationHealthSample) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ["foundation"],
      registers: [registry],
      collect() {
        this.reset();
        for (const sample of read()) {
          const v = value(sample);
          if (v !== undefined) this.set({ foundation: sample.foundation }, v);
        }
      },
    });
  family(
    "promregator_foundation_up",
    "Whether the latest discovery refresh of the foundation succeeded (1) or failed (0)",
    (s) => (s.up ? 1 : 0),
  );
  family(
    "promregator_foundation_last_success_timestamp_seconds",
    "When the latest successful discovery refresh of the foundation started, in seconds since the epoch",
    (s) => s.lastSuccessSeconds,
  );
  family(
    "promregator_foundation_discovered_instances",
    "Number of app instances of the foundation in the published discovery (kept from earlier refreshes while it fails)",
    (s) => s.instances,
  );
}
