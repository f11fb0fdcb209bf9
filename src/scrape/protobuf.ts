/**
 * The protobuf exposition format as far as the proxy needs it: a stream of length-delimited
 * `io.prometheus.client.MetricFamily` messages (each preceded by its size as a base-128 varint). The body is
 * never decoded: its framing is followed, so that own families are added at a message boundary, and each
 * message's top-level fields are stepped over for its name, so that a family named like ours is noticed.
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

/** Wire types skipped by their fixed size. */
const FIXED32 = 5;
/** The longest name worth keeping: a longer one is none of ours. */
const MAX_RESERVED_BYTES = Math.max(...RESERVED_NAMES.map((name) => Buffer.byteLength(name)));

/**
 * Reads the top-level fields of one MetricFamily message as its bytes pass, for its name (field 1): any field
 * order, and the last name when there are several, as a protobuf decoder reads them (protobuf encoding guide:
 * "the last value wins"). Other fields are skipped by their length; nothing is copied but a short name.
 */
class FamilyNameScanner {
  /** What the next bytes are: a tag, a varint value, a length prefix, bytes to skip, or name bytes. */
  private state: "tag" | "value" | "length" | "skip" | "name" | "opaque" = "tag";
  private number = 0;
  private shift = 0;
  private field = 0;
  private left = 0;
  private nameBytes: number[] = [];
  /** The last complete name field, if it was short enough to be one of ours. */
  name: string | undefined;
  private nameTooLong = false;

  /** For the next message. */
  reset(): void {
    this.state = "tag";
    this.number = 0;
    this.shift = 0;
    this.left = 0;
    this.name = undefined;
  }

  feed(chunk: Buffer, from: number, to: number): void {
    let at = from;
    while (at < to && this.state !== "opaque") {
      if (this.state === "skip" || this.state === "name") {
        const take = Math.min(this.left, to - at);
        if (this.state === "name") for (let i = at; i < at + take; i++) this.nameBytes.push(chunk[i]);
        this.left -= take;
        at += take;
        if (this.left === 0) this.fieldDone();
        continue;
      }
      const byte = chunk[at++];
      this.number += (byte & 0x7f) * 2 ** this.shift;
      this.shift += 7;
      if (byte & 0x80) {
        if (this.shift >= 7 * MAX_VARINT_BYTES) this.state = "opaque";
        continue;
      }
      const value = this.number;
      this.number = 0;
      this.shift = 0;
      if (this.state === "tag") this.onTag(value);
      else if (this.state === "value") this.state = "tag";
      else this.onLength(value);
    }
  }

  private onTag(tag: number): void {
    this.field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (wireType === VARINT) this.state = "value";
    else if (wireType === LENGTH_DELIMITED) this.state = "length";
    else if (wireType === FIXED64 || wireType === FIXED32) {
      this.left = wireType === FIXED64 ? 8 : 4;
      this.state = "skip";
    } else this.state = "opaque"; // groups: not in metrics.proto
  }

  private onLength(length: number): void {
    this.left = length;
    const isName = this.field === 1;
    if (isName) {
      this.nameBytes = [];
      this.nameTooLong = length > MAX_RESERVED_BYTES;
    }
    this.state = isName && !this.nameTooLong ? "name" : "skip";
    if (isName && this.nameTooLong) this.name = undefined;
    if (length === 0) this.fieldDone();
  }

  private fieldDone(): void {
    if (this.state === "name") this.name = Buffer.from(this.nameBytes).toString("utf8");
    this.state = "tag";
  }
}

/**
 * Follows the framing of a delimited stream as it passes and appends the own families after the last
 * message. Notes a family that already carries one of our names, so that nothing is appended then. A body that
 * ends inside a message (cut off) fails the scrape: our bytes would otherwise be read as the rest of the
 * target's message.
 */
export class DelimitedTail implements BodyTail {
  /** A reserved family name the body uses, once seen. */
  found: string | undefined;
  /** Bytes of the current message still to come. */
  private remaining = 0;
  private readonly scanner = new FamilyNameScanner();
  /** The size prefix being read, and how many of its bytes were seen (0: none, between messages). */
  private size = 0;
  private sizeBytes = 0;
  private broken = false;

  push(chunk: Buffer): Buffer {
    let at = 0;
    while (at < chunk.length && !this.broken) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        if (this.found === undefined) this.scanner.feed(chunk, at, at + take);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.messageDone();
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
      this.scanner.reset();
      if (this.remaining === 0) this.messageDone();
    }
    return chunk;
  }

  private messageDone(): void {
    const name = this.scanner.name;
    if (
      this.found === undefined &&
      name !== undefined &&
      (RESERVED_NAMES as readonly string[]).includes(name)
    )
      this.found = name;
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
