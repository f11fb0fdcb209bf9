import { STATUS_CODES } from "node:http";

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

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/;

function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  return errorCode((err as { cause?: unknown }).cause);
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message.split("\n")[0];
  return String(err);
}

/** Turns an undici / socket / TLS error into a one-line reason. */
export function describeFetchError(err: unknown, ctx: FetchErrorContext): ScrapeFailure {
  if (err instanceof ScrapeFailure) return err;
  const code = errorCode(err);
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return new ScrapeFailure(
        "timeout",
        `connect to ${ctx.what} timed out after ${ctx.connectTimeoutMs} ms`,
      );
    case "UND_ERR_HEADERS_TIMEOUT":
      return new ScrapeFailure("timeout", `${ctx.what} sent no response within ${ctx.readTimeoutMs} ms`);
    case "UND_ERR_BODY_TIMEOUT":
      return new ScrapeFailure("timeout", `${ctx.what} sent no body data for ${ctx.readTimeoutMs} ms`);
    case "ECONNREFUSED":
      return new ScrapeFailure("upstream", `connection to ${ctx.what} refused`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new ScrapeFailure("upstream", `host of ${ctx.what} not found (DNS)`);
    case "ETIMEDOUT":
      return new ScrapeFailure("timeout", `connection to ${ctx.what} timed out`);
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
      return new ScrapeFailure("upstream", `connection to ${ctx.what} closed unexpectedly`);
    case "Z_DATA_ERROR":
    case "Z_BUF_ERROR":
    case "ERR_BROTLI_DECOMPRESSION_FAILED":
      return new ScrapeFailure(
        "upstream",
        `${ctx.what} sent a corrupt compressed body: ${errorMessage(err)}`,
      );
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    return new ScrapeFailure("upstream", `TLS handshake with ${ctx.what} failed: ${code}`);
  }
  return new ScrapeFailure(
    "upstream",
    `request to ${ctx.what} failed: ${code ? `${code}: ` : ""}${errorMessage(err)}`,
  );
}
