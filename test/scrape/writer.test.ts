import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ScrapeBudget } from "../../src/scrape/budget.js";
import { CommittingWriter } from "../../src/scrape/writer.js";

/** Serves one answer written through a CommittingWriter from `parts` and `last`; returns what a client got. */
async function answer(parts: Buffer[], last: Buffer, threshold: number) {
  const server = http.createServer(async (_req, res) => {
    const budget = new ScrapeBudget(5_000);
    const writer = new CommittingWriter(res, { "content-type": "text/plain" }, threshold, budget.signal);
    for (const part of parts) await writer.write(part);
    writer.end(last);
    budget.dispose();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  return {
    status: response.status,
    contentLength: response.headers.get("content-length"),
    chunked: response.headers.get("transfer-encoding") === "chunked",
    body: Buffer.from(await response.arrayBuffer()),
  };
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** `count` parts of `size` bytes, each filled with its own letter, so that order and boundaries show. */
const lettered = (count: number, size: number) =>
  Array.from({ length: count }, (_, i) => Buffer.alloc(size, 97 + (i % 26)));

describe("CommittingWriter", () => {
  it("sends a body below the threshold whole, with Content-Length, parts and tail in order", async () => {
    const parts = lettered(5, 3_000);
    const last = Buffer.from("# own samples\n");
    const got = await answer(parts, last, 64 * 1024);
    expect(got.status).toBe(200);
    expect(got.chunked).toBe(false);
    expect(got.contentLength).toBe(String(5 * 3_000 + last.length));
    expect(got.body.equals(Buffer.concat([...parts, last]))).toBe(true);
  });

  it("sends a body below the threshold that is only the tail", async () => {
    const got = await answer([], Buffer.from("m 1\n"), 64 * 1024);
    expect(got.contentLength).toBe("4");
    expect(got.body.toString()).toBe("m 1\n");
  });

  it("sends a body of exactly the threshold whole, with Content-Length", async () => {
    const parts = lettered(4, 16 * 1024);
    const last = Buffer.from("# own samples\n");
    const got = await answer(parts, last, 64 * 1024);
    expect(got.chunked).toBe(false);
    expect(got.contentLength).toBe(String(64 * 1024 + last.length));
    expect(got.body.equals(Buffer.concat([...parts, last]))).toBe(true);
  });

  it("commits past the threshold and streams the rest chunked, every byte in order", async () => {
    const parts = lettered(40, 7_000);
    const last = Buffer.from("# own samples\n");
    const got = await answer(parts, last, 64 * 1024);
    expect(got.status).toBe(200);
    expect(got.chunked).toBe(true);
    expect(got.body.equals(Buffer.concat([...parts, last]))).toBe(true);
  });
});
