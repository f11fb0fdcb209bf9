import type { ExpositionFormat } from "./negotiate.js";

/** The shape prom-client's `metric.get()` resolves to, reduced to what the writers read. */
export interface FamilySnapshot {
  name: string;
  help: string;
  type: string;
  values: ReadonlyArray<{
    value: number;
    labels: Readonly<Record<string, string | number | undefined>>;
    /** prom-client puts a histogram child's own labels here and only `le` in `labels`. */
    sharedLabels?: Readonly<Record<string, string | number | undefined>>;
    metricName?: string;
  }>;
}

export const NAME_PREFIX = "promregator_";

/**
 * Own writers instead of prom-client's: its OpenMetrics mode renames counters in place (so the two formats
 * cannot share one registry), prints NaN as "Nan" and non-canonical `le` values. Like the Java version,
 * every family and sample name is forced to start with `promregator_`.
 */
export function writeExposition(families: readonly FamilySnapshot[], format: ExpositionFormat): string {
  const out: string[] = [];
  const labels = new LabelFormatter();
  for (const family of families) {
    writeFamily(family, format, out, labels);
  }
  if (format === "openmetrics") out.push("# EOF");
  return `${out.join("\n")}\n`;
}

/**
 * The HELP and TYPE lines of a family (each ending in a newline) and the name of its plain samples: text 0.0.4
 * writes HELP first; OpenMetrics writes TYPE first and names a counter family without `_total`, which only its
 * samples carry.
 */
export function familyHeader(
  familyName: string,
  type: string,
  help: string,
  format: ExpositionFormat,
): { header: string; sampleName: string } {
  const full = withPrefix(familyName);
  if (format !== "openmetrics") {
    const header = `# HELP ${full} ${escapeHelp(help, false)}\n# TYPE ${full} ${textType(type)}\n`;
    return { header, sampleName: full };
  }
  const isCounter = type === "counter";
  const name = isCounter ? full.replace(/_total$/, "") : full;
  const header = `# TYPE ${name} ${openMetricsType(type)}\n# HELP ${name} ${escapeHelp(help, true)}\n`;
  return { header, sampleName: isCounter ? `${name}_total` : name };
}

function writeFamily(
  family: FamilySnapshot,
  format: ExpositionFormat,
  out: string[],
  labels: LabelFormatter,
): void {
  const { header, sampleName } = familyHeader(family.name, family.type, family.help, format);
  out.push(header.slice(0, -1));
  for (const sample of family.values) {
    const name = sample.metricName ? withPrefix(sample.metricName) : sampleName;
    out.push(`${name}${labels.format(sample.sharedLabels, sample.labels)} ${formatValue(sample.value)}`);
  }
}

export function withPrefix(name: string): string {
  return name.startsWith(NAME_PREFIX) ? name : NAME_PREFIX + name;
}

function textType(type: string): string {
  return ["counter", "gauge", "histogram", "summary"].includes(type) ? type : "untyped";
}

function openMetricsType(type: string): string {
  return ["counter", "gauge", "histogram", "summary"].includes(type) ? type : "unknown";
}

type Labels = Readonly<Record<string, string | number | undefined>>;

/**
 * Formats label sets. A histogram child's labels are one object shared by all its buckets, sum and count
 * (prom-client's `sharedLabels`), so they are formatted and escaped once per child and render, not per sample:
 * with thousands of instances that was most of the render's time and garbage.
 */
class LabelFormatter {
  private readonly shared = new Map<Labels, { text: string; keys: Set<string> }>();

  format(first: Labels | undefined, second: Labels): string {
    const prefix = first ? this.sharedPart(first) : undefined;
    const parts: string[] = prefix?.text ? [prefix.text] : [];
    appendLabels(second, parts, prefix?.keys);
    return parts.length > 0 ? `{${parts.join(",")}}` : "";
  }

  private sharedPart(labels: Labels) {
    let part = this.shared.get(labels);
    if (!part) {
      const parts: string[] = [];
      const keys = appendLabels(labels, parts);
      part = { text: parts.join(","), keys };
      this.shared.set(labels, part);
    }
    return part;
  }
}

/** Appends `key="value"` for each set label not in `skip`; returns the keys written. */
function appendLabels(labels: Labels, parts: string[], skip?: ReadonlySet<string>): Set<string> {
  const written = new Set<string>();
  for (const [key, value] of Object.entries(labels)) {
    if (value === undefined || skip?.has(key) || written.has(key)) continue;
    written.add(key);
    const text = key === "le" || key === "quantile" ? canonicalNumber(value) : String(value);
    parts.push(`${key}="${escapeLabelValue(text)}"`);
  }
  return written;
}

/** Bucket bounds as floats ("1.0", "+Inf"), the form OpenMetrics asks for and the Java version writes. */
export function canonicalNumber(value: string | number): string {
  const n = typeof value === "number" ? value : Number(value);
  if (Number.isNaN(n)) return String(value);
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : "-Inf";
  const text = String(n);
  return Number.isInteger(n) && !text.includes("e") ? `${text}.0` : text;
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

const NEEDS_ESCAPE = /[\\\n"]/;

export function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Text 0.0.4 escapes backslash and newline in HELP; OpenMetrics also the double quote. */
function escapeHelp(help: string, openMetrics: boolean): string {
  const escaped = help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return openMetrics ? escaped.replace(/"/g, '\\"') : escaped;
}
