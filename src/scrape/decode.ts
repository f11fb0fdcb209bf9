import type { Readable, Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { ScrapeFailure } from "./failure.js";

/**
 * The body as the target meant it: gzip (what we ask for), deflate and br are decoded as they stream.
 * Errors of either side surface on the returned stream, and closing either side closes both.
 */
export function decodedBody(body: Readable, contentEncoding: string | undefined): Readable {
  const encoding = (contentEncoding ?? "").trim().toLowerCase();
  switch (encoding) {
    case "":
    case "identity":
      return body;
    case "gzip":
    case "x-gzip":
      return decodeWith(body, createGunzip());
    case "deflate":
      return decodeWith(body, createInflate());
    case "br":
      return decodeWith(body, createBrotliDecompress());
    default:
      throw new ScrapeFailure("upstream", `target sent an unsupported Content-Encoding "${contentEncoding}"`);
  }
}

/** stream.pipeline would do this, but on Node 20 it allocates an AbortError with a stack trace per scrape. */
function decodeWith(body: Readable, decoder: Transform): Readable {
  body.on("error", (error) => decoder.destroy(error));
  decoder.on("close", () => {
    if (!body.destroyed) body.destroy();
  });
  return body.pipe(decoder);
}

/** Drops a body we no longer want. undici reports an unread body's destruction as an error event; swallow it. */
export function discardBody(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}
