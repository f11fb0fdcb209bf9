import { describe, expect, it } from "vitest";
import { ChunkCollector } from "../../src/scrape/chunk-collector.js";

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

  it("keeps large chunks as the very buffers given and small ones between them in order", () => {
    const large = [Buffer.alloc(20_000, "a"), Buffer.alloc(8_000, "b")];
    const collector = new ChunkCollector();
    collector.push(Buffer.from("x1\n"));
    collector.push(large[0]);
    collector.push(Buffer.from("y2\n"));
    collector.push(Buffer.from("z3\n"));
    collector.push(large[1]);
    const parts = collector.take();
    expect(parts.map((p) => p.toString("latin1", 0, 3))).toEqual(["x1\n", "aaa", "y2\n", "bbb"]);
    expect(parts[1]).toBe(large[0]);
    expect(parts[3]).toBe(large[1]);
    expect(parts[2].toString()).toBe("y2\nz3\n");
  });

  it("copies small chunks, so that the caller may reuse or drop what it pushed", () => {
    const collector = new ChunkCollector();
    const chunk = Buffer.from("m 1\n");
    collector.push(chunk);
    chunk.fill(0);
    expect(Buffer.concat(collector.take()).toString()).toBe("m 1\n");
  });
});
