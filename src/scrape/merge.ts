/**
 * Appending promregator_up and promregator_scrape_duration_seconds to a body that streams through,
 * in the body's own format, without holding more than a small tail of it.
 */

const UP_HELP = "Indicator, whether the target of promregator is available";
const DURATION_HELP = "Duration in seconds indicating how long scraping of all metrics took";

export type MergeFormat = "text" | "openmetrics";

/** Java's Double.toString for the values we print: `1.0`, `0.0`, `0.005`, `12.0`. */
export function formatJavaDouble(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** Seconds with millisecond resolution, as Java computes the scrape duration. */
export function durationSeconds(elapsedMs: number): number {
  return Math.round(elapsedMs) / 1000;
}

/** The two own families; OpenMetrics puts TYPE before HELP. No `# EOF` here. Ends with a newline. */
export function renderOwnMetrics(format: MergeFormat, up: boolean, seconds: number): string {
  const family = (name: string, help: string, value: string) =>
    format === "text"
      ? `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}\n`
      : `# TYPE ${name} gauge\n# HELP ${name} ${help}\n${name} ${value}\n`;
  return (
    family("promregator_up", UP_HELP, up ? "1.0" : "0.0") +
    family("promregator_scrape_duration_seconds", DURATION_HELP, formatJavaDouble(seconds))
  );
}

/** A complete body for a failed scrape in compatible mode: valid, no leading blank line. */
export function renderFailureBody(format: MergeFormat, seconds: number): string {
  const own = renderOwnMetrics(format, false, seconds);
  return format === "openmetrics" ? `${own}# EOF\n` : own;
}

/** Passes chunks through and produces what goes after the body. */
export interface BodyTail {
  /** Returns the part of `chunk` (plus anything held back before) that can be sent now. */
  push(chunk: Buffer): Buffer;
  /** What to send after the last chunk; `own` undefined means "append nothing, leave the body unchanged". */
  finish(own: string | undefined): Buffer;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const EMPTY = Buffer.alloc(0);

/** Text format: plain concatenation, with the newline Java forgot when the body lacks a final one. */
export class TextTail implements BodyTail {
  private lastByte = -1;

  push(chunk: Buffer): Buffer {
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1];
    return chunk;
  }

  finish(own: string | undefined): Buffer {
    if (own === undefined) return EMPTY;
    const separator = this.lastByte !== -1 && this.lastByte !== NEWLINE ? "\n" : "";
    return Buffer.from(separator + own);
  }
}

const EOF_LINE = "# EOF";
/** Bound on what is held back; only a pathological run of blank lines could reach it. */
const MAX_HELD_BYTES = 4096;

function isLineBreak(byte: number): boolean {
  return byte === NEWLINE || byte === CARRIAGE_RETURN;
}

/**
 * OpenMetrics: own families go before the final `# EOF`. Holds back only the trailing line breaks and a
 * last line that could still become `# EOF`, so an EOF split across chunks is still found.
 */
export class OpenMetricsTail implements BodyTail {
  private held: Buffer = EMPTY;
  private emittedAny = false;

  push(chunk: Buffer): Buffer {
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    const cut = Math.max(holdBackStart(data), data.length - MAX_HELD_BYTES);
    // Copy: a view would pin the whole chunk in memory.
    this.held = Buffer.from(data.subarray(cut));
    if (cut > 0) this.emittedAny = true;
    return data.subarray(0, cut);
  }

  finish(own: string | undefined): Buffer {
    if (own === undefined) return this.held;
    // Same normalisation as Java: drop trailing breaks, one `# EOF`, trailing breaks again.
    let tail = trimLineBreaks(this.held.toString("utf8"));
    if (tail.endsWith(EOF_LINE)) tail = trimLineBreaks(tail.slice(0, -EOF_LINE.length));
    const separator = this.emittedAny || tail.length > 0 ? "\n" : "";
    return Buffer.from(`${tail}${separator}${own}${EOF_LINE}\n`);
  }
}

function trimLineBreaks(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === "\n" || s[end - 1] === "\r")) end--;
  return s.slice(0, end);
}

/** Start of the suffix of `data` that may belong to the final `# EOF` (with its surrounding line breaks). */
function holdBackStart(data: Buffer): number {
  let contentEnd = data.length;
  while (contentEnd > 0 && isLineBreak(data[contentEnd - 1])) contentEnd--;
  if (contentEnd === 0) return 0;
  const lineStart = data.lastIndexOf(NEWLINE, contentEnd - 1) + 1;
  const lastLine = data.toString("latin1", lineStart, contentEnd);
  if (lastLine.length > EOF_LINE.length || !EOF_LINE.startsWith(lastLine)) return contentEnd;
  let start = lineStart;
  while (start > 0 && isLineBreak(data[start - 1])) start--;
  return start;
}

/** Protobuf and anything else that passes through untouched. */
export class PassThroughTail implements BodyTail {
  push(chunk: Buffer): Buffer {
    return chunk;
  }

  finish(): Buffer {
    return EMPTY;
  }
}
