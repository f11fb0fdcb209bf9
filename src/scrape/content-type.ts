/** Media-type handling for scrape bodies: what the target sent, and what the caller accepts. */

export type BodyFormat = "text" | "openmetrics" | "protobuf";

export interface UpstreamContentType {
  format: BodyFormat;
  /** The Content-Type we answer with: the target's own header unless it lacked the version. */
  contentType: string;
}

export const TEXT_004_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** What Java sends; used when the caller sent no Accept of its own. */
export const DEFAULT_ACCEPT =
  "application/openmetrics-text; version=1.0.0; charset=utf-8, text/plain; version=0.0.4; charset=utf-8;q=0.9";

export interface MediaType {
  /** "type/subtype", lower case */
  essence: string;
  /** parameter names lower case, values unquoted and trimmed */
  params: Map<string, string>;
}

/** Parses one media type such as `text/plain;Version=0.0.4; charset="UTF-8"`; undefined when malformed. */
export function parseMediaType(value: string): MediaType | undefined {
  const parts = value.split(";");
  const essence = parts[0].trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+*-]+$/.test(essence) && essence !== "*/*") return undefined;
  const params = new Map<string, string>();
  for (const raw of parts.slice(1)) {
    const eq = raw.indexOf("=");
    if (eq <= 0) continue;
    const name = raw.slice(0, eq).trim().toLowerCase();
    let v = raw.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    params.set(name, v);
  }
  return { essence, params };
}

const VERSION_PATTERN = /^\d+\.\d+\.\d+$/;

/**
 * Classifies the target's Content-Type. Lenient where Java was strict (charset case, missing charset,
 * `text/plain` without version); undefined means "not a metrics format" and fails the scrape.
 */
export function classifyUpstreamContentType(header: string | undefined): UpstreamContentType | undefined {
  // Java treats a missing header as text 0.0.4; an empty one we treat the same way.
  if (header === undefined || header.trim() === "")
    return { format: "text", contentType: TEXT_004_CONTENT_TYPE };
  const media = parseMediaType(header);
  if (!media) return undefined;
  const version = media.params.get("version");
  switch (media.essence) {
    case "text/plain":
      if (version === undefined) {
        // Prometheus 3 rejects a bare text/plain, so answer with the explicit version.
        const charset = media.params.get("charset");
        return {
          format: "text",
          contentType: charset ? `text/plain; version=0.0.4; charset=${charset}` : TEXT_004_CONTENT_TYPE,
        };
      }
      return version === "0.0.4" || version === "1.0.0" ? { format: "text", contentType: header } : undefined;
    case "application/openmetrics-text":
      if (version === undefined) return { format: "openmetrics", contentType: OPENMETRICS_CONTENT_TYPE };
      return VERSION_PATTERN.test(version) ? { format: "openmetrics", contentType: header } : undefined;
    case "application/vnd.google.protobuf":
      return { format: "protobuf", contentType: header };
    default:
      return undefined;
  }
}

/**
 * True when the caller's Accept names OpenMetrics with q > 0, or when there is no Accept at all
 * (the Java default answer is OpenMetrics). A bare wildcard does not count: text is the safe choice then.
 */
export function callerAcceptsOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return true;
  for (const range of accept.split(",")) {
    const media = parseMediaType(range);
    if (media?.essence !== "application/openmetrics-text") continue;
    const q = media.params.get("q");
    if (q === undefined || Number(q) > 0) return true;
  }
  return false;
}
