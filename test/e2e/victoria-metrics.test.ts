/**
 * A second real scraper: single-node VictoriaMetrics (Debian's package) discovers through Promregator's
 * /discovery (http_sd_configs) and scrapes through it, beside a real Prometheus with the very same
 * prometheus.yml. Both must see the same targets with the same labels after relabelling, and store the same
 * series, promregator_up included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scrapeJobYaml } from "../../src/prometheus-config.js";
import { type DemoProduct, startDemoProduct } from "./demo-product.js";
import {
  type PromTarget,
  prometheusAvailable,
  type RunningPrometheus,
  SCRAPE_JOB_TARGET_LABELS,
  startPrometheusWithConfig,
} from "./prometheus.js";
import {
  type RunningVictoriaMetrics,
  startVictoriaMetrics,
  VICTORIA_METRICS_BIN,
  victoriaMetricsAvailable,
} from "./victoria-metrics.js";

if (!victoriaMetricsAvailable) {
  console.warn(
    `skipping the VictoriaMetrics tests: ${VICTORIA_METRICS_BIN} not found (apt install victoria-metrics)`,
  );
}

type Scraper = RunningPrometheus | RunningVictoriaMetrics;

/** A label set as one comparable string, without __name__. */
function key(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([name]) => name !== "__name__")
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** Target label set -> health, once every discovered target has been scraped at least once. */
async function scrapedTargets(scraper: Scraper, expected: number): Promise<Map<string, string>> {
  return scraper.waitFor(
    `${expected} targets, each scraped once`,
    async () => {
      const targets: PromTarget[] = await scraper.targets();
      // VictoriaMetrics reports "down" rather than "unknown" before the first scrape: wait for the scrape.
      const scraped = targets.every((t) => new Date(t.lastScrape).getFullYear() > 2000);
      if (targets.length !== expected || !scraped) return undefined;
      return new Map(targets.map((t) => [key(t.labels), t.health]));
    },
    30_000,
  );
}

/** Label sets of the stored series of `metric` in the job, with their current value. */
async function stored(scraper: Scraper, metric: string): Promise<Map<string, string>> {
  const result = await scraper.query(`${metric}{job="promregator"}`);
  return new Map(result.map((s) => [key(s.metric), s.value[1]]));
}

describe.skipIf(!prometheusAvailable || !victoriaMetricsAvailable)(
  "VictoriaMetrics beside Prometheus, both through Promregator",
  () => {
    let product: DemoProduct;
    let prometheus: RunningPrometheus;
    let vm: RunningVictoriaMetrics;
    let discovered: { labels: Record<string, string> }[];

    beforeAll(async () => {
      product = await startDemoProduct();
      const promregator = await product.addPromregator();
      discovered = (await (await fetch(`${promregator.url}/discovery`)).json()) as typeof discovered;
      // One prometheus.yml for both, as documented (VictoriaMetrics takes no http_sd refresh_interval: it
      // checks every -promscrape.httpSDCheckInterval).
      const config = [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        scrapeJobYaml({ jobName: "promregator", promregatorUrl: promregator.url }),
        "",
      ].join("\n");
      [prometheus, vm] = await Promise.all([startPrometheusWithConfig(config), startVictoriaMetrics(config)]);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([prometheus?.stop(), vm?.stop()]);
      await product?.stop();
    });

    it("sees the same targets with the same labels and health", async () => {
      const [inPrometheus, inVm] = await Promise.all([
        scrapedTargets(prometheus, discovered.length),
        scrapedTargets(vm, discovered.length),
      ]);
      expect(inVm).toEqual(inPrometheus);
      // The relabelling took effect: every CF instance target carries the documented labels.
      const cfTargets = [...inVm.keys()]
        .map((k) => Object.fromEntries(JSON.parse(k) as [string, string][]))
        .filter((labels) => labels.cf_instance_id !== undefined);
      expect(cfTargets).toHaveLength(discovered.length - 1); // all but the own-metrics target
      for (const labels of cfTargets)
        expect(Object.keys(labels).sort()).toEqual([...SCRAPE_JOB_TARGET_LABELS].sort());
      expect([...inVm.values()]).toContain("up");
    });

    it("stores the same up and promregator_up series as Prometheus", async () => {
      const probe = async () => {
        const [up, vmUp, promregatorUp, vmPromregatorUp] = await Promise.all([
          stored(prometheus, "up"),
          stored(vm, "up"),
          stored(prometheus, "promregator_up"),
          stored(vm, "promregator_up"),
        ]);
        const complete = up.size === discovered.length && vmUp.size === up.size && vmPromregatorUp.size > 0;
        return complete && vmPromregatorUp.size === promregatorUp.size
          ? { up, vmUp, promregatorUp, vmPromregatorUp }
          : undefined;
      };
      const s = await vm.waitFor("up and promregator_up in both", probe, 30_000);
      expect(s.vmUp).toEqual(s.up);
      expect(s.vmPromregatorUp).toEqual(s.promregatorUp);
      // promregator_up is Promregator's own sample about each instance it scraped successfully.
      expect([...s.vmPromregatorUp.values()].every((v) => v === "1")).toBe(true);
      expect(s.vmPromregatorUp.size).toBe([...s.vmUp.values()].filter((v) => v === "1").length - 1);
    });
  },
);
