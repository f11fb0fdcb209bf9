import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import {
  decodedBody,
  SYNC_INFLATE_MAX_INPUT,
  SYNC_INFLATE_MAX_OUTPUT,
  syncInflateChunkBytes,
} from "../../src/scrape/decode.js";

/** The compressed bytes as a body arriving in pieces of `piece` bytes. */
function arriving(bytes: Buffer, piece = 16 * 1024): Readable {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += piece) pieces.push(bytes.subarray(at, at + piece));
  return Readable.from(pieces, { objectMode: false });
}

async function chunksOf(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return chunks;
}

/** Sample lines with random label values: compresses to about a third, so its size is easy to aim at. */
function randomExposition(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `m{id="${randomBytes(24).toString("hex")}"} 1\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(""));
}

describe("decodedBody", () => {
  it("inflates a small gzip body in one piece, however it arrives", async () => {
    const body = randomExposition(200_000);
    const compressed = gzipSync(body);
    expect(compressed.length).toBeLessThan(SYNC_INFLATE_MAX_INPUT);
    const chunks = await chunksOf(decodedBody(arriving(compressed, 1000), " gzip "));
    expect(chunks).toHaveLength(1);
    expect(chunks[0].equals(body)).toBe(true);
  });

  it("inflates a small gzip body into one buffer of the size its trailer states, without a join", async () => {
    const body = randomExposition(20_000);
    const compressed = gzipSync(body);
    // Buffers zlib (and anything else) asks for while the body is decoded; the compressed body arrives whole.
    const allocUnsafe = vi.spyOn(Buffer, "allocUnsafe");
    const allocUnsafeSlow = vi.spyOn(Buffer, "allocUnsafeSlow");
    let chunks: Buffer[];
    let sizes: number[];
    try {
      chunks = await chunksOf(decodedBody(arriving(compressed, compressed.length), "gzip"));
      sizes = [...allocUnsafe.mock.calls, ...allocUnsafeSlow.mock.calls].map(([size]) => size);
    } finally {
      allocUnsafe.mockRestore();
      allocUnsafeSlow.mockRestore();
    }
    expect(chunks).toHaveLength(1);
    expect(chunks[0].equals(body)).toBe(true);
    // zlib's default of 16 KiB buffers took two to four of them and a join: about 84 KB for 20 KB.
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBeLessThanOrEqual(body.length + 1);
  });

  it("sizes a synchronous inflate's buffer from the trailer, one byte over so that zlib sees the end in it", () => {
    expect(syncInflateChunkBytes(20_000)).toBe(20_001);
    // A trailer stating nothing or little (an empty body, the last of several members, or a lie zlib rejects at
    // the end) still gets 4 KiB, so that a body inflating further takes at most 64 buffers.
    expect(syncInflateChunkBytes(0)).toBe(4097);
    expect(syncInflateChunkBytes(4096)).toBe(4097);
    expect(syncInflateChunkBytes(4097)).toBe(4098);
    // Never more than one synchronous inflate may give out.
    expect(syncInflateChunkBytes(2 ** 32 - 1)).toBe(SYNC_INFLATE_MAX_OUTPUT + 1);
  });

  it("passes on unchanged a body whose Content-Encoding is not exactly gzip, as Prometheus reads it", async () => {
    const text = Buffer.from("m 1\n");
    const cases: [string | undefined, Buffer][] = [
      [undefined, text],
      ["identity", text],
      ["foo", text],
      ["GZIP", gzipSync(text)],
      ["x-gzip", gzipSync(text)],
      ["gzip, gzip", gzipSync(gzipSync(text))],
      ["deflate", deflateSync(text)],
      // Go trims only ASCII blanks, so a trailing no-break space makes it another value
      ["gzip\u00a0", gzipSync(text)],
      ["br", brotliCompressSync(text)],
    ];
    for (const [encoding, bytes] of cases) {
      const passed = Buffer.concat(await chunksOf(decodedBody(arriving(bytes), encoding)));
      expect(passed.equals(bytes), String(encoding)).toBe(true);
    }
  });

  it("decodes a compressed body larger than the one-piece limit as a stream, from its first byte", async () => {
    const body = randomExposition(4 * SYNC_INFLATE_MAX_INPUT);
    const compressed = gzipSync(body);
    expect(compressed.length).toBeGreaterThan(SYNC_INFLATE_MAX_INPUT);
    const chunks = await chunksOf(decodedBody(arriving(compressed), "gzip"));
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
  });

  it("decodes a small body that inflates beyond the one-piece output limit as a stream", async () => {
    const body = Buffer.from(
      "# a comment line that compresses very well\n".repeat(SYNC_INFLATE_MAX_OUTPUT / 40),
    );
    expect(body.length).toBeGreaterThan(SYNC_INFLATE_MAX_OUTPUT);
    const compressed = gzipSync(body);
    expect(compressed.length).toBeLessThan(SYNC_INFLATE_MAX_INPUT);
    const chunks = await chunksOf(decodedBody(arriving(compressed), "gzip"));
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
  });

  it("streams a body that inflates past the one-piece limit, so no decoded piece exceeds it", async () => {
    // Small enough compressed to be collected whole, large enough decoded to pass the limit.
    const body = randomExposition(400 * 1024);
    const compressed = gzipSync(body);
    expect(compressed.length).toBeLessThan(SYNC_INFLATE_MAX_INPUT);
    expect(body.length).toBeGreaterThan(SYNC_INFLATE_MAX_OUTPUT);
    const chunks = await chunksOf(decodedBody(arriving(compressed), "gzip"));
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(SYNC_INFLATE_MAX_OUTPUT);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
  });

  it("fails on corrupt or truncated input with zlib's error, small or large", async () => {
    const small = gzipSync("a 1\n");
    const large = gzipSync(randomExposition(4 * SYNC_INFLATE_MAX_INPUT));
    for (const broken of [small.subarray(0, 12), large.subarray(0, large.length - 100)]) {
      await expect(chunksOf(decodedBody(arriving(broken), "gzip"))).rejects.toMatchObject({
        code: expect.stringMatching(/^Z_(BUF|DATA)_ERROR$/),
      });
    }
    const garbage = Buffer.from("this is not gzip at all");
    await expect(chunksOf(decodedBody(arriving(garbage), "gzip"))).rejects.toMatchObject({
      code: "Z_DATA_ERROR",
    });
  });

  it("fails on a trailer that misstates the decoded size, whichever way it points", async () => {
    const small = gzipSync("a 1\n");
    const large = gzipSync(randomExposition(2 * SYNC_INFLATE_MAX_OUTPUT));
    expect(large.length).toBeLessThan(SYNC_INFLATE_MAX_INPUT);
    const stating = (gzip: Buffer, size: number) => {
      const copy = Buffer.from(gzip);
      copy.writeUInt32LE(size, copy.length - 4);
      return copy;
    };
    for (const broken of [stating(small, 64 * SYNC_INFLATE_MAX_OUTPUT), stating(large, 4)]) {
      await expect(chunksOf(decodedBody(arriving(broken), "gzip"))).rejects.toMatchObject({
        code: "Z_DATA_ERROR",
      });
    }
  });

  it("fails on zero bytes after the last gzip member, which zlib ignores and Go's gzip reader refuses", async () => {
    for (const text of [Buffer.from("a 1\n"), randomExposition(4 * SYNC_INFLATE_MAX_INPUT)]) {
      const padded = Buffer.concat([gzipSync(text), Buffer.alloc(16)]);
      await expect(chunksOf(decodedBody(arriving(padded), "gzip"))).rejects.toThrow(
        "target sent data after the end of its gzip body",
      );
    }
  });

  it("decodes concatenated gzip members as one body (RFC 1952 2.2), small or large", async () => {
    for (const text of [Buffer.from("a 1\n"), randomExposition(4 * SYNC_INFLATE_MAX_INPUT)]) {
      const twice = Buffer.concat([gzipSync(text), gzipSync(text)]);
      const decoded = Buffer.concat(await chunksOf(decodedBody(arriving(twice), "gzip")));
      expect(decoded.equals(Buffer.concat([text, text]))).toBe(true);
    }
  });

  it("destroys the body when the reader stops early", async () => {
    const compressed = gzipSync(randomExposition(4 * SYNC_INFLATE_MAX_INPUT));
    const source = arriving(compressed);
    for await (const _chunk of decodedBody(source, "gzip")) break;
    expect(source.destroyed).toBe(true);
  });
});
