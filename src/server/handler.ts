import type { IncomingMessage, ServerResponse } from "node:http";
import type { InboundRequest, InboundResponse } from "../http-exchange.js";
import { hasValidBasicAuth } from "./basic-auth.js";
import type { HandlerDeps, ScrapeSlots } from "./endpoint.js";
import { serveScrape } from "./endpoints/scrape.js";
import { hostHeaderProblem } from "./request-origin.js";
import { readRequestPath } from "./request-path.js";
import { sendText } from "./respond.js";
import { type EndpointGroup, isOpen, matchRoute, type Route, requiresAuth } from "./routes.js";

/**
 * CONNECT asks for a tunnel (RFC 9110 §9.3.6), which Promregator does not offer: 405, as to any other method an
 * endpoint does not serve. The Allow field lists the methods of the endpoint a path-form target names; an
 * authority-form target (`host:port`) names no resource here, so it gets an empty Allow, which RFC 9110 §10.2.1
 * provides for a resource that allows no method.
 */
function refuseConnect(req: InboundRequest, res: InboundResponse): void {
  const target = req.url ?? "";
  const path = target.startsWith("/") ? readRequestPath(target) : undefined;
  const route = path?.ok ? matchRoute(path.url.pathname)?.route : undefined;
  sendText(req, res, 405, "Method CONNECT not allowed", { allow: route ? route.methods.join(", ") : "" });
}

export type { DiscoveryView, HandlerDeps, MetricsView, StatusView } from "./endpoint.js";

/** A request let through to its endpoint: its route, the path after the route's prefix, and the URL read. */
interface Admitted {
  route: Route;
  rest: string;
  url: URL;
}

export interface RequestHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /**
   * The same dispatch for a request the socket-level path reads (src/server/socket-level): only scrape requests
   * (SCRAPE_PATH_PREFIX) come this way; any other route answers 404.
   */
  inbound(req: InboundRequest, res: InboundResponse): void;
}

/** Dispatches by the route table: 404, 405, 401, then the endpoint; all business logic lives in the endpoints. */
export function createRequestHandler(deps: HandlerDeps): RequestHandler {
  const p = deps.config.promregator;
  const scrapeSlots: ScrapeSlots = { inFlight: 0 };
  const webHeaders = Object.entries(deps.web?.headers ?? {});

  /**
   * The web configuration's users guard every endpoint but the health checks (as in exporter-toolkit, except that
   * platform probes such as CF's http health check and `promregator healthcheck` send no credentials); a group
   * switched to BASIC takes the inbound user or one of them. The answer at once when no web user needs checking
   * (a bcrypt comparison), else a promise of it.
   */
  function authorized(req: InboundRequest, group: EndpointGroup): boolean | Promise<boolean> {
    if (isOpen(group)) return true;
    const webUsers = deps.web?.users;
    const decide = (webUser: boolean | undefined) =>
      webUser !== false &&
      (!requiresAuth(group, p) || webUser === true || hasValidBasicAuth(req, deps.inboundCredentials));
    return webUsers?.enabled ? webUsers.check(req).then(decide) : decide(undefined);
  }

  /**
   * The route of an allowed and authorized request; undefined when the answer (400, 404, 405, 401) is sent.
   * `hostLines`: the value of each Host field line of the request. At once unless a web user's password must be
   * checked, so that a scrape is not held up by a turn of the queue per step.
   */
  function admit(
    req: InboundRequest,
    res: InboundResponse,
    hostLines: readonly string[],
  ): Admitted | undefined | Promise<Admitted | undefined> {
    for (const [name, value] of webHeaders) res.setHeader(name, value);
    const hostProblem = hostHeaderProblem(hostLines);
    if (hostProblem) {
      sendText(req, res, 400, `Bad request: ${hostProblem}`);
      return undefined;
    }
    if (req.method === "CONNECT") {
      refuseConnect(req, res);
      return undefined;
    }
    const path = readRequestPath(req.url ?? "/");
    if (!path.ok) {
      sendText(req, res, 400, `Bad request: ${path.reason}`);
      return undefined;
    }
    const url = path.url;
    const match = matchRoute(url.pathname);
    if (!match) {
      sendText(req, res, 404, `No such endpoint: ${url.pathname.slice(0, 200)}`);
      return undefined;
    }
    const { route, rest } = match;
    const method = req.method ?? "GET";
    if (!route.methods.includes(method)) {
      sendText(req, res, 405, `Method ${method} not allowed`, { allow: route.methods.join(", ") });
      return undefined;
    }
    const admitted: Admitted = { route, rest, url };
    const allowed = authorized(req, route.group);
    if (allowed === true) return admitted;
    const refuse = () => {
      sendText(req, res, 401, "Authentication required", {
        "www-authenticate": 'Basic realm="Promregator"',
      });
      return undefined;
    };
    if (allowed === false) return refuse();
    return allowed.then((ok) => (ok ? admitted : refuse()));
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse) {
    const admitted = await admit(req, res, req.headersDistinct.host ?? []);
    if (admitted) await admitted.route.handler({ req, res, ...admitted, deps, scrapeSlots });
  }

  function serveInbound(req: InboundRequest, res: InboundResponse, admitted: Admitted | undefined) {
    if (!admitted) return;
    if (admitted.route.group !== "scrape") {
      return sendText(req, res, 404, `No such endpoint: ${admitted.url.pathname.slice(0, 200)}`);
    }
    return serveScrape({ req, res, rest: admitted.rest, url: admitted.url, deps, scrapeSlots });
  }

  /** As dispatch, without a promise or a turn of the queue before the scrape starts when none is needed. */
  function dispatchInbound(req: InboundRequest, res: InboundResponse): void | Promise<void> {
    // The socket-level path reads only requests with one Host line (socket-level/index.ts).
    const host = req.headers.host;
    const admitted = admit(req, res, host === undefined ? [] : [host]);
    if (admitted instanceof Promise) return admitted.then((a) => serveInbound(req, res, a));
    return serveInbound(req, res, admitted);
  }

  function failed(req: InboundRequest, res: InboundResponse, error: unknown) {
    deps.logger.error({ err: error, url: req.url }, "request failed");
    if (!res.headersSent) sendText(req, res, 500, "Internal error");
    else res.destroy();
  }

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    dispatch(req, res).catch((error: unknown) => failed(req, res, error));
  };
  handler.inbound = (req: InboundRequest, res: InboundResponse) => {
    try {
      const serving = dispatchInbound(req, res);
      if (serving instanceof Promise) serving.catch((error: unknown) => failed(req, res, error));
    } catch (error) {
      failed(req, res, error);
    }
  };
  return handler;
}
