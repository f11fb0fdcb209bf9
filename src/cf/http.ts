import { createSecureContext, rootCertificates } from "node:tls";
import { promisify } from "node:util";
import { gunzip, inflate, inflateRaw, type ZlibOptions } from "node:zlib";
import { Agent, type Dispatcher, ProxyAgent, request } from "undici";
import { ChunkCollector } from "../chunk-collector.js";
import type { CfConfig } from "../config/index.js";
import { describeUndiciError } from "../undici-error.js";

/** How long an idle keep-alive connection to CC/UAA is kept open. */
const KEEP_ALIVE_MS = 30_000;

/**
 * One connection pool for all CC and UAA traffic. An extra CA is added to Node's default roots
 * (Node's `ca` option replaces them otherwise), so a public UAA next to a private CC still works.
 * The TLS context with those roots is built once here: given as `ca`, Node would build it again for every
 * new connection, parsing some 140 certificates each time (about 25 ms on the event loop per connection, and
 * a discovery refresh opens several).
 */
export function createDispatcher(config: CfConfig, ca?: string): Dispatcher {
  const tls = {
    rejectUnauthorized: !config.skipSslValidation,
    ...(ca ? { secureContext: createSecureContext({ ca: [...rootCertificates, ca] }) } : {}),
  };
  const pool = {
    keepAliveTimeout: KEEP_ALIVE_MS,
    ...(config.connectionPool?.size ? { connections: config.connectionPool.size } : {}),
  };
  if (config.proxy) {
    const host = config.proxy.host.includes(":") ? `[${config.proxy.host}]` : config.proxy.host;
    return new ProxyAgent({ uri: `http://${host}:${config.proxy.port}`, requestTls: tls, ...pool });
  }
  return new Agent({ connect: tls, ...pool });
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body's bytes. */
  body: Buffer;
  /** The body decoded as UTF-8, decoded on first use: a list page is read from its bytes (list-page.ts). */
  readonly text: string;
  /**
   * Why the body's Content-Encoding could not be undone (a coding not decoded here, or corrupt data), as
   * "a body in Content-Encoding ...", for "answered 200 with ..."; the body is empty then. The caller
   * decides: a 2xx fails, an error status keeps its meaning (a 503 is retried).
   */
  undecodable?: string;
}

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Budget for the whole exchange: connect, headers and body. */
  timeoutMs: number;
  /** Bytes of body read at most; a longer body fails with BodyTooLargeError. */
  maxBodyBytes: number;
}

/** Raised when the per-request budget ran out; kept apart from network errors for messages and metrics. */
export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
  }
}

/**
 * Raised when an answer body is longer than the cap, as sent or once decoded from its Content-Encoding; the
 * connection is dropped at that point, and decoding stops there.
 */
