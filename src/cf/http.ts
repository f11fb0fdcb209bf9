import { rootCertificates } from "node:tls";
import { Agent, type Dispatcher, ProxyAgent, request } from "undici";
import type { CfConfig } from "../config/types.js";

/** How long an idle keep-alive connection to CC/UAA is kept open. */
const KEEP_ALIVE_MS = 30_000;

/**
 * One connection pool for all CC and UAA traffic. An extra CA is added to Node's default roots
 * (Node's `ca` option replaces them otherwise), so a public UAA next to a private CC still works.
 */
export function createDispatcher(config: CfConfig, ca?: string): Dispatcher {
  const tls = {
    rejectUnauthorized: !config.skipSslValidation,
    ...(ca ? { ca: [...rootCertificates, ca] } : {}),
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
  text: string;
}

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Budget for the whole exchange: connect, headers and body. */
  timeoutMs: number;
}

/** Raised when the per-request budget ran out; kept apart from network errors for messages and metrics. */
export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
  }
}

/** One HTTP exchange with a total deadline; the body is read as text. */
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
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
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

/** Short description of a network error for messages: code and text, never request headers. */
export function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  const base = err.message || err.name;
  return typeof code === "string" && !base.includes(code) ? `${code} ${base}${cause}` : `${base}${cause}`;
}
