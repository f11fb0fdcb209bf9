import { collectDefaultMetrics, type Registry } from "prom-client";
import { NAME_PREFIX } from "./exposition.js";

/**
 * prom-client's `*_total` gauges fail `promtool check metrics` ("non-counter metrics should not have _total
 * suffix"). They add nothing: sum() over the per-type gauge of the same name gives the same number.
 */
export const DROPPED_DEFAULT_METRICS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
] as const;

/** Node/process metrics under the promregator_ prefix, the equivalent of Java's prefixed JVM collectors. */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: NAME_PREFIX });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(NAME_PREFIX + name);
}
