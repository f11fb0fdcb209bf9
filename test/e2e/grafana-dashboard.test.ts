/**
 * docs/grafana-dashboard.json against a real Prometheus fed by Promregator on the demo landscape: every PromQL
 * expression of every panel, with the template variables substituted as Grafana would, returns data, and a
 * panel that groups `by` labels gets series that carry them. Three set-ups: the README's (labelNamePrefix empty,
 * the dashboard's defaults), the high-availability one's labelNamePrefix target_, and two foundations (as
 * `promregator demo --two-foundations`), where the Foundations row's families exist.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { loadConfig } from "../../src/config/index.js";
import { type DemoProduct, startDemoProduct } from "./demo-product.js";
import { aimAtPromregator, yamlBlocks } from "./doc-configs.js";
import { prometheusAvailable, type RunningPrometheus, startPrometheusWithConfig } from "./prometheus.js";

interface Variable {
  name: string;
  type: string;
  query?: string | { query: string };
  allValue?: string;
  current?: { value?: string };
}

interface Panel {
  title: string;
  description?: string;
  type: string;
  targets?: { expr: string; legendFormat?: string }[];
}

const dashboard = JSON.parse(
  readFileSync(resolve(import.meta.dirname, "../../docs/grafana-dashboard.json"), "utf8"),
) as { panels: Panel[]; templating: { list: Variable[] } };
const variables = dashboard.templating.list;
const expressions = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({
    panel: p.title,
    expr: t.expr,
    legend: t.legendFormat,
    // A panel of the internal families says so; they exist only with promregator.metrics.internal: true.
    internal: /promregator\.metrics\.internal: true/.test(p.description ?? ""),
    // So does one of the promregator_foundation_* families, which exist only with foundations: configured.
    foundations: /With foundations: configured only/.test(p.description ?? ""),
  })),
);
const variable = (name: string) => variables.find((v) => v.name === name);

/** Grafana's substitution of `$name` and `${name}` (the longest name first, so $job does not eat $jobs). */
function substitute(expr: string, values: Record<string, string>): string {
  let out = expr;
  for (const name of Object.keys(values).sort((a, b) => b.length - a.length)) {
    out = out.replaceAll(`\${${name}}`, values[name]).replaceAll(`$${name}`, values[name]);
  }
  return out;
}

/** The labels of every `by (...)` clause of an expression. */
function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]
      .split(",")
      .map((l) => l.trim())
      .filter(Boolean),
  );
}

describe("the Grafana dashboard's defaults", () => {
  it("labelNamePrefix defaults to the product's default, and no variable is named after a label with two meanings", () => {
    const { config } = loadConfig({ text: "cf: {api_host: api.example.org, username: u, password: p}\n" });
    expect(variable("label_prefix")?.current?.value).toBe(config.promregator.metrics.labelNamePrefix);
    // cf_instance_number names the Promregator app's instance on its own target and the scraped app's
    // instance on the per-target families.
    expect(variables.map((v) => v.name)).not.toContain("cf_instance_number");
    for (const { expr } of expressions) expect(expr).not.toMatch(/\bcf_instance_number\b/);
  });
});

describe.skipIf(!prometheusAvailable)("the Grafana dashboard against a real Prometheus", () => {
  let product: DemoProduct;
  /** One Prometheus per set-up, as a user has: the README's job aimed at that set-up's Promregator. */
  const prometheusOf = new Map<string, RunningPrometheus>();
  const SETUPS = [
    { job: "readme", labelPrefix: "", internal: false, foundations: false },
    { job: "ha-prefix", labelPrefix: "target_", internal: true, foundations: false },
    { job: "two-foundations", labelPrefix: "", internal: false, foundations: true },
  ];

  beforeAll(async () => {
    product = await startDemoProduct();
    const readme = yamlBlocks(["README.md"]).find((b) => b.text.startsWith("scrape_configs:"));
    if (!readme) throw new Error("README.md has no prometheus.yml block");
    for (const setup of SETUPS) {
      // One failed Cloud Controller request at start-up, so that the CC outcome panel has a non-ok series.
      product.sim.admin.injectFailures({ count: 1, status: 503 });
      const promregator = await product.addPromregator(
        setup.labelPrefix
          ? { PROMREGATOR_METRICS_LABELNAMEPREFIX: setup.labelPrefix, PROMREGATOR_METRICS_INTERNAL: "true" }
          : {},
        { twoFoundations: setup.foundations },
      );
      const config = parse(
        aimAtPromregator(readme.text, {
          promregatorUrl: promregator.url,
          sdFile: promregator.sdFile,
          passwordFile: "/dev/null",
        }),
      ) as { scrape_configs: { job_name: string }[] };
      config.scrape_configs[0].job_name = setup.job;
      prometheusOf.set(setup.job, await startPrometheusWithConfig(stringify(config)));
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...prometheusOf.values()].map((p) => p.stop()));
    await product?.stop();
  });

  for (const setup of SETUPS) {
    it(`every expression returns data in the ${setup.job} set-up (labelNamePrefix "${setup.labelPrefix}", internal metrics ${setup.internal ? "on" : "off"}, ${setup.foundations ? "two foundations" : "one foundation"})`, async () => {
      const prometheus = prometheusOf.get(setup.job) as RunningPrometheus;
      // Variables as Grafana resolves them: the job and instance queries run against Prometheus.
      const instances = await prometheus.waitFor("promregator_info", async () => {
        const series = await prometheus.series(`promregator_info{job="${setup.job}"}`);
        return series.length > 0 ? series.map((s) => s.instance) : undefined;
      });
      expect(instances).toHaveLength(1);
      // The foundation variable's query, as Grafana runs it: empty with the cf: block alone.
      const foundations = setup.foundations
        ? await prometheus.waitFor("promregator_foundation_up", async () => {
            const series = await prometheus.series(`promregator_foundation_up{job="${setup.job}"}`);
            return series.length === 2 ? series.map((s) => s.foundation).sort() : undefined;
          })
        : [];
      expect(foundations).toEqual(setup.foundations ? ["eu", "us"] : []);
      const choices: Record<string, string>[] = [
        // "All" of every multi-value variable, then each value on its own.
        {
          job: variable("job")?.allValue ?? ".+",
          promregator_instance: ".+",
          foundation: variable("foundation")?.allValue ?? ".+",
        },
        { job: setup.job, promregator_instance: instances[0], foundation: foundations[1] ?? ".+" },
      ].map((c) => ({ ...c, label_prefix: setup.labelPrefix, __rate_interval: "10s" }));
      for (const values of choices) {
        for (const { panel, expr, legend, internal, foundations: several } of expressions) {
          if (internal && !setup.internal) continue;
          if (several && !setup.foundations) continue;
          const query = substitute(expr, values);
          expect(query, `${panel}: unsubstituted variable`).not.toMatch(/\$/);
          const result = await prometheus.waitFor(`${panel}: ${query}`, async () => {
            const r = await prometheus.query(query);
            const grouped = groupingLabels(query).filter((l) => l !== "le");
            // Data for every grouping label (an absent label collapses all series into one unnamed line).
            const complete = r.length > 0 && r.every((s) => grouped.every((l) => s.metric[l]));
            return complete ? r : undefined;
          });
          for (const m of (legend ?? "").matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
            for (const series of result) expect(series.metric[m[1]], `${panel} legend ${m[0]}`).toBeTruthy();
          }
        }
      }
    }, 60_000);
  }
});
