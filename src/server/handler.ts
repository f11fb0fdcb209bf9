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
   * switched to BASIC takes the inbound user or one of them.
   */
  async function authorized(req: InboundRequest, group: EndpointGroup): Promise<boolean> {
    if (isOpen(group)) return true;
    const webUsers = deps.web?.users;
    const webUser = webUsers?.enabled ? await webUsers.check(req) : undefined;
    if (webUser === false) return false;
    return !requiresAuth(group, p) || webUser === true || hasValidBasicAuth(req, deps.inboundCredentials);
  }

  /**
   * The route of an allowed and authorized request; undefined when the answer (400, 404, 405, 401) is sent.
   * `hostLines`: the value of each Host field line of the request.
   */
  async function admit(
    req: InboundRequest,
    res: InboundResponse,
    hostLines: readonly string[],
  ): Promise<{ route: Route; rest: string; url: URL } | undefined> {
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
    if (!(await authorized(req, route.group))) {
      sendText(req, res, 401, "Authentication required", {
        "www-authenticate": 'Basic realm="Promregator"',
      });
      return undefined;
    }
    return { route, rest, url };
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse) {
    const admitted = await admit(req, res, req.headersDistinct.host ?? []);
    if (admitted) await admitted.route.handler({ req, res, ...admitted, deps, scrapeSlots });
  }

  async function dispatchInbound(req: InboundRequest, res: InboundResponse) {
    // The socket-level path reads only requests with one Host line (socket-level/index.ts).
    const host = req.headers.host;
    const admitted = await admit(req, res, host === undefined ? [] : [host]);
    if (!admitted) return;
    if (admitted.route.group !== "scrape") {
      return sendText(req, res, 404, `No such endpoint: ${admitted.url.pathname.slice(0, 200)}`);
    }
    await serveScrape({ req, res, ...admitted, deps, scrapeSlots });
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
    dispatchInbound(req, res).catch((error: unknown) => failed(req, res, error));
  };
  return handler;
}
