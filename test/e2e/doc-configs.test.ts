/**
 * Every configuration block of README.md and docs/*.md is complete and works as written: Prometheus
 * configurations pass `promtool check config` and, run by a real Prometheus against Promregator on the demo
 * landscape, scrape every discovered instance with the documented labels; Promregator configurations load.
 * The demo's printed prometheus.yml is held to the same standard.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config/index.js";
import { runDemo } from "../../src/demo.js";
import { createLogger } from "../../src/log.js";
import { type DemoProduct, startDemoProduct } from "./demo-product.js";
import {
  aimAtPromregator,
  type DocBlock,
  isPrometheusConfig,
  printedPrometheusConfig,
  yamlBlocks,
} from "./doc-configs.js";
import {
  PROMTOOL_BIN,
  prometheusAvailable,
  promtoolCheckConfig,
  type RunningPrometheus,
  startPrometheusWithConfig,
} from "./prometheus.js";

const blocks = yamlBlocks();
const prometheusBlocks = blocks.filter((b) => isPrometheusConfig(b.text));
const name = (b: DocBlock) => `${b.file}:${b.line}`;
interface ScrapeJob {
  basic_auth?: { username: string };
  http_sd_configs?: { basic_auth?: { username: string } }[];
}

const isManifest = (b: DocBlock) => /^applications:/m.test(b.text);
const toolsAvailable = prometheusAvailable && existsSync(PROMTOOL_BIN);

/** Files whose Promregator blocks are whole promregator.yml files (the others show single keys). */
const WHOLE_PROMREGATOR_FILES = ["README.md", "docs/prometheus.md", "docs/ha.md", "docs/scaling.md"];
/** Files whose Prometheus blocks keep only a share of the targets; their own end-to-end test runs them. */
const SHARDED_FILES = ["docs/scaling.md"]; // scale-out.test.ts

describe("configuration blocks in the documentation", () => {
  it("include the Prometheus jobs of the README, prometheus.md and ha.md", () => {
    const files = new Set(prometheusBlocks.map((b) => b.file));
    for (const f of ["README.md", "docs/prometheus.md", "docs/ha.md"]) expect(files).toContain(f);
  });

  it.each(prometheusBlocks.map((b) => [name(b), b] as const))("%s is a whole prometheus.yml", (_, block) => {
    const config = parse(block.text) as { scrape_configs?: { job_name: string }[] };
    expect(Array.isArray(config), "a bare list of jobs").toBe(false);
    expect(config.scrape_configs?.length).toBeGreaterThan(0);
  });

  const promregatorBlocks = blocks.filter(
    (b) => !isPrometheusConfig(b.text) && !isManifest(b) && WHOLE_PROMREGATOR_FILES.includes(b.file),
  );
  it.each(promregatorBlocks.map((b) => [name(b), b] as const))(
    "%s is a whole promregator.yml that loads without warnings",
    (_, block) => {
      // The secrets come from the environment, as the documents say.
      const env = { CF_PASSWORD: "x", PROMREGATOR_PASSWORD: "y" };
      const { warnings } = loadConfig({ text: block.text, env });
      expect(warnings).toEqual([]);
    },
  );

  it.each(blocks.filter(isManifest).map((b) => [name(b), b] as const))(
    "%s shows manifest.yml as it is",
    (_, block) => {
      const manifest = parse(readFileSync(resolve(import.meta.dirname, "../../manifest.yml"), "utf8"));
      expect(manifest).toMatchObject(parse(block.text));
    },
  );
});

