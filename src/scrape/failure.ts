import { STATUS_CODES } from "node:http";
import { describeUndiciError } from "../undici-error.js";

/** In strict mode timeout -> 504, upstream and auth -> 502 (see failureStatus); client -> nothing to answer. */
export type FailureKind = "timeout" | "upstream" | "auth" | "client";

/** A scrape that did not produce a usable body; `reason` is one line, safe to show and log. */
export class ScrapeFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly reason: string,
  ) {
    super(reason);
    this.name = "ScrapeFailure";
  }
}

/**
 * Strict mode's status for a failed scrape (RFC 9110 §15.6): 504 Gateway Timeout when the target did not answer
 * in time, 502 Bad Gateway when it (or its token service) failed. 503 stays for Promregator itself being
 * saturated or not ready, with Retry-After.
 */
export function failureStatus(kind: FailureKind): 502 | 504 {
  return kind === "timeout" ? 504 : 502;
}

export function statusText(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? "Unknown Status"}`.trim();
}

/** Origin and path only: userinfo and query strings may carry credentials. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

export interface FetchErrorContext {
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** What was being fetched, for connection-level messages, e.g. "target" or "token service". */
  what: string;
  /** The HTTP proxy the request went through, e.g. "scraping proxy proxy.example.org:3128"; absent when none. */
  proxy?: string;
}

/**
 * Failures to open a connection. Behind a proxy the only connection this process opens is the one to the proxy
 * (the proxy connects to the target and answers with a status when it cannot), so these name the proxy.
 */
const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Turns an undici / socket / TLS error into a one-line reason. */
export function describeFetchError(err: unknown, ctx: FetchErrorContext): ScrapeFailure {
  if (err instanceof ScrapeFailure) return err;
  let described = describeUndiciError(err, ctx);
  if (ctx.proxy !== undefined && described.code !== undefined && CONNECT_CODES.has(described.code)) {
    described = describeUndiciError(err, { ...ctx, what: `${ctx.proxy} (for ${ctx.what})` });
  }
  return new ScrapeFailure(described.timeout ? "timeout" : "upstream", described.reason);
}

/**
 * undici words a parse error of a response head that carries Content-Length (the header twice, or beside
 * Transfer-Encoding: RFC 9112 §6.3 makes such framing unreliable) as a body shorter than its Content-Length.
 * For an error before the head was delivered: then no body byte was read, so that is what it is.
 */
export function refusedHead(err: unknown): ScrapeFailure | undefined {
  const { code, name, message } = (err ?? {}) as { code?: unknown; name?: unknown; message?: unknown };
  // The same head with Transfer-Encoding before Content-Length is llhttp's own error, without a code.
  const framing =
    code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH" ||
    (name === "HTTPParserError" && typeof message === "string" && message.includes("Content-Length"));
  if (!framing) return undefined;
  return new ScrapeFailure(
    "upstream",
    "target sent a response head whose framing the HTTP client refuses (Content-Length twice or beside Transfer-Encoding, RFC 9112 section 6.3)",
  );
}
