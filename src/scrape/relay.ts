import type { BodyTail } from "./body-tail.js";
import type { BodyFormat } from "./content-type.js";
import { ScrapeFailure } from "./failure.js";
import { OpenMetricsTail, TextTail } from "./merge.js";
import { DelimitedTail } from "./protobuf.js";
import { ReservedNameScanner } from "./reserved-names.js";
import type { CommittingWriter } from "./writer.js";

export interface RelayOptions {
  /** The decoded body. */
  source: AsyncIterable<Buffer>;
  format: BodyFormat;
  writer: CommittingWriter;
  /** Bytes after decompression. */
  maxBodySize: number;
  /** The own samples encoded for `format`; rendered at the very end, so the duration covers the whole body. */
  ownSamples: (format: BodyFormat) => Buffer;
}

export interface RelayResult {
  /** Body bytes received (after decompression), without what we appended. */
  bytes: number;
  /** Set when nothing was appended to keep the body as it is: why, for the log. */
  leftOut?: string;
}

function tailFor(format: BodyFormat): BodyTail {
  switch (format) {
    case "text":
      return new TextTail();
    case "openmetrics":
      return new OpenMetricsTail();
    case "protobuf":
      return new DelimitedTail();
  }
}

/**
 * Streams the body to the caller chunk by chunk, watching the size limit and the reserved names, and adds
 * the own samples in the body's format. Throws a ScrapeFailure on overflow or a cut-off body.
 */
export async function relayBody(options: RelayOptions): Promise<RelayResult> {
  const { format, writer, maxBodySize } = options;
  const tail = tailFor(format);
  // Text formats get a line scanner; for protobuf the tail sees each family's name as it follows the framing.
  const scanner = format === "protobuf" ? undefined : new ReservedNameScanner();
  let bytes = 0;
  for await (const chunk of options.source) {
    bytes += chunk.length;
    if (bytes > maxBodySize) {
      throw new ScrapeFailure("upstream", `target body is larger than maxBodySize (${maxBodySize} bytes)`);
    }
    scanner?.push(chunk);
    const backpressure = writer.write(tail.push(chunk));
    if (backpressure) await backpressure;
  }
  scanner?.finish();
  const reserved = scanner ? scanner.found : tail instanceof DelimitedTail ? tail.found : undefined;
  writer.end(tail.finish(reserved === undefined ? options.ownSamples(format) : undefined));
  const leftOut = reserved !== undefined ? `the target's metrics already use ${reserved}` : tail.leftOut;
  return { bytes, leftOut };
}
