import type { Dispatcher } from "undici";
import { ChunkCollector } from "../../chunk-collector.js";
import { applyClientAuth, type ClientAuthMethod } from "../../oauth2/index.js";
import { excerpt } from "../../redact.js";
import { describeFetchError, redactUrl, ScrapeFailure, statusText } from "../failure.js";

/** Token answers are small JSON documents; anything bigger is not one. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

export interface TokenRequest {
  /** The token endpoint exactly as configured (`.../oauth/token`); nothing is appended. */
  url: string;
  clientId: string;
  /** Absent for the certificate variant (the client certificate authenticates the client). */
  clientSecret?: string;
  /** How the id and secret are sent when there is a secret (default HTTP Basic). */
  clientAuth?: ClientAuthMethod;
  scopes?: string;
  dispatcher: Dispatcher;
  /** Bounds the whole token call, so no token request outlives a scrape by much. */
  timeoutMs: number;
  connectTimeoutMs: number;
}

export interface TokenGrant {
  accessToken: string;
  /** Seconds, when the token service said. */
  expiresIn?: number;
}

/** `"a, b  , c,d"` -> `"a b c d"`: split on commas and whitespace, duplicates dropped; undefined when empty. */
export function formatScopes(scopes: string | undefined): string | undefined {
  if (scopes === undefined) return undefined;
  const unique = [...new Set(scopes.split(/[\s,]+/).filter((s) => s !== ""))];
  return unique.length > 0 ? unique.join(" ") : undefined;
}

/** The token endpoint answered with an error (RFC 6749 §5.2); `error` is its OAuth2 error code. */
export class TokenEndpointError extends ScrapeFailure {
  constructor(
    reason: string,
    readonly status: number,
    readonly error: string | undefined,
  ) {
    super("auth", reason);
  }
}

/** OAuth2 client-credentials grant. Rejects with a ScrapeFailure whose reason never contains a secret. */
export async function requestClientCredentialsToken(req: TokenRequest): Promise<TokenGrant> {
  const where = `token service ${redactUrl(req.url)}`;
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    throw new ScrapeFailure("auth", `token service URL is not a valid URL`);
  }
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: req.clientId });
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  if (req.clientSecret !== undefined) {
    const client = { id: req.clientId, secret: req.clientSecret };
    applyClientAuth(req.clientAuth ?? "client_secret_basic", client, headers, form);
  }
  const scope = formatScopes(req.scopes);
  if (scope !== undefined) form.set("scope", scope);

  const signal = AbortSignal.timeout(req.timeoutMs);
  try {
    const res = await req.dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: "POST",
      headers,
      body: form.toString(),
      signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const text = await readLimited(res.body);
    const json = parseJsonObject(text);
    if (res.statusCode !== 200) {
      const error = typeof json?.error === "string" ? json.error : undefined;
      const shown = error === undefined ? "" : ` (${excerpt(error, 100, [req.clientSecret ?? ""])})`;
      throw new TokenEndpointError(
        `${where} answered ${statusText(res.statusCode)}${shown}`,
        res.statusCode,
        error,
      );
    }
    if (json === undefined) {
      // A BOM, an HTML page, a form-encoded answer: say what it is not, never show it (it may hold a token).
      const bom = text.startsWith("\uFEFF") ? " (it starts with a UTF-8 byte order mark)" : "";
      throw new ScrapeFailure("auth", `${where} answered 200 with a body that is not a JSON object${bom}`);
    }
    const token = json.access_token;
    if (typeof token !== "string" || token === "") {
      throw new ScrapeFailure("auth", `${where} answered without an access_token`);
    }
    const expiresIn = Number(json.expires_in);
    return {
      accessToken: token,
      expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
    };
  } catch (err) {
    if (err instanceof ScrapeFailure) throw err;
    if (signal.aborted) throw new ScrapeFailure("auth", `${where} did not answer within ${req.timeoutMs} ms`);
    const failure = describeFetchError(err, {
      what: where,
      connectTimeoutMs: req.connectTimeoutMs,
      readTimeoutMs: req.timeoutMs,
    });
    throw new ScrapeFailure("auth", failure.reason);
  }
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const collected = new ChunkCollector();
  for await (const chunk of body) {
    if (collected.bytes + chunk.length > MAX_TOKEN_RESPONSE_BYTES) {
      body.destroy();
      throw new ScrapeFailure(
        "auth",
        `token service answer is larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes`,
      );
    }
    collected.push(chunk);
  }
  return Buffer.concat(collected.take()).toString("utf8");
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
