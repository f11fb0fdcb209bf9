import type { Dispatcher } from "undici";
import type { DiscoveredInstance } from "../discovery/index.js";
import { JAVA_DEFAULT_ACCEPT } from "../media-type.js";
import type { OutboundAuthenticator } from "./authenticators/types.js";
import type { BudgetSignal } from "./budget.js";
import { refusedHead, ScrapeFailure } from "./failure.js";
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

/** Where a scrape request goes: `origin` ("http://host:port") and `path` (path and query, "/metrics?x=1"). */
export interface TargetAddress {
  readonly origin: string;
  readonly path: string;
}

/**
 * The addresses of the URLs discovery parsed, each worked out once: the URL's getters build new strings on
 * every call, and an app's instances share one parsed URL.
 */
const addresses = new WeakMap<URL, TargetAddress>();

/** The instance URL's origin and path; only http and https are scraped. Throws a ScrapeFailure for another URL. */
export function targetAddress(instance: DiscoveredInstance): TargetAddress {
  const parsed = instance.parsedUrl;
  const known = parsed && addresses.get(parsed);
  if (known) return known;
  let url: URL;
  try {
    url = parsed ?? new URL(instance.url);
  } catch {
    throw new ScrapeFailure("upstream", "the instance URL is not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ScrapeFailure("upstream", `the instance URL has unsupported scheme ${url.protocol}`);
  }
  // Shared by every scrape of the URL's instances.
  const address = Object.freeze({ origin: url.origin, path: `${url.pathname}${url.search}` });
  if (parsed) addresses.set(parsed, address);
  return address;
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
 * Requests of one scrape, redirects included: Go's http.Client, which Prometheus scrapes with, stops with
 * "stopped after 10 redirects" when a tenth request is answered with another redirect (defaultCheckRedirect),
 * so at most 9 redirects are followed.
 */
export const MAX_REQUESTS = 10;

/** The statuses Go's http.Client follows (RFC 9110 §15.4); 300 and 304 are handed back. */
const FOLLOWED = new Set([301, 302, 303, 307, 308]);

/**
 * Sends the scrape request. A redirect to the same origin (scheme, host and port: the same route, so the
 * instance header still picks the instance) is followed with the same headers, as Prometheus follows it when it
 * scrapes the app directly; a redirect elsewhere is handed back like any other non-200, so that the instance
 * header and credentials never reach another host. A 401 to a token-based credential gets one retry with a
 * fresh token. Throws a ScrapeFailure when a MAX_REQUESTS-th request is redirected again.
 */
export async function fetchUpstream(req: UpstreamRequest): Promise<UpstreamResponse> {
  const target = targetAddress(req.instance);
  const response = await authorized(req, target.origin, target.path);
  // The common answer leaves here: no extra frame or closure per scrape for the rare redirect.
  return FOLLOWED.has(response.statusCode) ? followRedirects(req, target, response) : response;
}

/**
 * One request with the authenticator's credential, and one retry with a fresh one after a 401 to it. Rejects
 * with undici's error before a response head (refusedHead names a head whose framing it refused).
 */
async function authorized(req: UpstreamRequest, origin: string, path: string): Promise<UpstreamResponse> {
  try {
    // A credential known at once is used without an await, which would cost the scrape a turn of the queue.
    const pending = req.authenticator.authorization(req.signal);
    const first = pending instanceof Promise ? await pending : pending;
    const response = await send(req, origin, path, first);
    if (response.statusCode !== 401 || !req.authenticator.rejected(first)) return response;
    response.body.destroy();
    const second = await req.authenticator.authorization(req.signal);
    return await send(req, origin, path, second);
  } catch (err) {
    throw refusedHead(err) ?? err;
  }
}

function send(
  req: UpstreamRequest,
  origin: string,
  path: string,
  authorization: string | undefined,
): Promise<UpstreamResponse> {
  return dispatchRequest(
    req.dispatcher,
    {
      origin,
      path,
      method: "GET",
      headers: upstreamHeaders(req, authorization),
      headersTimeout: req.readTimeoutMs,
      bodyTimeout: req.readTimeoutMs,
    },
    req.signal,
  );
}

async function followRedirects(
  req: UpstreamRequest,
  target: TargetAddress,
  first: UpstreamResponse,
): Promise<UpstreamResponse> {
  let response = first;
  let path = target.path;
  for (let requests = 1; ; requests++) {
    const next = sameOriginRedirect(response, target.origin, path);
    if (next === undefined) return response;
    response.body.destroy();
    if (requests === MAX_REQUESTS) {
      throw new ScrapeFailure(
        "upstream",
        `target redirected ${MAX_REQUESTS} times; stopped after ${MAX_REQUESTS} redirects`,
      );
    }
    path = next;
    response = await authorized(req, target.origin, path);
  }
}

/**
 * The path (and query) a redirect on `origin` leads to; undefined for any other answer, and for a redirect
 * without Location, which Go's client hands back as it came. Read as Go reads it: the first Location field,
 * its bytes as they came (node gives them as latin1; Go escapes a byte above ASCII as itself, %E4, where
 * WHATWG URL would encode the character's UTF-8); a control character fails the scrape, as Go's url.Parse does.
 */
function sameOriginRedirect(response: UpstreamResponse, origin: string, path: string): string | undefined {
  if (!FOLLOWED.has(response.statusCode)) return undefined;
  const field = response.headers.location;
  const location = Array.isArray(field) ? field[0] : field;
  if (location === undefined || location === "") return undefined;
  if (/[\x00-\x1f\x7f]/.test(location)) {
    response.body.destroy();
    throw new ScrapeFailure("upstream", "target redirected to a Location with a control character");
  }
  const escaped = location.replace(/[\x80-\xff]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  let url: URL;
  try {
    url = new URL(escaped, `${origin}${path}`);
  } catch {
    return undefined;
  }
  return url.origin === origin ? `${url.pathname}${url.search}` : undefined;
}
