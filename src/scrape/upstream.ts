import type { Dispatcher } from "undici";
import type { DiscoveredInstance } from "../discovery/index.js";
import { JAVA_DEFAULT_ACCEPT } from "../media-type.js";
import type { OutboundAuthenticator } from "./authenticators/types.js";
import type { BudgetSignal } from "./budget.js";
import { ScrapeFailure } from "./failure.js";
import { PROMREGATOR_INSTANCE_HEADER } from "./types.js";
import { dispatchRequest, type UpstreamResponse } from "./upstream-body.js";

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
 * Sends the scrape request. Redirects are not followed (a bare dispatch follows none): a 3xx is handed back
 * like any other non-200. A 401 to a token-based credential gets one retry with a fresh token.
 */
export async function fetchUpstream(req: UpstreamRequest): Promise<UpstreamResponse> {
  const url = targetUrl(req.instance);
  const send = (authorization: string | undefined) =>
    dispatchRequest(
      req.dispatcher,
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: upstreamHeaders(req, authorization),
        headersTimeout: req.readTimeoutMs,
        bodyTimeout: req.readTimeoutMs,
      },
      req.signal,
    );

  const first = await req.authenticator.authorization(req.signal);
  const response = await send(first);
  if (response.statusCode !== 401 || !req.authenticator.rejected(first)) return response;
  response.body.destroy();
  const second = await req.authenticator.authorization(req.signal);
  return send(second);
}
