/** Exposition formats Promregator can write for its own metrics. */
export type ExpositionFormat = "openmetrics" | "text";

export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";
export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

interface MediaRange {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
}

interface Offer {
  type: string;
  subtype: string;
  /** `version` values this offer satisfies; a range naming another version does not match. */
  versions: readonly string[];
}

const OPENMETRICS: Offer = { type: "application", subtype: "openmetrics-text", versions: ["1.0.0"] };
const TEXT: Offer = { type: "text", subtype: "plain", versions: ["0.0.4"] };

/**
 * OpenMetrics only when the client ranks it strictly above text 0.0.4 (RFC 9110 q-values, most specific
 * matching range wins). Everything else — no header, `*\/*`, text, or something we cannot produce —
 * gets text 0.0.4: unlike the Java version we never answer 400 here.
 */
export function chooseExpositionFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return "text";
  const ranges = parseAccept(accept);
  return qualityOf(OPENMETRICS, ranges) > qualityOf(TEXT, ranges) ? "openmetrics" : "text";
}

export function contentTypeOf(format: ExpositionFormat): string {
  return format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
}

function qualityOf(offer: Offer, ranges: readonly MediaRange[]): number {
  let best = -1;
  let q = 0;
  for (const range of ranges) {
    const specificity = matchSpecificity(offer, range);
    if (specificity > best || (specificity === best && range.q > q)) {
      best = specificity;
      q = range.q;
    }
  }
  return best < 0 ? 0 : q;
}

/** -1 = no match; higher = more specific. */
function matchSpecificity(offer: Offer, range: MediaRange): number {
  if (range.type === "*") return range.subtype === "*" ? 0 : -1;
  if (range.type !== offer.type) return -1;
  if (range.subtype === "*") return 1;
  if (range.subtype !== offer.subtype) return -1;
  const version = range.params.get("version");
  if (version === undefined) return 2;
  return offer.versions.includes(version) ? 3 : -1;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of splitOutsideQuotes(header, ",")) {
    const [mediaType = "", ...rawParams] = splitOutsideQuotes(part, ";");
    const slash = mediaType.indexOf("/");
    if (slash <= 0) continue;
    const type = mediaType.slice(0, slash).trim().toLowerCase();
    const subtype = mediaType
      .slice(slash + 1)
      .trim()
      .toLowerCase();
    if (!type || !subtype) continue;
    const params = new Map<string, string>();
    let q = 1;
    let validQ = true;
    for (const raw of rawParams) {
      const eq = raw.indexOf("=");
      if (eq <= 0) continue;
      const name = raw.slice(0, eq).trim().toLowerCase();
      const value = unquote(raw.slice(eq + 1).trim());
      if (name === "q") {
        q = Number(value);
        validQ = value !== "" && Number.isFinite(q) && q >= 0 && q <= 1;
      } else {
        params.set(name, value);
      }
    }
    // A range with a nonsensical q is dropped rather than guessed at.
    if (validQ) ranges.push({ type, subtype, params, q });
  }
  return ranges;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === "\\" && quoted && i + 1 < text.length) {
      current += ch + text[++i];
      continue;
    }
    if (ch === separator && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return value;
}
