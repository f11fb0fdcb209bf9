import type { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { ScrapeFailure } from "./failure.js";

/**
 * The body as the target meant it: gzip (what we ask for), deflate and br are decoded as they stream.
 * Errors of either side surface on the returned stream (pipeline destroys both).
 */
export function decodedBody(body: Readable, contentEncoding: string | undefined): Readable {
  const encoding = (contentEncoding ?? "").trim().toLowerCase();
  const ignore = () => {};
  switch (encoding) {
    case "":
    case "identity":
      return body;
    case "gzip":
    case "x-gzip":
      return pipeline(body, createGunzip(), ignore);
    case "deflate":
      return pipeline(body, createInflate(), ignore);
    case "br":
      return pipeline(body, createBrotliDecompress(), ignore);
    default:
      throw new ScrapeFailure("upstream", `target sent an unsupported Content-Encoding "${contentEncoding}"`);
  }
}

/** Drops a body we no longer want. undici reports an unread body's destruction as an error event; swallow it. */
export function discardBody(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}
