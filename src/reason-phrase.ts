import { STATUS_CODES } from "node:http";

/** Long enough for a one-line failure reason, short enough for a status line in a log or UI. */
export const MAX_REASON_PHRASE = 200;

/**
 * A one-line text made safe as an HTTP/1.1 reason phrase, so that a client that prints the status line
 * (Prometheus' lastError: "server returned HTTP status 502 target answered 404 Not Found") shows it.
 *
 * RFC 9112 §4: `reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )`. This keeps a stricter subset: visible ASCII
 * and single spaces. CR, LF and other controls (header injection) become spaces; non-ASCII becomes "?", since
 * obs-text would be read as Latin-1; the result is cut to `MAX_REASON_PHRASE` characters. Empty input gives the
 * status code's standard phrase.
 */
export function reasonPhrase(text: string, status: number): string {
  const safe = text
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/[^\u0020-\u007e]/g, "?")
    .replace(/ {2,}/g, " ")
    .trim();
  if (safe === "") return STATUS_CODES[status] ?? "Unknown";
  return safe.length <= MAX_REASON_PHRASE ? safe : `${safe.slice(0, MAX_REASON_PHRASE - 3)}...`;
}
