import { Readable, type Transform } from "node:stream";
import {
  createBrotliDecompress,
  createGunzip,
  createInflate,
  gunzipSync,
  inflateSync,
  type ZlibOptions,
} from "node:zlib";
import { ChunkCollector } from "../chunk-collector.js";
import { ScrapeFailure } from "./failure.js";

/**
 * Compressed bodies up to this size are collected and inflated in one synchronous call. A zlib stream
 * hands every chunk to the thread pool and back (two thread switches per chunk, which on a busy 2-core
 * machine cost more than the inflate itself) and allocates a stream, its state and a 16 KB output buffer
 * per scrape; a typical compressed scrape body (a few KB to a few hundred KB) inflates in well under a
 * millisecond.
 */
export const SYNC_INFLATE_MAX_INPUT = 256 * 1024;
/**
 * Output of one synchronous inflate, so that a body that inflates far (or a gzip bomb) blocks the event
 * loop for a few milliseconds at most; such a body is decoded again as a stream, which applies maxBodySize.
 */
export const SYNC_INFLATE_MAX_OUTPUT = 4 * 1024 * 1024;

/** A synchronous zlib call with `info: true`: the output, and the engine that tells how much input it used. */
type SyncInflate = (
  input: Buffer,
  options: ZlibOptions & { info: true },
) => { buffer: Buffer; engine: { bytesWritten: number } };

/**
 * The body as the target meant it: gzip (what we ask for), deflate and br are decoded as they arrive.
 * Errors of either side surface on the returned iterable, and closing it closes the body.
 */
export function decodedBody(
  body: AsyncIterable<Buffer>,
  contentEncoding: string | undefined,
): AsyncIterable<Buffer> {
  const encoding = (contentEncoding ?? "").trim().toLowerCase();
  switch (encoding) {
    case "":
    case "identity":
      return body;
    case "gzip":
    case "x-gzip":
      return inflated(body, "gzip", gunzipSync as unknown as SyncInflate, createGunzip);
    case "deflate":
      return inflated(body, "deflate", inflateSync as unknown as SyncInflate, createInflate);
    case "br":
      return decodeWhole(asReadable(body), createBrotliDecompress(), "br");
    default:
      throw new ScrapeFailure("upstream", `target sent an unsupported Content-Encoding "${contentEncoding}"`);
  }
}

/**
 * Collects up to SYNC_INFLATE_MAX_INPUT compressed bytes and inflates them at once; a larger body, or one
 * that inflates beyond SYNC_INFLATE_MAX_OUTPUT, is decoded as a stream instead (from its first byte).
 * Corrupt or truncated input fails the same way on both paths (the same zlib errors).
 */
async function* inflated(
  body: AsyncIterable<Buffer>,
  encoding: string,
  inflateAll: SyncInflate,
  createDecoder: () => Transform,
): AsyncGenerator<Buffer> {
  const source = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Small pieces are joined as they come: a body trickled a byte per read would else be 256 K Buffers.
  const collector = new ChunkCollector();
  let complete = false;
  try {
    while (collector.bytes <= SYNC_INFLATE_MAX_INPUT) {
      const next = await source.next();
      if (next.done) {
        complete = true;
        break;
      }
      collector.push(next.value);
    }
    const size = collector.bytes;
    const collected = collector.take();
    if (complete) {
      const whole = collected.length === 1 ? collected[0] : Buffer.concat(collected, size);
      const output = inflateWithin(inflateAll, whole, encoding);
      if (output !== undefined) {
        if (output.length > 0) yield output;
        return;
      }
    }
    const rest = Readable.from(remainder(collected, complete ? undefined : source), { objectMode: false });
    yield* decodeWhole(rest, createDecoder(), encoding);
  } finally {
    // Ends the fetch when the caller stops early (a failure) and releases the body's listeners.
    await source.return?.();
  }
}

/** The inflated body, or undefined when it inflates beyond SYNC_INFLATE_MAX_OUTPUT. */
function inflateWithin(inflateAll: SyncInflate, input: Buffer, encoding: string): Buffer | undefined {
  let result: ReturnType<SyncInflate>;
  try {
    result = inflateAll(input, { maxOutputLength: SYNC_INFLATE_MAX_OUTPUT, info: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return undefined;
    throw error;
  }
  checkAllUsed(result.engine.bytesWritten, input.length, encoding);
  return result.buffer;
}

/**
 * zlib stops at the end of a deflate or brotli stream and ignores what follows (gzip, whose members may be
 * concatenated, fails on it instead). Bytes after the end mean a broken or mislabelled body, as with gzip:
 * passing on the first stream alone would hide that.
 */
function checkAllUsed(used: number, received: number, encoding: string): void {
  if (used < received) {
    throw new ScrapeFailure(
      "upstream",
      // No count: the stream path stops reading at the end of the stream, so only the sync path would know it.
      `target sent data after the end of its ${encoding}-compressed body`,
    );
  }
}

async function* remainder(
  collected: Buffer[],
  source: AsyncIterator<Buffer> | undefined,
): AsyncGenerator<Buffer> {
  yield* collected;
  if (!source) return;
  for (;;) {
    const next = await source.next();
    if (next.done) return;
    yield next.value;
  }
}

/** decodeWith, failing at the end when the decoder left input unused (see checkAllUsed). */
async function* decodeWhole(body: Readable, decoder: Transform, encoding: string): AsyncGenerator<Buffer> {
  let received = 0;
  body.on("data", (chunk: Buffer) => {
    received += chunk.length;
  });
  yield* decodeWith(body, decoder);
  checkAllUsed((decoder as Transform & { bytesWritten: number }).bytesWritten, received, encoding);
}

function asReadable(body: AsyncIterable<Buffer>): Readable {
  return body instanceof Readable ? body : Readable.from(body, { objectMode: false });
}

/** stream.pipeline would do this, but on Node 20 it allocates an AbortError with a stack trace per scrape. */
function decodeWith(body: Readable, decoder: Transform): Readable {
  body.on("error", (error) => decoder.destroy(error));
  decoder.on("close", () => {
    if (!body.destroyed) body.destroy();
  });
  return body.pipe(decoder);
}

/**
 * Drops a body we no longer want. A Readable reports its destruction before the end as an error event;
 * swallow it.
 */
export function discardBody(body: AsyncIterable<Buffer> & { destroy(): unknown }): void {
  if (body instanceof Readable) body.on("error", () => {});
  body.destroy();
}
