/**
 * One description of undici / socket / TLS errors, shared by the Cloud Controller client and the scrape
 * path, so that the same failure reads the same in both. Never includes request headers.
 */

export interface UndiciErrorContext {
  /** What was being fetched, e.g. "target", "token service", "the Cloud Controller". */
  what: string;
  connectTimeoutMs?: number;
  readTimeoutMs?: number;
}

export interface DescribedError {
  /** A timeout of some phase (connect, headers, body), as opposed to a refused or broken connection. */
  timeout: boolean;
  /** The error code of the error or its first coded cause (e.g. ECONNREFUSED, UND_ERR_SOCKET). */
  code?: string;
  /** One line, safe to show and log. */
  reason: string;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/;

function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  return errorCode((err as { cause?: unknown }).cause);
}

function firstLine(err: unknown): string {
  if (err instanceof Error) return (err.message || err.name).split("\n")[0];
  return String(err);
}

function after(ms: number | undefined): string {
  return ms === undefined ? "" : ` after ${ms} ms`;
}

/** Classifies an undici / socket / TLS error by its code (or its cause's) and words it in one line. */
export function describeUndiciError(err: unknown, ctx: UndiciErrorContext): DescribedError {
  const code = errorCode(err);
  const { what } = ctx;
  const timeout = (reason: string): DescribedError => ({ timeout: true, code, reason });
  const broken = (reason: string): DescribedError => ({ timeout: false, code, reason });
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return timeout(`connect to ${what} timed out${after(ctx.connectTimeoutMs)}`);
    case "UND_ERR_HEADERS_TIMEOUT":
      return timeout(
        ctx.readTimeoutMs === undefined
          ? `${what} sent no response in time`
          : `${what} sent no response within ${ctx.readTimeoutMs} ms`,
      );
    case "UND_ERR_BODY_TIMEOUT":
      return timeout(
        ctx.readTimeoutMs === undefined
          ? `${what} stopped sending the body`
          : `${what} sent no body data for ${ctx.readTimeoutMs} ms`,
      );
    case "ECONNREFUSED":
      return broken(`connection to ${what} refused`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return broken(`host of ${what} not found (DNS)`);
    case "ETIMEDOUT":
      return timeout(`connection to ${what} timed out`);
    case "UND_ERR_SOCKET":
      // undici closes the connection itself on an answer it refuses (client-h1.js).
      switch (firstLine(err)) {
        case "bad response":
          return broken(`${what} sent an answer that was not asked for (e.g. an unsolicited 100 Continue)`);
        case "bad upgrade":
          return broken(`${what} answered 101 Switching Protocols, though no protocol switch was asked for`);
        default:
          return broken(`connection to ${what} closed unexpectedly`);
      }
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
      // Raised when the connection ends (or breaks) before Content-Length bytes came (client-h1.js createError).
      return broken(`connection to ${what} closed before the body reached its Content-Length`);
    case "ECONNRESET":
    case "EPIPE":
      return broken(`connection to ${what} closed unexpectedly`);
    case "ERR_ASSERTION":
      // An internal check of the HTTP client failed on what the target sent; its text says nothing useful.
      return broken(`${what} sent an answer the HTTP client cannot handle`);
    case "Z_DATA_ERROR":
    case "Z_BUF_ERROR":
      return broken(`${what} sent a corrupt compressed body: ${firstLine(err)}`);
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    // The code alone ("DEPTH_ZERO_SELF_SIGNED_CERT") is cryptic; Node's text says it in words.
    const text = firstLine(err);
    return broken(`TLS handshake with ${what} failed: ${code}${text && text !== code ? ` (${text})` : ""}`);
  }
  return broken(`request to ${what} failed: ${code ? `${code}: ` : ""}${firstLine(err)}`);
}
