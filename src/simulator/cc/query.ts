import { CcRequestError, ccErrors } from "./errors.js";

export const DEFAULT_PER_PAGE = 50;
export const MAX_PER_PAGE = 5000;

/** Which query parameters one list endpoint understands. */
export interface ListEndpointSpec {
  /** Comma-separated multi-value filters besides the common `guids`. */
  filters: string[];
  includes?: string[];
  orderBy: string[];
  /** Parameters accepted without effect (e.g. `embed`). */
  ignored?: string[];
}

export type LabelRequirement =
  | { op: "exists" | "notexists"; key: string }
  | { op: "eq" | "neq"; key: string; value: string }
  | { op: "in" | "notin"; key: string; values: string[] };

export interface TimestampFilter {
  field: "createdAt" | "updatedAt";
  op: "eq" | "lt" | "lte" | "gt" | "gte";
  values: string[];
}

export interface ListQuery {
  page: number;
  perPage: number;
  orderBy?: { field: string; desc: boolean };
  filters: Map<string, string[]>;
  labels: LabelRequirement[];
  timestamps: TimestampFilter[];
  include: string[];
  /** Parameters repeated in the paging links (everything the request used except page/per_page). */
  echo: [string, string][];
}

const COMMON = ["page", "per_page", "order_by", "label_selector", "guids", "created_ats", "updated_ats"];
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * A multi-value filter as CC's ListMessage.to_array! reads it: the decoded parameter split on a comma and
 * any whitespace after it, then each piece URL-unescaped (so "%2C" inside a piece is a literal comma).
 */
export function splitFilterValue(raw: string): string[] {
  return raw.split(/,\s*/).map(unescapePiece);
}

