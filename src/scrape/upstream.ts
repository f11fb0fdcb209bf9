import type { Dispatcher } from "undici";
import type { DiscoveredInstance } from "../discovery/index.js";
import { JAVA_DEFAULT_ACCEPT } from "../media-type.js";
import type { OutboundAuthenticator } from "./authenticators/types.js";
import type { BudgetSignal } from "./budget.js";
import { discardBody } from "./decode.js";
import { ScrapeFailure } from "./failure.js";
import { PROMREGATOR_INSTANCE_HEADER } from "./types.js";

export interface UpstreamRequest {
  dispatcher: Dispatcher;
  instance: DiscoveredInstance;
  /** The caller's Accept, forwarded so the target can answer in the format Prometheus prefers. */
  callerAccept: string | undefined;
  processInstanceId: string;
  authenticator: OutboundAuthenticator;
  signal: BudgetSignal;
  /** Longest silence while waiting for headers and between body chunks. */
  readTimeoutMs: number;
}

/** Parses and checks the instance URL; only http and https are scraped. */
export function targetUrl(instance: DiscoveredInstance): URL {
  let url: URL;
  try {
    url = instance.parsedUrl ?? new URL(instance.url);
  } catch {
    throw new ScrapeFailure("upstream", "the instance URL is not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ScrapeFailure("upstream", `the instance URL has unsupported scheme ${url.protocol}`);
  }
  return url;
}

export function upstreamHeaders(
  req: UpstreamRequest,
  authorization: string | undefined,
): Record<string, string> {
  const accept = req.callerAccept?.trim();
  const headers: Record<string, string> = {
    accept: accept ? accept : JAVA_DEFAULT_ACCEPT,
    // Only gzip: it is what targets commonly offer, and we decode it as it streams.
    "accept-encoding": "gzip",
    [PROMREGATOR_INSTANCE_HEADER]: req.processInstanceId,
    "user-agent": "promregator",
  };
  if (req.instance.sendInstanceHeader) {
    headers["x-cf-app-instance"] = `${req.instance.appGuid}:${req.instance.index}`;
  }
  if (authorization !== undefined) headers.authorization = authorization;
  return headers;
}

/**
 * Sends the scrape request. Redirects are not followed (undici's request does not, and we add no
 * redirect interceptor): a 3xx is handed back like any other non-200. A 401 to a token-based credential
 * gets one retry with a fresh token.
 */
export async function fetchUpstream(req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
  const url = targetUrl(req.instance);
  const send = (authorization: string | undefined) =>
    req.dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: "GET",
      headers: upstreamHeaders(req, authorization),
      // undici accepts any object with `aborted` and add/removeEventListener (api/abort-signal.js).
      signal: req.signal as AbortSignal,
      headersTimeout: req.readTimeoutMs,
      bodyTimeout: req.readTimeoutMs,
    });

  const first = await req.authenticator.authorization(req.signal);
  const response = await send(first);
  if (response.statusCode !== 401 || !req.authenticator.rejected(first)) return response;
  discardBody(response.body);
  const second = await req.authenticator.authorization(req.signal);
  return send(second);
}
