import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { InstanceSeriesFamilies } from "./instance-series.js";
import type { CacheStats, RefreshStats } from "./types.js";

/** The five per-instance label names of the Java version, before labelNamePrefix is applied. */
export const TARGET_LABEL_BASE_NAMES = [
  "org_name",
  "space_name",
  "app_name",
  "cf_instance_id",
  "cf_instance_number",
] as const;

/**
 * Labels of `promregator_info`. None of them equals or ends with one of the five target label names, and
 * none is `job`/`instance`: so with any labelNamePrefix, self-scraping in an HA set-up where Prometheus
 * adds those names (or prefixed ones) never makes a new "label name is not unique" clash.
 */
export const INFO_LABEL_NAMES = [
  "version",
  "instance_id",
  "cf_application_name",
  "cf_application_id",
  "cf_space",
  "cf_org",
  "cf_instance_index",
  "cf_instance_guid",
] as const;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws a message naming the setting when the prefix would make invalid or reserved label names. */
export function targetLabelNames(labelNamePrefix: string): string[] {
  const names = TARGET_LABEL_BASE_NAMES.map((base) => labelNamePrefix + base);
  for (const name of names) {
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new Error(
        `promregator.metrics.labelNamePrefix "${labelNamePrefix}" gives the invalid label name "${name}"` +
          ' (use letters, digits and underscores, not starting with a digit or "__")',
      );
    }
  }
  return names;
}

/** Java's exponentialBuckets: start * factor^i (not repeated multiplication, which drifts in the last digits). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/** Linear buckets rounded to 1e-9 so that bounds read 0.3, not 0.30000000000000004. */
export function linearBuckets(start: number, width: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round((start + i * width) * 1e9) / 1e9);
}

export const JAVA_DEFAULT_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/**
 * The families labelled per scraped instance. They live in an InstanceSeries store (typed arrays per instance),
 * not in prom-client: thousands of instances would make hundreds of thousands of child objects.
 */
export function targetFamilies(withRequestLatency: boolean): InstanceSeriesFamilies {
  return {
    // Names, HELP and buckets of the first three are those of the Java version (compatibility).
    requestFailure: {
      name: "promregator_request_failure_total",
      help: "Requests, which responded, but the HTTP code indicated an error or the connection dropped/timed out",
      type: "counter",
    },
    requestSize: {
      name: "promregator_request_size_bytes",
      help: "The size in bytes of the document, which the scraped targets sent to promregator",
      type: "histogram",
      buckets: exponentialBuckets(100, 1.5, 16),
    },
    // The Java version always registers this family; we only do when it is recorded, because its Java name
    // ("milliseconds" for values in seconds) fails `promtool check metrics` and would fail the default set-up's lint.
    ...(withRequestLatency
      ? {
          requestLatency: {
            name: "promregator_request_latency_milliseconds",
            help: "The latency, which the targets of the promregator produce",
            type: "histogram" as const,
            buckets: JAVA_DEFAULT_BUCKETS,
          },
        }
      : {}),
    scrapeUp: {
      name: "promregator_scrape_up",
      help: "Whether the last scrape of the target instance through promregator succeeded (1) or failed (0)",
      type: "gauge",
    },
    scrapeDuration: {
      name: "promregator_scrape_last_duration_seconds",
      help: "How long the last scrape of the target instance took, in seconds",
      type: "gauge",
    },
  };
}

/** Families that are always present and not per instance. */
export interface GeneralFamilies {
  info: Gauge<string>;
  discoveredInstances: Gauge<string>;
  watchdogReconnects: Counter<string>;
}

export function createGeneralFamilies(registry: Registry): GeneralFamilies {
  const registers = [registry];
  return {
    info: new Gauge({
      name: "promregator_info",
      help: "Identity of this promregator process (always 1); instance_id is also sent as X-Promregator-Instance",
      labelNames: [...INFO_LABEL_NAMES],
      registers,
    }),
    discoveredInstances: new Gauge({
      name: "promregator_discovered_instances",
      help: "Number of app instances found by the last discovery refresh",
      registers,
    }),
    // Java registers this only with metrics.internal; a reconnect is an operational event, so always here.
    watchdogReconnects: new Counter({
      name: "promregator_connection_watchdog_reconnect_total",
      help: "The number of reconnection attempts made by the Connection Watchdog",
      registers,
    }),
  };
}

