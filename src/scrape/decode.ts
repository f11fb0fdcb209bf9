import { Readable, type Transform } from "node:stream";
import { createGunzip, gunzipSync } from "node:zlib";
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
 * Output of one synchronous inflate (256 KiB, the bytes a scrape holds before it commits its status, see
 * COMMIT_THRESHOLD_BYTES in handler.ts). A body that inflates further (a large exposition, or a gzip bomb) is
 * decoded again as a stream, in pieces that are written as they come, and maxBodySize applies; a larger limit
 * would be held whole by every scrape whose caller is slow to read (docs/performance.md). Like a plain body past
 * the threshold, such a body's 200 goes out before its end is read, so a failure at its end (a bad checksum,
 * a cut or padded stream) ends the answer early instead of becoming a 502. One inflate of this size takes
 * well under a millisecond of the event loop.
 */
export const SYNC_INFLATE_MAX_OUTPUT = 256 * 1024;
/**
 * Output piece of a streamed inflate (124 KiB). Each piece is a thread-pool round trip, so larger pieces cost
 * less; but a piece of 128 KiB or more is a block glibc maps on its own under the MALLOC_MMAP_THRESHOLD_ the
 * image ships (131072), with its system calls and page faults: with that setting a 1 MB body through 256 KiB
 * pieces cost 1.24 x the CPU per scrape it cost without it, and 124 KiB pieces cost 0.88 x of 256 KiB ones
 * (docs/performance.md, tenth round). A scrape whose caller does not read holds a few pieces.
 */
export const INFLATE_PIECE_BYTES = 124 * 1024;

/**
 * Whether Prometheus would gunzip a body with this Content-Encoding: only when the (first) header value is
 * exactly "gzip" (prometheus/prometheus scrape/scrape.go, readResponse; Go trims the value's surrounding
 * blanks). Any other value, "GZIP", "x-gzip", "deflate", "br" or "foo" alike, Prometheus parses the bytes
 * as they came, so the proxy passes those on undecoded too: a body Prometheus would reject from the target
 * is then rejected through the proxy as well, and one it would accept is accepted.
 */
export function isGzipEncoded(contentEncoding: string | undefined): boolean {
  if (contentEncoding === undefined) return false;
  if (contentEncoding === "gzip") return true;
  // Go trims only ASCII blanks: a value ending in a no-break space (0xA0) is not "gzip" to Prometheus.
  return contentEncoding.replace(/^[ \t]+|[ \t]+$/g, "") === "gzip";
}

/**
 * The body as Prometheus would read it: gunzipped as it arrives when isGzipEncoded, else unchanged.
 * Errors of either side surface on the returned iterable, and closing it closes the body.
 */
export function decodedBody(
  body: AsyncIterable<Buffer>,
  contentEncoding: string | undefined,
): AsyncIterable<Buffer> {
  return isGzipEncoded(contentEncoding) ? gunzipped(body) : body;
}

/**
 * Collects up to SYNC_INFLATE_MAX_INPUT compressed bytes and inflates them at once; a larger body, or one
 * that inflates beyond SYNC_INFLATE_MAX_OUTPUT, is decoded as a stream instead (from its first byte).
 * Corrupt or truncated input fails the same way on both paths (the same zlib errors).
 */
async function* gunzipped(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
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
      const declared = declaredSize(whole);
      const output = declared <= SYNC_INFLATE_MAX_OUTPUT ? gunzipWithin(whole, declared) : undefined;
      if (output !== undefined) {
        if (output.length > 0) yield output;
        return;
      }
    }
    const rest = Readable.from(remainder(collected, complete ? undefined : source), { objectMode: false });
    yield* decodeWhole(rest, createGunzip({ chunkSize: INFLATE_PIECE_BYTES }));
  } finally {
    // Ends the fetch when the caller stops early (a failure) and releases the body's listeners.
    await source.return?.();
  }
}

/**
 * The decoded size a gzip body states in its last member's trailer (ISIZE, the last 4 bytes, little-endian,
 * modulo 2^32; RFC 1952 section 2.3.1), so that a body stating more than the limit skips an inflate that
 * would stop at the limit. Only a hint: a wrong or multi-member value is caught by the limit or by zlib.
 */
function declaredSize(gzip: Buffer): number {
  return gzip.length >= 8 ? gzip.readUInt32LE(gzip.length - 4) : 0;
}

/**
 * Smallest output buffer of a synchronous inflate. A trailer may state less than the body inflates to (several
 * gzip members, where it states the last one's size; or a wrong one, which fails at the end): then zlib fills
 * buffers of this size up to SYNC_INFLATE_MAX_OUTPUT: at most 64 of them, where zlib's default of 16 KiB takes 16
 * and 1 KiB would take 256, each a call into zlib and a piece of the join.
 */
const MIN_SYNC_CHUNK_BYTES = 4 * 1024;

/**
 * The output buffer for a synchronous inflate of a body whose trailer states `declared` decoded bytes: that
 * size and one byte more (within MIN_SYNC_CHUNK_BYTES and SYNC_INFLATE_MAX_OUTPUT + 1). With zlib's default of
 * 16 KiB, Node's gunzipSync allocates a fresh 16 KiB buffer each time one fills, and again when the last one
 * is exactly full (it learns only on the next call that the stream ended), then joins them: a 20 KB body cost
 * about 84 KB of buffers, which under load were mostly left to full collections (docs/performance.md). Sized
 * from the trailer, the body comes out of one buffer, without a join. zlib checks the trailer against what it
 * decoded, so a wrong one fails the inflate anyway; one of several gzip members states only the last member's
 * size and just costs more buffers.
 */
export function syncInflateChunkBytes(declared: number): number {
  return Math.min(SYNC_INFLATE_MAX_OUTPUT, Math.max(MIN_SYNC_CHUNK_BYTES, declared)) + 1;
}

/**
 * The inflated body, or undefined when it inflates beyond SYNC_INFLATE_MAX_OUTPUT. `declared`: the size its
 * trailer states (declaredSize).
 */
function gunzipWithin(input: Buffer, declared: number): Buffer | undefined {
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // info: true also returns the engine, which tells how much input it used.
    result = gunzipSync(input, {
      maxOutputLength: SYNC_INFLATE_MAX_OUTPUT,
      chunkSize: syncInflateChunkBytes(declared),
      info: true,
    }) as unknown as typeof result;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return undefined;
    throw error;
  }
  checkAllUsed(result.engine.bytesWritten, input.length);
  return result.buffer;
}

/**
 * zlib reads concatenated gzip members as one body, as Go's gzip reader does, but silently ignores zero bytes
 * after the last member, where Go (and so Prometheus) fails with "gzip: invalid header". Passing on what
 * came before them would turn a body Prometheus rejects into one it accepts.
 */
function checkAllUsed(used: number, received: number): void {
  if (used < received) {
    // No count: the stream path stops reading at the end of the stream, so only the sync path would know it.
    throw new ScrapeFailure("upstream", "target sent data after the end of its gzip body");
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
async function* decodeWhole(body: Readable, decoder: Transform): AsyncGenerator<Buffer> {
  let received = 0;
  body.on("data", (chunk: Buffer) => {
    received += chunk.length;
  });
  yield* decodeWith(body, decoder);
  checkAllUsed((decoder as Transform & { bytesWritten: number }).bytesWritten, received);
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
