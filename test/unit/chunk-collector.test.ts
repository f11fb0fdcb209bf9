import { describe, expect, it } from "vitest";
import { ChunkCollector } from "../../src/chunk-collector.js";

describe("ChunkCollector", () => {
  it("keeps a body trickled one byte at a time in a handful of blocks, bytes in order", () => {
    const body = Buffer.from(Array.from({ length: 65_535 }, (_, i) => i % 251));
    const collector = new ChunkCollector();
    for (let i = 0; i < body.length; i++) collector.push(body.subarray(i, i + 1));
    expect(collector.bytes).toBe(body.length);
    const parts = collector.take();
    expect(parts.length).toBeLessThanOrEqual(4);
    expect(Buffer.concat(parts).equals(body)).toBe(true);
    expect(collector.bytes).toBe(0);
    expect(collector.take()).toEqual([]);
  });

  it("keeps large chunks and a short run of small ones as the very buffers given, in order", () => {
    const chunks = [
      Buffer.from("x1\n"),
      Buffer.alloc(20_000, "a"),
      Buffer.from("y2\n"),
      Buffer.from("z3\n"),
      Buffer.alloc(8_000, "b"),
    ];
    const collector = new ChunkCollector();
    for (const chunk of chunks) collector.push(chunk);
    const parts = collector.take();
    expect(parts).toHaveLength(chunks.length);
    for (const [i, part] of parts.entries()) expect(part).toBe(chunks[i]);
  });

  it("copies a long run of small chunks into blocks, also between large ones", () => {
    const small = (tag: string) => Array.from({ length: 40 }, (_, i) => Buffer.from(`${tag}${i}\n`));
    const large = Buffer.alloc(10_000, "L");
    const all = [...small("a"), large, ...small("b")];
    const collector = new ChunkCollector();
    for (const chunk of all) collector.push(chunk);
    const parts = collector.take();
    expect(parts.length).toBeLessThanOrEqual(3);
    expect(parts).toContain(large);
    expect(Buffer.concat(parts).equals(Buffer.concat(all))).toBe(true);
  });
});
