import { STATUS_CODES } from "node:http";
import { describeUndiciError } from "../undici-error.js";

/** timeout -> 504 in strict mode; client -> the caller went away, nothing to answer; others -> 503. */
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
}

/** Turns an undici / socket / TLS error into a one-line reason. */
export function describeFetchError(err: unknown, ctx: FetchErrorContext): ScrapeFailure {
  if (err instanceof ScrapeFailure) return err;
  const described = describeUndiciError(err, ctx);
  return new ScrapeFailure(described.timeout ? "timeout" : "upstream", described.reason);
}
