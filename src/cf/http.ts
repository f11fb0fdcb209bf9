import { createSecureContext, rootCertificates } from "node:tls";
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

/** Raised when an answer body is longer than the cap; the connection is dropped at that point. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBodyBytes: number) {
    super(`the answer body is larger than ${maxBodyBytes} bytes (cf.request.maxBodySize)`);
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

function response(status: number, headers: HttpResponse["headers"], body: Buffer): HttpResponse {
  let text: string | undefined;
  return {
    status,
    headers,
    body,
    get text() {
      text ??= body.toString("utf8");
      return text;
    },
  };
}

/** One HTTP exchange with a total deadline; the body is read up to `maxBodyBytes`. */
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
    return response(res.statusCode, res.headers, body);
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
