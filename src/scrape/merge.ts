/**
 * Adding promregator_up and promregator_scrape_duration_seconds to a body that streams through, in the body's
 * own format, without holding more than a few bytes of it. The rule: the proxy adds its own samples and nothing
 * else. No byte of the target's body is removed or changed, and a body that Prometheus would reject when
 * scraping the target directly is never turned into one it accepts (nor the other way round).
 */
import type { BodyTail } from "./body-tail.js";
import type { BodyFormat } from "./content-type.js";
import { ScrapeFailure } from "./failure.js";
import { encodeGaugeFamilies } from "./protobuf.js";

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

/**
 * The two own families; OpenMetrics puts TYPE before HELP. No `# EOF` here. Every line ends with `\n`, the
 * only line ending both text formats define, whatever the target's body uses.
 */
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

/**
 * renderOwnMetrics' text up to the duration's value, per format and up, and its end: every scrape sends them,
 * and only the value changes.
 */
const OWN_TEXT_HEAD = new Map<string, string>();
const OWN_TEXT_TAIL = "\n";

function ownTextHead(format: MergeFormat, up: boolean): string {
  const key = `${format}:${up}`;
  let head = OWN_TEXT_HEAD.get(key);
  if (head === undefined) {
    // The value 0 marks the end of the head: it is the last thing renderOwnMetrics writes but its newline.
    const whole = renderOwnMetrics(format, up, 0);
    head = whole.slice(0, whole.length - formatJavaDouble(0).length - OWN_TEXT_TAIL.length);
    OWN_TEXT_HEAD.set(key, head);
  }
  return head;
}

/** The own samples encoded for a body of `format`: text lines, or length-delimited MetricFamily messages. */
export function renderOwnSamples(format: BodyFormat, up: boolean, seconds: number): Buffer {
  if (format !== "protobuf") {
    const head = ownTextHead(format, up);
    const value = formatJavaDouble(seconds);
    // ASCII throughout: one byte per character.
    const bytes = Buffer.allocUnsafe(head.length + value.length + OWN_TEXT_TAIL.length);
    let at = bytes.write(head, 0, "latin1");
    at += bytes.write(value, at, "latin1");
    bytes.write(OWN_TEXT_TAIL, at, "latin1");
    return bytes;
  }
  return encodeGaugeFamilies([
    { name: "promregator_up", help: UP_HELP, value: up ? 1 : 0 },
    { name: "promregator_scrape_duration_seconds", help: DURATION_HELP, value: seconds },
  ]);
}

/** A complete body for a failed scrape in compatible mode: valid, no leading blank line. */
export function renderFailureBody(format: MergeFormat, seconds: number): string {
  const own = renderOwnMetrics(format, false, seconds);
  return format === "openmetrics" ? `${own}# EOF\n` : own;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const EMPTY = Buffer.alloc(0);

/**
 * Text format: own samples are appended after the body's final newline. A body whose last line has no
 * newline is passed through unchanged and without own samples: adding the newline would repair it for
 * parsers that reject it (prometheus/common's), and failing it would break it for those that accept it
 * (Prometheus 2's scrape parser).
 */
export class TextTail implements BodyTail {
  private lastByte = -1;
  leftOut?: string;

  push(chunk: Buffer): Buffer {
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1];
    return chunk;
  }

  finish(own: Buffer | undefined): Buffer {
    if (own === undefined) return EMPTY;
    if (this.lastByte !== -1 && this.lastByte !== NEWLINE) {
      this.leftOut = "the target's text body does not end with a newline";
      return EMPTY;
    }
    return own;
  }
}

const EOF_LINE = Buffer.from("# EOF");

/**
 * OpenMetrics: own samples go right before the final `# EOF` line, which may carry one newline (OpenMetrics
 * 1.0 ABNF: `HASH SP eof [ LF ]`). Holds back only a last line that is, or may still become, that line
 * (at most 6 bytes). A body without that final line is cut off or broken, and fails the scrape.
 */
export class OpenMetricsTail implements BodyTail {
  /** A possible final `# EOF` line (or the start of one); always begins at a line start. */
  private held: Buffer = EMPTY;
  /** Whether the next byte of the body begins a line. */
  private atLineStart = true;
  private eofFollowedByData = false;

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    const startsLine = this.held.length > 0 || this.atLineStart;
    const data = this.held.length > 0 ? Buffer.concat([this.held, chunk]) : chunk;
    const cut = finalEofCandidate(data, startsLine);
    if (!this.eofFollowedByData && hasEofLine(data, cut, startsLine)) this.eofFollowedByData = true;
    // Copy: a view would pin the whole chunk in memory.
    this.held = cut < data.length ? Buffer.from(data.subarray(cut)) : EMPTY;
    if (cut > 0) this.atLineStart = data[cut - 1] === NEWLINE;
    return data.subarray(0, cut);
  }

  finish(own: Buffer | undefined): Buffer {
    if (own === undefined) return this.held;
    if (this.eofFollowedByData) throw new ScrapeFailure("upstream", "OpenMetrics body has data after # EOF");
    const lineEnd = this.held.length > 0 && this.held[this.held.length - 1] === NEWLINE ? 1 : 0;
    if (!this.held.subarray(0, this.held.length - lineEnd).equals(EOF_LINE)) {
      throw new ScrapeFailure("upstream", "OpenMetrics body ended without # EOF");
    }
    return Buffer.concat([own, this.held]);
  }
}

/** Start of the last line of `data` when it is `# EOF` (plus one newline) or could still become it; else the end. */
function finalEofCandidate(data: Buffer, startsLine: boolean): number {
  const terminated = data[data.length - 1] === NEWLINE;
  const end = terminated ? data.length - 1 : data.length;
  // (lastIndexOf with a negative offset would count from the end)
  const lineStart = end === 0 ? 0 : data.lastIndexOf(NEWLINE, end - 1) + 1;
  if (lineStart === 0 && !startsLine) return data.length;
  const line = data.subarray(lineStart, end);
  const candidate = terminated ? line.equals(EOF_LINE) : EOF_LINE.subarray(0, line.length).equals(line);
  return candidate && line.length <= EOF_LINE.length && line.length > 0 ? lineStart : data.length;
}

/** Whether `data[0, before)` holds a `# EOF` line followed by more bytes (`\r` counts as more). */
function hasEofLine(data: Buffer, before: number, startsLine: boolean): boolean {
  for (let at = data.indexOf(EOF_LINE); at !== -1 && at < before; at = data.indexOf(EOF_LINE, at + 1)) {
    const next = data[at + EOF_LINE.length];
    const atLineStart = at === 0 ? startsLine : data[at - 1] === NEWLINE;
    if (atLineStart && (next === NEWLINE || next === CARRIAGE_RETURN)) return true;
  }
  return false;
}
