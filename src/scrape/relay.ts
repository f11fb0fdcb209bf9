import type { BodyFormat } from "./content-type.js";
import { ScrapeFailure } from "./failure.js";
import { type BodyTail, type MergeFormat, OpenMetricsTail, PassThroughTail, TextTail } from "./merge.js";
import { ReservedNameScanner } from "./reserved-names.js";
import type { CommittingWriter } from "./writer.js";

export interface RelayOptions {
  /** The decoded body. */
  source: AsyncIterable<Buffer>;
  format: BodyFormat;
  writer: CommittingWriter;
  /** Bytes after decompression. */
  maxBodySize: number;
  /** Rendered at the very end, so the duration covers the whole body. */
  ownMetrics: (format: MergeFormat) => string;
}

export interface RelayResult {
  /** Body bytes received (after decompression), without what we appended. */
  bytes: number;
  /** Set when the body used a reserved name and nothing was appended. */
  reservedName?: string;
}

/**
 * Streams the body to the caller chunk by chunk, watching the size limit and the reserved names, and
 * appends the own metrics in the body's format (nothing for protobuf). Throws a ScrapeFailure on overflow.
 */
export async function relayBody(options: RelayOptions): Promise<RelayResult> {
  const { format, writer, maxBodySize } = options;
  const scanner = format === "protobuf" ? undefined : new ReservedNameScanner();
  const tail: BodyTail =
    format === "text"
      ? new TextTail()
      : format === "openmetrics"
        ? new OpenMetricsTail()
        : new PassThroughTail();
  let bytes = 0;
  for await (const chunk of options.source) {
    bytes += chunk.length;
    if (bytes > maxBodySize) {
      throw new ScrapeFailure("upstream", `target body is larger than maxBodySize (${maxBodySize} bytes)`);
    }
    scanner?.push(chunk);
    await writer.write(tail.push(chunk));
  }
  scanner?.finish();
  const appendTo = format === "protobuf" || scanner?.found !== undefined ? undefined : format;
  writer.end(tail.finish(appendTo === undefined ? undefined : options.ownMetrics(appendTo)));
  return { bytes, reservedName: scanner?.found };
}