export class BodyTooLargeError extends Error {
  constructor(
    readonly maxBodyBytes: number,
    coding?: string,
  ) {
    const decoded = coding ? ` once decoded from ${coding}` : "";
    super(`the answer body is larger than ${maxBodyBytes} bytes${decoded} (cf.request.maxBodySize)`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Reads a body, stopping at `max` bytes: a peer that sends without end (or a Content-Length above the cap)
 * costs at most `max` bytes of memory, not the whole answer.
 */
async function readCapped(body: AsyncIterable<Buffer>, max: number, declared: number): Promise<Buffer> {
  if (declared > max) throw new BodyTooLargeError(max);
  // Joins tiny pieces as they come: a peer trickling bytes would else cost a Buffer object per byte.
  const collected = new ChunkCollector();
  for await (const chunk of body) {
    if (collected.bytes + chunk.length > max) throw new BodyTooLargeError(max);
    collected.push(chunk);
  }
  return Buffer.concat(collected.take());
}

type Decoder = (body: Buffer, options: ZlibOptions) => Promise<Buffer>;

const gunzipAsync: Decoder = promisify(gunzip);
const inflateAsync: Decoder = promisify(inflate);
const inflateRawAsync: Decoder = promisify(inflateRaw);

/**
 * Whether deflate data starts with the zlib header that RFC 9110 §8.4.1.2 requires ("deflate" is the zlib
 * format of RFC 1950: compression method 8, header checksum a multiple of 31). Some servers send the raw
 * deflate data of RFC 1951 instead; browsers and curl accept both, and so does this.
 */
function hasZlibHeader(body: Buffer): boolean {
  return body.length >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0;
}

/** The codings decoded: the gzip and deflate of RFC 9110 §8.4.1; "x-gzip" is gzip (§8.4.1.3). */
const DECODERS: Readonly<Record<string, Decoder>> = {
  gzip: gunzipAsync,
  "x-gzip": gunzipAsync,
  deflate: (body, options) => (hasZlibHeader(body) ? inflateAsync : inflateRawAsync)(body, options),
};

/**
 * The codings of a Content-Encoding in the order they were applied (RFC 9110 §8.4: a list, case-insensitive;
 * repeated header lines add to it); "identity" is no coding.
 */
function contentCodings(headers: HttpResponse["headers"]): string[] {
  const value = headers["content-encoding"];
  const lines = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return lines
    .flatMap((line) => line.split(","))
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
}

/**
 * Undoes the Content-Encoding of a body, last coding first, never more than `max` bytes per step: a small
 * gzip bomb fails with BodyTooLargeError instead of filling the memory. Promregator sends no Accept-Encoding,
 * which lets a server use any coding (RFC 9110 §12.5.3); CC and UAA answer uncompressed, a proxy in front of
 * them may not. Returns the reason instead of a body when a coding is not decoded here or its data is corrupt.
 */
async function decodeBody(
  body: Buffer,
  headers: HttpResponse["headers"],
  max: number,
): Promise<{ body: Buffer; undecodable?: string }> {
  // No body (a 204, a 304, an empty answer) has nothing to decode, whatever the header says (RFC 9110 §8.4).
  if (body.length === 0) return { body };
  const codings = contentCodings(headers);
  const named = `Content-Encoding "${codings.join(", ")}"`;
  let decoded = body;
  for (const coding of codings.reverse()) {
    const decoder = DECODERS[coding];
    if (!decoder) {
      return {
        body: Buffer.alloc(0),
        undecodable: `a body in ${named}, which Promregator does not decode (only gzip, x-gzip and deflate)`,
      };
    }
    try {
      decoded = await decoder(decoded, { maxOutputLength: Math.max(1, max) });
    } catch (err) {
      if ((err as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE")
        throw new BodyTooLargeError(max, coding);
      const why = err instanceof Error ? err.message : String(err);
      return {
        body: Buffer.alloc(0),
        undecodable: `a body in ${named} that does not decode as ${coding}: ${why}`,
      };
    }
  }
  return { body: decoded };
}

function response(
  status: number,
  headers: HttpResponse["headers"],
  body: Buffer,
  undecodable?: string,
): HttpResponse {
  let text: string | undefined;
  return {
    status,
    headers,
    body,
    ...(undecodable !== undefined && { undecodable }),
    get text() {
      text ??= body.toString("utf8");
      return text;
    },
  };
}

/**
 * One HTTP exchange with a total deadline; the body is read up to `maxBodyBytes`, and decoded from its
 * Content-Encoding up to `maxBodyBytes` as well (decodeBody).
 */
export async function sendOnce(dispatcher: Dispatcher, req: HttpRequest): Promise<HttpResponse> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new RequestTimeoutError(req.timeoutMs));
  }, req.timeoutMs);
  try {
    const res = await request(req.url, {
      dispatcher,
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: controller.signal,
    });
    let body: Buffer;
    try {
      body = await readCapped(res.body, req.maxBodyBytes, Number(headerValue(res.headers, "content-length")));
    } catch (err) {
      // Stop the transfer at once; without this undici would keep reading into a discarded stream.
      res.body.destroy();
      throw err;
    }
    if (res.headers["content-encoding"] === undefined) return response(res.statusCode, res.headers, body);
    const decoded = await decodeBody(body, res.headers, req.maxBodyBytes);
    return response(res.statusCode, res.headers, decoded.body, decoded.undecodable);
  } catch (err) {
    if (timedOut) throw new RequestTimeoutError(req.timeoutMs);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A header value as one string (undici gives arrays for repeated headers). */
export function headerValue(headers: HttpResponse["headers"], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * One line for a network error: the shared undici wording plus the error code (operators search logs
 * for ECONNREFUSED and the like); never request headers.
 */
export function describeNetworkError(err: unknown, what = "the Cloud Controller"): string {
  const { reason, code } = describeUndiciError(err, { what });
  return code && !reason.includes(code) ? `${reason} (${code})` : reason;
}