describe.skipIf(!toolsAvailable)("documented Prometheus configurations, run for real", () => {
  let product: DemoProduct;
  const PASSWORD = "doc-configs-inbound-secret";
  /** One Promregator per inbound protection, shared by the blocks that need the same. */
  const promregators = new Map<string, ReturnType<DemoProduct["addPromregator"]>>();

  beforeAll(async () => {
    product = await startDemoProduct();
  }, 60_000);

  afterAll(async () => {
    await product?.stop();
  });

  /**
   * A Promregator whose inbound protection is what the block's credentials are for: `/discovery` when the
   * http_sd entry has basic_auth, the scrape endpoints when the job has it; the user is the block's. Returns it
   * with the health Prometheus must see per __metrics_path__ (the demo landscape has an instance that cannot be
   * scraped).
   */
  async function promregatorFor(block: DocBlock) {
    const job = (parse(block.text) as { scrape_configs: ScrapeJob[] }).scrape_configs[0];
    const sdAuth = job.http_sd_configs?.[0]?.basic_auth;
    const user = job.basic_auth?.username ?? sdAuth?.username;
    const env: Record<string, string> = user
      ? {
          PROMREGATOR_AUTHENTICATION_BASIC_USERNAME: user,
          PROMREGATOR_AUTHENTICATION_BASIC_PASSWORD: PASSWORD,
          PROMREGATOR_DISCOVERY_AUTH: sdAuth ? "BASIC" : "NONE",
          PROMREGATOR_ENDPOINT_AUTH: job.basic_auth ? "BASIC" : "NONE",
          PROMREGATOR_METRICS_AUTH: job.basic_auth ? "BASIC" : "NONE",
        }
      : {};
    const key = JSON.stringify(env);
    let started = promregators.get(key);
    if (!started) {
      started = product.addPromregator(env);
      promregators.set(key, started);
    }
    const promregator = await started;
    const headers: Record<string, string> = user
      ? { authorization: `Basic ${Buffer.from(`${user}:${PASSWORD}`).toString("base64")}` }
      : {};
    const groups = (await (await fetch(`${promregator.url}/discovery`, { headers })).json()) as {
      labels: Record<string, string>;
    }[];
    const expected = new Map<string, boolean>();
    for (const { labels } of groups) {
      const answer = await fetch(`${promregator.url}${labels.__metrics_path__}`, { headers });
      await answer.arrayBuffer();
      expected.set(labels.__metrics_path__, answer.ok);
    }
    expect([...expected.values()].filter(Boolean).length).toBeGreaterThan(1);
    const passwordFile = join(promregator.sdFile, "..", `password-${promregator.port}`);
    writeFileSync(passwordFile, PASSWORD);
    return { promregator, expected, passwordFile };
  }

  /** Runs Prometheus until every discovered target has the expected health, then checks the six relabelling rules. */
  async function scrapesEveryInstance(configYaml: string, expected: Map<string, boolean>): Promise<void> {
    let prometheus: RunningPrometheus | undefined;
    try {
      prometheus = await startPrometheusWithConfig(configYaml);
      const prom = prometheus;
      const targets = await prom.waitFor(
        "every target scraped as expected",
        async () => {
          const active = await prom.targets();
          const asExpected = active.every(
            (t) => (t.health === "up") === expected.get(t.discoveredLabels.__metrics_path__),
          );
          return active.length === expected.size && asExpected ? active : undefined;
        },
        45_000,
      );
      for (const t of targets) {
        const meta = (key: string) => t.discoveredLabels[`__meta_promregator_target_${key}`];
        if (meta("instanceId") === undefined) continue; // the own-metrics target
        expect(t.labels).toMatchObject({
          instance: meta("instanceId"),
          cf_instance_id: meta("instanceId"),
          org_name: meta("orgName"),
          space_name: meta("spaceName"),
          app_name: meta("applicationName"),
          cf_instance_number: meta("instanceNumber"),
        });
      }
    } finally {
      await prometheus?.stop();
    }
  }

  const unsharded = prometheusBlocks.filter((b) => !SHARDED_FILES.includes(b.file));
  it.each(unsharded.map((b) => [name(b), b] as const))(
    "%s passes promtool and scrapes every instance with the documented labels",
    async (_, block) => {
      const check = promtoolCheckConfig(block.text);
      expect(check.output).toContain("SUCCESS");
      expect(check.code).toBe(0);
      const { promregator, expected, passwordFile } = await promregatorFor(block);
      await scrapesEveryInstance(
        aimAtPromregator(block.text, {
          promregatorUrl: promregator.url,
          sdFile: promregator.sdFile,
          passwordFile,
        }),
        expected,
      );
    },
    90_000,
  );

  it("the demo prints a whole prometheus.yml that promtool accepts, aimed at the demo's /discovery", async () => {
    let printed = "";
    const demo = await runDemo({
      port: 0,
      address: "127.0.0.1",
      logger: createLogger("error"),
      print: (text) => {
        printed += text;
      },
    });
    try {
      const config = printedPrometheusConfig(printed);
      expect(promtoolCheckConfig(config).code).toBe(0);
      // The printed discovery URL is used as it is; only the scrape interval is shortened.
      const discovery = (parse(config) as { scrape_configs: { http_sd_configs: { url: string }[] }[] })
        .scrape_configs[0].http_sd_configs[0].url;
      expect(discovery).toBe(`${demo.app.url}/discovery`);
      expect(printed).not.toMatch(/under scrape_configs/);
    } finally {
      await demo.close();
    }
  });
});
