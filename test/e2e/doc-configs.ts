import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";

const ROOT = resolve(import.meta.dirname, "../..");

export interface DocBlock {
  /** Path relative to the repository, e.g. docs/prometheus.md */
  file: string;
  /** Line of the opening fence. */
  line: number;
  text: string;
}

/** The Markdown files users read: README.md and docs/*.md. */
export function docFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort();
  return ["README.md", ...docs.map((f) => `docs/${f}`)];
}

/** Every fenced ```yaml block of the given Markdown files, in order. */
export function yamlBlocks(files: string[] = docFiles()): DocBlock[] {
  const blocks: DocBlock[] = [];
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() !== "```yaml") continue;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i].trim() !== "```"; i++) body.push(lines[i]);
      blocks.push({ file, line: start + 1, text: `${body.join("\n")}\n` });
    }
  }
  return blocks;
}

const PROMETHEUS_KEYS = ["global", "scrape_configs", "rule_files", "alerting", "remote_write", "job_name"];

/** Whether a block is (meant as) Prometheus configuration: a prometheus.yml, or a bare job or job list. */
export function isPrometheusConfig(text: string): boolean {
  if (/^\s*-\s+job_name:/m.test(text)) return true;
  const value: unknown = parse(text);
  return typeof value === "object" && value !== null && PROMETHEUS_KEYS.some((k) => k in value);
}

interface ScrapeConfig {
  scrape_interval?: string;
  scrape_timeout?: string;
  basic_auth?: { password_file?: string };
  http_sd_configs?: { url: string; refresh_interval?: string; basic_auth?: { password_file?: string } }[];
  file_sd_configs?: { files: string[] }[];
}

/**
 * A documented prometheus.yml aimed at a running Promregator: the http_sd URLs keep their path but get the
 * scheme, host and port of `promregatorUrl`, file_sd reads `sdFile`, password files are `passwordFile`, and
 * scrapes run every second so that a test sees samples soon. Everything else stays as written.
 */
export function aimAtPromregator(
  text: string,
  target: { promregatorUrl: string; sdFile: string; passwordFile: string },
): string {
  const config = parse(text) as { global?: Record<string, unknown>; scrape_configs: ScrapeConfig[] };
  config.global = { ...config.global, scrape_interval: "1s", scrape_timeout: "1s" };
  for (const job of config.scrape_configs) {
    delete job.scrape_interval;
    delete job.scrape_timeout;
    if (job.basic_auth?.password_file) job.basic_auth.password_file = target.passwordFile;
    for (const sd of job.http_sd_configs ?? []) {
      sd.url = `${target.promregatorUrl}${new URL(sd.url).pathname}`;
      sd.refresh_interval = "1s";
      if (sd.basic_auth?.password_file) sd.basic_auth.password_file = target.passwordFile;
    }
    for (const sd of job.file_sd_configs ?? []) sd.files = [target.sdFile];
  }
  return stringify(config);
}

/** The prometheus.yml that `promregator demo` prints: from the `scrape_configs:` line to the next blank line. */
export function printedPrometheusConfig(printed: string): string {
  const lines = printed.split("\n");
  const start = lines.findIndex((l) => l.startsWith("scrape_configs:"));
  if (start < 0) throw new Error(`no scrape_configs: block in\n${printed}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === "");
  return `${lines.slice(start, end < 0 ? undefined : end).join("\n")}\n`;
}
