/**
 * The protobuf exposition format as far as the proxy needs it: a stream of length-delimited
 * `io.prometheus.client.MetricFamily` messages (each preceded by its size as a base-128 varint). The body is
 * never decoded; only its framing is followed, so that own families are added at a message boundary.
 *
 * Field numbers from prometheus/client_model `io/prometheus/client/metrics.proto`:
 *   MetricFamily { name = 1 (string), help = 2 (string), type = 3 (enum MetricType, GAUGE = 1), metric = 4 }
 *   Metric { gauge = 2 (Gauge) }   Gauge { value = 1 (double) }
 * Two gauges do not justify a protobuf library; this is the whole of what is written.
 */

import type { BodyTail } from "./body-tail.js";
import { ScrapeFailure } from "./failure.js";
import { RESERVED_NAMES } from "./reserved-names.js";

/** Wire types (protobuf encoding guide). */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

const METRIC_TYPE_GAUGE = 1;

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

function tag(field: number, wireType: number): number[] {
  return varint((field << 3) | wireType);
}

function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([...tag(field, LENGTH_DELIMITED), ...varint(payload.length)]), payload]);
}

function double(field: number, value: number): Buffer {
  const out = Buffer.alloc(9);
  out[0] = (field << 3) | FIXED64;
  out.writeDoubleLE(value, 1);
  return out;
}

export interface GaugeFamily {
  name: string;
  help: string;
  /** the value of its one label-less sample */
  value: number;
}

/** Each family as one length-delimited MetricFamily message with a single label-less gauge sample. */
export function encodeGaugeFamilies(families: readonly GaugeFamily[]): Buffer {
  const messages = families.map((family) => {
    const gauge = double(1, family.value);
    const metric = lengthDelimited(2, gauge);
    const message = Buffer.concat([
      lengthDelimited(1, Buffer.from(family.name, "utf8")),
      lengthDelimited(2, Buffer.from(family.help, "utf8")),
      Buffer.from([...tag(3, VARINT), ...varint(METRIC_TYPE_GAUGE)]),
      lengthDelimited(4, metric),
    ]);
    return Buffer.concat([Buffer.from(varint(message.length)), message]);
  });
  return Buffer.concat(messages);
}

/** A varint has at most 10 bytes (64 bits in 7-bit groups). */
const MAX_VARINT_BYTES = 10;

/** How a MetricFamily named like one of ours begins: its name field (encoders write field 1 first). */
const RESERVED_HEADS = RESERVED_NAMES.map((name) => ({
  name,
  head: lengthDelimited(1, Buffer.from(name, "utf8")),
}));
const HEAD_BYTES = Math.max(...RESERVED_HEADS.map((r) => r.head.length));

/**
 * Follows the framing of a delimited stream as it passes and appends the own families after the last
 * message. Notes a family that already carries one of our names, so that nothing is appended then. A body that ends inside a message (cut off) fails the scrape: our bytes would otherwise be read
 * as the rest of the target's message.
 */
export class DelimitedTail implements BodyTail {
  /** A reserved family name the body uses, once seen. */
  found: string | undefined;
  /** Bytes of the current message still to come. */
  private remaining = 0;
  /** The first bytes of the current message, while fewer than HEAD_BYTES are known. */
  private head: Buffer[] = [];
  private headBytes = 0;
  /** The size prefix being read, and how many of its bytes were seen (0: none, between messages). */
  private size = 0;
  private sizeBytes = 0;
  private broken = false;

  push(chunk: Buffer): Buffer {
    let at = 0;
    while (at < chunk.length && !this.broken) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - at);
        if (this.headBytes < HEAD_BYTES && this.found === undefined)
          this.noteHead(chunk, at, skip, this.remaining);
        this.remaining -= skip;
        at += skip;
        continue;
      }
      const byte = chunk[at++];
      this.size += (byte & 0x7f) * 2 ** (7 * this.sizeBytes);
      this.sizeBytes++;
      if (byte & 0x80) {
        if (this.sizeBytes >= MAX_VARINT_BYTES) this.broken = true;
        continue;
      }
      this.remaining = this.size;
      this.size = 0;
      this.sizeBytes = 0;
      this.head = [];
      this.headBytes = 0;
    }
    return chunk;
  }

  /** Collects the start of a message (`available` of its `left` bytes are in `chunk` at `at`) and checks it. */
  private noteHead(chunk: Buffer, at: number, available: number, left: number): void {
    const take = Math.min(available, HEAD_BYTES - this.headBytes);
    this.head.push(Buffer.from(chunk.subarray(at, at + take)));
    this.headBytes += take;
    // Check once the head is as long as it gets: HEAD_BYTES, or the whole (short) message.
    if (this.headBytes < HEAD_BYTES && take < left) return;
    const head = Buffer.concat(this.head);
    this.found = RESERVED_HEADS.find((r) => head.subarray(0, r.head.length).equals(r.head))?.name;
    this.headBytes = HEAD_BYTES;
    this.head = [];
  }

  finish(own: Buffer | undefined): Buffer {
    if (own === undefined) return Buffer.alloc(0);
    if (this.broken) throw new ScrapeFailure("upstream", "protobuf body has a malformed message size");
    if (this.remaining > 0 || this.sizeBytes > 0) {
      throw new ScrapeFailure("upstream", "protobuf body ended inside a message");
    }
    return own;
  }
}
