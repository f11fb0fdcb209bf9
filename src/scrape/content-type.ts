/** What the target sent: the scrape body's format from its Content-Type. */
import { OPENMETRICS_CONTENT_TYPE, parseMediaType, TEXT_004_CONTENT_TYPE } from "../media-type.js";

export type BodyFormat = "text" | "openmetrics" | "protobuf";

export interface UpstreamContentType {
  format: BodyFormat;
  /** The Content-Type we answer with: the target's own header unless it lacked the version. */
  contentType: string;
}

const VERSION_PATTERN = /^\d+\.\d+\.\d+$/;

/**
 * Classifies the target's Content-Type. Lenient where Java was strict (charset case, missing charset,
 * `text/plain` without version); undefined means "not a metrics format" and fails the scrape.
 */
export function classifyUpstreamContentType(header: string | undefined): UpstreamContentType | undefined {
  if (header === undefined) return classify(header);
  // Targets send a handful of distinct headers: classify each once, not on every scrape.
  let known = classified.get(header);
  if (known === undefined) {
    if (classified.size >= MAX_CLASSIFIED) classified.clear();
    known = classify(header) ?? null;
    classified.set(header, known);
  }
  return known ?? undefined;
}

/** Headers classified so far (null: not a metrics format); bounded, since targets choose the text. */
const classified = new Map<string, UpstreamContentType | null>();
const MAX_CLASSIFIED = 256;

function classify(header: string | undefined): UpstreamContentType | undefined {
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
