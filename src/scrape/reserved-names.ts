/**
 * Detects a body that already declares or uses promregator_up / promregator_scrape_duration_seconds,
 * on any line, while the body streams through in chunks of arbitrary size.
 */

export const RESERVED_NAMES = ["promregator_up", "promregator_scrape_duration_seconds"] as const;

const MARKER = Buffer.from("promregator_");
/**
 * The marker's tail, searched first. Node's Buffer.indexOf takes a slow general path for a 12-byte needle
 * but a memchr-driven one for a short needle: searching "gator_" and then checking the 6 bytes before each
 * hit finds exactly the same places, about ten times faster on a 190 KB body.
 */
const MARKER_TAIL = MARKER.subarray(6);
const MARKER_HEAD = MARKER.subarray(0, 6);
const NEWLINE = 0x0a;
/** Enough of a line's start to see `# HELP <longest name> `, with room for odd whitespace. */
const LINE_HEAD_LIMIT = 128;
/** Bytes of a line looked at past a marker found beyond LINE_HEAD_LIMIT: the longest name, its quote and a `}`. */
const AFTER_MARKER = 64;
/**
 * A line declaring or using a reserved name: bare (`promregator_up{…} 1`, `# TYPE promregator_up gauge`) or
 * quoted, as Prometheus 3 writes UTF-8 names (`{"promregator_up",a="b"} 1`, `# HELP "promregator_up" …`;
 * Prometheus text format and OpenMetrics 2.0 drafts).
 */
const NAME = "(promregator_up|promregator_scrape_duration_seconds)";
const BARE = `${NAME}(?:[ \\t{\\r]|$)`;
// Quoted in the label set, the name may stand anywhere in it, as a string followed by `,` or `}` rather than
// `=` (Prometheus' text parser, parseLVals); `[^}]*` keeps the search inside the braces.
const RESERVED_LINE = new RegExp(
  `^[ \\t]*(?:#[ \\t]+(?:TYPE|HELP|UNIT)[ \\t]+(?:${BARE}|"${NAME}"(?:[ \\t\\r]|$))|${BARE}|\\{(?:[^}]*,)?[ \\t]*"${NAME}"[ \\t]*[,}])`,
);

/** Where "promregator_" first starts at or after `from` in `chunk`, or -1 (same as chunk.indexOf(MARKER, from)). */
export function indexOfMarker(chunk: Buffer, from: number): number {
  const head = MARKER_HEAD.length;
  for (
    let tail = chunk.indexOf(MARKER_TAIL, from + head);
    tail !== -1;
    tail = chunk.indexOf(MARKER_TAIL, tail + 1)
  ) {
    const start = tail - head;
    if (chunk.compare(MARKER_HEAD, 0, head, start, tail) === 0) return start;
  }
  return -1;
}

export class ReservedNameScanner {
  /** The reserved name found, once one is. */
  found: string | undefined;
  /** Start of the line not yet terminated by a newline. */
  private lineHead = "";
  private lineHeadTruncated = false;

  push(chunk: Buffer): void {
    if (this.found !== undefined || chunk.length === 0) return;
    const firstNewline = chunk.indexOf(NEWLINE);
    if (firstNewline === -1) {
      this.appendToLineHead(chunk, 0, chunk.length);
      return;
    }
    this.appendToLineHead(chunk, 0, firstNewline);
    this.checkLine(this.lineHead, this.lineHeadTruncated);
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    // Lines wholly inside the chunk: only those containing the marker need a look.
    let at = indexOfMarker(chunk, firstNewline + 1);
    while (at !== -1 && at < lastNewline && this.found === undefined) {
      const lineStart = chunk.lastIndexOf(NEWLINE, at) + 1;
      const lineEnd = chunk.indexOf(NEWLINE, at);
      // A quoted name may stand late in the label set: look at least up to just past the marker.
      const headEnd = Math.min(lineEnd, Math.max(lineStart + LINE_HEAD_LIMIT, at + AFTER_MARKER));
      this.checkLine(chunk.toString("latin1", lineStart, headEnd), headEnd < lineEnd);
      at = indexOfMarker(chunk, lineEnd + 1);
    }
    this.lineHead = "";
    this.lineHeadTruncated = false;
    this.appendToLineHead(chunk, lastNewline + 1, chunk.length);
  }

  /** Checks the last line, which had no terminating newline. */
  finish(): void {
    if (this.found === undefined) this.checkLine(this.lineHead, this.lineHeadTruncated);
  }

  private appendToLineHead(chunk: Buffer, start: number, end: number): void {
    const room = LINE_HEAD_LIMIT - this.lineHead.length;
    if (room <= 0) {
      if (end > start) this.lineHeadTruncated = true;
      return;
    }
    const take = Math.min(room, end - start);
    this.lineHead += chunk.toString("latin1", start, start + take);
    if (end - start > take) this.lineHeadTruncated = true;
  }

  private checkLine(line: string, truncated: boolean): void {
    if (this.found !== undefined) return;
    // A truncated head must not match at its (artificial) end: "promregator_up" could go on as "_total".
    const match = RESERVED_LINE.exec(truncated ? `${line}\u0000` : line);
    if (match) this.found = match.slice(1).find((name) => name !== undefined);
  }
}
