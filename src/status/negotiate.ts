/** The path of the JSON twin; the server's route table maps it to the status page like `/`. */
export const STATUS_JSON_PATH = "/status.json";

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(",")) {
    const [range, ...params] = part.split(";");
    const [type, subtype] = range.trim().toLowerCase().split("/");
    if (!type || !subtype) continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split("=").map((s) => s.trim());
      if (key?.toLowerCase() === "q") {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/** Quality of a media type under the most specific matching range (RFC 9110 §12.5.1), and how specific that was. */
function quality(
  ranges: readonly MediaRange[],
  type: string,
  subtype: string,
): { q: number; specificity: number } {
  let best = { q: 0, specificity: -1 };
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype
        ? 2
        : range.type === type && range.subtype === "*"
          ? 1
          : range.type === "*" && range.subtype === "*"
            ? 0
            : -1;
    if (specificity > best.specificity) best = { q: range.q, specificity };
  }
  return best;
}

/**
 * JSON when asked for by path, or when the Accept header rates application/json above text/html.
 * On a tie, an explicitly named application/json beats an html reached only through a wildcard
 * (`application/json, *\/*` is what scripts send); otherwise HTML, which is also what no Accept header gets.
 */
export function wantsJson(path: string, accept: string | undefined): boolean {
  if (path === STATUS_JSON_PATH) return true;
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const json = quality(ranges, "application", "json");
  const html = quality(ranges, "text", "html");
  if (json.q <= 0) return false;
  if (json.q !== html.q) return json.q > html.q;
  return json.specificity > html.specificity;
}
