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
import { ScrapeFailure } from "./failure.js";
import type { BodyTail } from "./merge.js";

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

/**
 * Follows the framing of a delimited stream as it passes and appends the own families after the last
 * message. A body that ends inside a message (cut off) fails the scrape: our bytes would otherwise be read
 * as the rest of the target's message.
 */
export class DelimitedTail implements BodyTail {
  /** Bytes of the current message still to come. */
  private remaining = 0;
  /** The size prefix being read, and how many of its bytes were seen (0: none, between messages). */
  private size = 0;
  private sizeBytes = 0;
  private broken = false;

  push(chunk: Buffer): Buffer {
    let at = 0;
    while (at < chunk.length && !this.broken) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - at);
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
    }
    return chunk;
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
