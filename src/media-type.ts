/**
 * Media types in one place: the exposition content types, Content-Type parsing, and Accept negotiation with
 * q-values (RFC 9110 §12.5.1), shared by the scrape path, the own metrics and the status page so that they
 * all pick the same format for the same Accept header.
 */

/** Prometheus text format 0.0.4 as Promregator writes it. */
export const TEXT_004_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
/** OpenMetrics 1.0.0 as Promregator writes it. */
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/** Length-delimited `io.prometheus.client.MetricFamily` messages (prometheus/client_model metrics.proto). */
export const PROTOBUF_DELIMITED_CONTENT_TYPE =
  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/** Plain-text answers of our own (errors, health checks). */
export const PLAIN_TEXT_CONTENT_TYPE = "text/plain; charset=utf-8";
/** The http_sd document and /status.json. */
export const JSON_CONTENT_TYPE = "application/json";
/** The status page. */
export const HTML_CONTENT_TYPE = "text/html; charset=utf-8";

/** The Accept header Java Promregator sends to targets; used when the caller sent none of its own. */
export const JAVA_DEFAULT_ACCEPT =
  "application/openmetrics-text; version=1.0.0; charset=utf-8, text/plain; version=0.0.4; charset=utf-8;q=0.9";

export interface MediaType {
  /** "type/subtype", lower case */
  essence: string;
  /** parameter names lower case, values unquoted and trimmed */
  params: Map<string, string>;
}

/** One range of an Accept header. */
export interface MediaRange {
  /** lower case; `*` for a wildcard */
  type: string;
  /** lower case; `*` for a wildcard */
  subtype: string;
  /** parameters other than q, names lower case, values unquoted */
  params: Map<string, string>;
  /** 0..1 */
  q: number;
}

/** Something we can answer with. */
export interface Offer {
  type: string;
  subtype: string;
  /** `version` values this offer satisfies; when set, a range naming another version does not match. */
  versions?: readonly string[];
}

const TOKEN = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** Parses one media type such as `text/plain;Version=0.0.4; charset="UTF-8"`; undefined when malformed. */
export function parseMediaType(value: string): MediaType | undefined {
  const [essencePart = "", ...rawParams] = splitOutsideQuotes(value, ";");
  const essence = essencePart.toLowerCase();
  const [type, subtype, extra] = essence.split("/");
  if (extra !== undefined || !type || !subtype || !TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  return { essence, params: parseParams(rawParams) };
}

/**
 * Parses an Accept header into its ranges. Malformed ranges, and ranges whose q is not an RFC 9110 qvalue
 * (0 to 1, at most three decimals), are dropped rather than guessed at.
 */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of splitOutsideQuotes(header, ",")) {
    const media = parseMediaType(part);
    if (!media) continue;
    const [type, subtype] = media.essence.split("/");
    if (type === "*" && subtype !== "*") continue;
    const rawQ = media.params.get("q");
    media.params.delete("q");
    if (rawQ !== undefined && !QVALUE.test(rawQ)) continue;
    ranges.push({ type, subtype, params: media.params, q: rawQ === undefined ? 1 : Number(rawQ) });
  }
  return ranges;
}

const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

export interface Preference {
  /** The q of the most specific matching range; 0 when none matches. */
  q: number;
  /** -1 none, 0 `*\/*`, 1 `type/*`, 2 `type/subtype`, 3 with a matching version parameter. */
  specificity: number;
}

/** How much the ranges want `offer`: the most specific matching range decides (RFC 9110 §12.5.1). */
export function preferenceFor(offer: Offer, ranges: readonly MediaRange[]): Preference {
  let best: Preference = { q: 0, specificity: -1 };
  for (const range of ranges) {
    const specificity = matchSpecificity(offer, range);
    if (specificity > best.specificity || (specificity === best.specificity && range.q > best.q)) {
      best = { q: range.q, specificity };
    }
  }
  return best.specificity < 0 ? { q: 0, specificity: -1 } : best;
}

function matchSpecificity(offer: Offer, range: MediaRange): number {
  if (range.type === "*") return 0;
  if (range.type !== offer.type) return -1;
  if (range.subtype === "*") return 1;
  if (range.subtype !== offer.subtype) return -1;
  const version = range.params.get("version");
  if (version === undefined || offer.versions === undefined) return 2;
  return offer.versions.includes(version) ? 3 : -1;
}

/** The text formats Promregator writes itself (own metrics, failure bodies). */
export type ExpositionFormat = "openmetrics" | "text";

const OPENMETRICS_OFFER: Offer = { type: "application", subtype: "openmetrics-text", versions: ["1.0.0"] };
const TEXT_OFFER: Offer = { type: "text", subtype: "plain", versions: ["0.0.4"] };

/** What to answer when the caller sent no Accept header (or an empty one). */
export interface NegotiationPolicy {
  withoutAccept: ExpositionFormat;
}

/** `/promregatorMetrics`: text 0.0.4 without an Accept header, which every scraper can read. */
export const OWN_METRICS_POLICY: NegotiationPolicy = { withoutAccept: "text" };
/** Scrape answers written by Promregator itself: OpenMetrics without an Accept header, as Java answers. */
export const SCRAPE_POLICY: NegotiationPolicy = { withoutAccept: "openmetrics" };

/**
 * OpenMetrics 1.0.0 when the caller ranks it strictly above text 0.0.4; otherwise text (also for `*\/*`,
 * a tie, or only formats we cannot produce). Without an Accept header the policy decides.
 */
export function chooseExposition(accept: string | undefined, policy: NegotiationPolicy): ExpositionFormat {
  if (accept === undefined || accept.trim() === "") return policy.withoutAccept;
  const ranges = parseAccept(accept);
  return preferenceFor(OPENMETRICS_OFFER, ranges).q > preferenceFor(TEXT_OFFER, ranges).q
    ? "openmetrics"
    : "text";
}

export function contentTypeOf(format: ExpositionFormat): string {
  return format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : TEXT_004_CONTENT_TYPE;
}

function parseParams(rawParams: readonly string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const raw of rawParams) {
    const eq = raw.indexOf("=");
    if (eq <= 0) continue;
    params.set(raw.slice(0, eq).trim().toLowerCase(), unquote(raw.slice(eq + 1).trim()));
  }
  return params;
}

/** Splits on `separator` outside quoted strings; parts trimmed, empty parts dropped. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === "\\") i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return value;
}