/** Addressable::URI.unescape: every valid %XX run decoded as UTF-8; anything else kept as it is. */
function unescapePiece(piece: string): string {
  return piece.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function positiveInt(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  return /^\d+$/.test(raw) && Number(raw) > 0 ? Number(raw) : Number.NaN;
}

function splitOutsideParens(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** Kubernetes-style selector as CC accepts it: key, !key, key=v, key==v, key!=v, key in (..), key notin (..). */
export function parseLabelSelector(text: string): LabelRequirement[] | undefined {
  const out: LabelRequirement[] = [];
  for (const rawPart of splitOutsideParens(text)) {
    const part = rawPart.trim();
    let m = /^([^\s!=(),]+)\s+(in|notin)\s+\(([^()]*)\)$/.exec(part);
    if (m) {
      const values = m[3].split(",").map((v) => v.trim());
      out.push({ op: m[2] === "in" ? "in" : "notin", key: m[1], values });
      continue;
    }
    m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(part);
    if (m) {
      out.push({ op: m[2] === "!=" ? "neq" : "eq", key: m[1], value: m[3] });
      continue;
    }
    m = /^(!?)([^\s!=(),]+)$/.exec(part);
    if (m) {
      out.push({ op: m[1] ? "notexists" : "exists", key: m[2] });
      continue;
    }
    return undefined;
  }
  return out;
}

export function matchesLabels(labels: Record<string, string>, reqs: LabelRequirement[]): boolean {
  for (const r of reqs) {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.op) {
      case "exists":
        if (!has) return false;
        break;
      case "notexists":
        if (has) return false;
        break;
      case "eq":
        if (!has || value !== r.value) return false;
        break;
      case "neq":
        if (has && value === r.value) return false;
        break;
      case "in":
        if (!has || !r.values.includes(value)) return false;
        break;
      case "notin":
        if (has && r.values.includes(value)) return false;
        break;
    }
  }
  return true;
}

export function matchesTimestamps(
  rec: { createdAt: string; updatedAt: string },
  filters: TimestampFilter[],
): boolean {
  for (const f of filters) {
    const v = rec[f.field];
    const t = f.values[0];
    const ok =
      f.op === "eq"
        ? f.values.includes(v)
        : f.op === "lt"
          ? v < t
          : f.op === "lte"
            ? v <= t
            : f.op === "gt"
              ? v > t
              : v >= t;
    if (!ok) return false;
  }
  return true;
}

function quoteList(names: string[]): string {
  return names.map((n) => `'${n}'`).join(", ");
}

/** Parses and validates a list request the way CC's ListMessage does; throws CF-BadQueryParameter. */
export function parseListQuery(params: URLSearchParams, spec: ListEndpointSpec): ListQuery {
  const valid = [...COMMON, ...spec.filters, ...(spec.includes ? ["include"] : []), ...(spec.ignored ?? [])];
  const unknown: string[] = [];
  for (const key of new Set(params.keys())) {
    const base = key.replace(/^(created_ats|updated_ats)\[(lt|lte|gt|gte)\]$/, "$1");
    if (!valid.includes(base) && !unknown.includes(key)) unknown.push(key);
  }
  if (unknown.length > 0) {
    throw new CcRequestError(
      ccErrors.badQueryParameter([
        `Unknown query parameter(s): ${quoteList(unknown)}. Valid parameters are: ${quoteList(valid)}`,
      ]),
    );
  }
  const problems: string[] = [];
  const page = positiveInt(params.get("page")) ?? 1;
  if (Number.isNaN(page)) problems.push("Page must be a positive integer");
  let perPage = positiveInt(params.get("per_page")) ?? DEFAULT_PER_PAGE;
  if (Number.isNaN(perPage)) problems.push("Per page must be a positive integer");
  else if (perPage > MAX_PER_PAGE) problems.push(`Per page must be between 1 and ${MAX_PER_PAGE}`);
  if (Number.isNaN(perPage)) perPage = DEFAULT_PER_PAGE;

  let orderBy: ListQuery["orderBy"];
  const rawOrder = params.get("order_by");
  if (rawOrder !== null) {
    const desc = rawOrder.startsWith("-");
    const field = rawOrder.replace(/^[-+]/, "");
    if (spec.orderBy.includes(field)) orderBy = { field, desc };
    else problems.push(`Order by can only be: ${quoteList(spec.orderBy)}`);
  }

  const filters = new Map<string, string[]>();
  for (const name of ["guids", ...spec.filters]) {
    const raw = params.get(name);
    if (raw !== null) filters.set(name, splitFilterValue(raw));
  }

  let labels: LabelRequirement[] = [];
  const rawSelector = params.get("label_selector");
  if (rawSelector !== null) {
    const parsed = parseLabelSelector(rawSelector);
    if (!parsed || rawSelector.trim() === "") problems.push("Invalid label_selector value");
    else labels = parsed;
  }

  const timestamps: TimestampFilter[] = [];
  for (const [key, value] of params) {
    const m = /^(created_ats|updated_ats)(?:\[(lt|lte|gt|gte)\])?$/.exec(key);
    if (!m) continue;
    const values = value.split(",");
    if (values.some((v) => !TIMESTAMP.test(v)) || (m[2] && values.length !== 1)) {
      const label = m[1] === "created_ats" ? "Created ats" : "Updated ats";
      problems.push(
        `${label} has an invalid timestamp format. Timestamps should be formatted as 'YYYY-MM-DDThh:mm:ssZ'`,
      );
      continue;
    }
    timestamps.push({
      field: m[1] === "created_ats" ? "createdAt" : "updatedAt",
      op: (m[2] as TimestampFilter["op"] | undefined) ?? "eq",
      values,
    });
  }

  const include: string[] = [];
  const rawInclude = params.get("include");
  if (rawInclude !== null && spec.includes) {
    for (const item of rawInclude.split(",")) {
      if (!spec.includes.includes(item)) {
        problems.push(
          `Invalid included resource: '${item}'. Valid included resources are: ${quoteList(spec.includes)}`,
        );
      } else if (!include.includes(item)) {
        include.push(item);
      }
    }
  }
  if (problems.length > 0) throw new CcRequestError(ccErrors.badQueryParameter(problems));

  const echo: [string, string][] = [];
  for (const [key, value] of params) {
    if (key !== "page" && key !== "per_page" && !echo.some(([k]) => k === key)) echo.push([key, value]);
  }
  return { page, perPage, orderBy, filters, labels, timestamps, include, echo };
}