/** Cloud Controller and cache statistics, registered only with promregator.metrics.internal. */
export interface InternalFamilies {
  cfLatency: Histogram<string>;
  cfRateLimitWait: Histogram<string>;
  cfRequests: Counter<string>;
}

export type CacheStatsSource = () => readonly CacheStats[];
export type RefreshStatsSource = () => RefreshStats | undefined;

/** readCacheStats is called at every render; it must not throw. */
export function createInternalFamilies(
  registry: Registry,
  readCacheStats: CacheStatsSource,
  readRefreshStats: RefreshStatsSource,
): InternalFamilies {
  const registers = [registry];
  registerCacheFamilies(registry, readCacheStats);
  registerRefreshFamilies(registry, readRefreshStats);
  return {
    cfLatency: new Histogram({
      name: "promregator_cffetch_latency_seconds",
      help: "Latency on retrieving CF values",
      labelNames: ["request_type"],
      buckets: linearBuckets(0.1, 0.1, 50),
      registers,
    }),
    cfRateLimitWait: new Histogram({
      name: "promregator_cffetch_ratelimit_waittime_seconds",
      help: "Wait time due to CFCC rate limiting",
      labelNames: ["request_type"],
      buckets: linearBuckets(0, 0.05, 50),
      registers,
    }),
    cfRequests: new Counter({
      name: "promregator_cffetch_requests_total",
      help: "Requests to the Cloud Controller by resource (request_type) and outcome (ok, error, retry, rate_limited)",
      labelNames: ["request_type", "outcome"],
      registers,
    }),
  };
}

/** The cache families: each reads one field of every cache's statistics (see CacheStats). */
const CACHE_FAMILIES: readonly {
  name: string;
  help: string;
  kind: "gauge" | "counter";
  field: "entries" | "oldestAgeSeconds" | "loads" | "loadFailures";
}[] = [
  {
    name: "promregator_cache_entries",
    help: "Number of entries held by a discovery cache",
    kind: "gauge",
    field: "entries",
  },
  {
    name: "promregator_cache_oldest_entry_age_seconds",
    help: "Age of the oldest loaded entry of a discovery cache, in seconds",
    kind: "gauge",
    field: "oldestAgeSeconds",
  },
  {
    name: "promregator_cache_loads_total",
    help: "Load calls made by a discovery cache (one call may cover many keys)",
    kind: "counter",
    field: "loads",
  },
  {
    name: "promregator_cache_load_failures_total",
    help: "Load calls of a discovery cache that failed",
    kind: "counter",
    field: "loadFailures",
  },
];

/** Gauges and counters filled from the discovery caches' own statistics each time they are collected. */
function registerCacheFamilies(registry: Registry, readCacheStats: CacheStatsSource): void {
  for (const family of CACHE_FAMILIES) {
    const options = { name: family.name, help: family.help, labelNames: ["cache"], registers: [registry] };
    const counts = () =>
      readCacheStats().flatMap((stat) => {
        const value = stat[family.field];
        return isCount(value) ? [{ labels: { cache: stat.cache }, value }] : [];
      });
    // Each collect() starts from reset() so that a cache no longer reported disappears.
    if (family.kind === "gauge") {
      new Gauge({
        ...options,
        collect() {
          this.reset();
          for (const { labels, value } of counts()) this.set(labels, value);
        },
      });
    } else {
      new Counter({
        ...options,
        collect() {
          this.reset();
          for (const { labels, value } of counts()) this.inc(labels, value);
        },
      });
    }
  }
}

function isCount(value: number | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** The refresh loop's counters, read at each collect (the loop keeps the totals). */
function registerRefreshFamilies(registry: Registry, readRefreshStats: RefreshStatsSource): void {
  const families = [
    { name: "promregator_discovery_refreshes_total", help: "Discovery refresh runs ended", field: "runs" },
    {
      name: "promregator_discovery_refresh_failures_total",
      help: "Discovery refresh runs that failed with nothing to serve, not even a last good snapshot",
      field: "failures",
    },
  ] as const;
  for (const family of families) {
    new Counter({
      name: family.name,
      help: family.help,
      registers: [registry],
      collect() {
        // Without stats (a failing source) the last value stays: a drop to 0 would read as a counter reset.
        const stats = readRefreshStats();
        if (!stats) return;
        this.reset();
        this.inc(stats[family.field]);
      },
    });
  }
}
