import type { IncomingMessage, ServerResponse } from "node:http";
import { hasValidBasicAuth } from "./basic-auth.js";
import type { HandlerDeps, ScrapeSlots } from "./endpoint.js";
import { sendText } from "./respond.js";
import { type EndpointGroup, isOpen, matchRoute, requiresAuth } from "./routes.js";

export type { DiscoveryView, HandlerDeps, MetricsView, StatusView } from "./endpoint.js";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Dispatches by the route table: 404, 405, 401, then the endpoint; all business logic lives in the endpoints. */
export function createRequestHandler(deps: HandlerDeps): RequestHandler {
  const p = deps.config.promregator;
  const scrapeSlots: ScrapeSlots = { inFlight: 0 };

  /**
   * The web configuration's users guard every endpoint but the health checks (as in exporter-toolkit, except that
   * platform probes such as CF's http health check and `promregator healthcheck` send no credentials); a group
   * switched to BASIC takes the inbound user or one of them.
   */
  async function authorized(req: IncomingMessage, group: EndpointGroup): Promise<boolean> {
    if (isOpen(group)) return true;
    const webUsers = deps.web?.users;
    const webUser = webUsers?.enabled ? await webUsers.check(req) : undefined;
    if (webUser === false) return false;
    return !requiresAuth(group, p) || webUser === true || hasValidBasicAuth(req, deps.inboundCredentials);
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse) {
    for (const [name, value] of Object.entries(deps.web?.headers ?? {})) res.setHeader(name, value);
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = matchRoute(url.pathname);
    if (!match) return sendText(req, res, 404, `No such endpoint: ${url.pathname.slice(0, 200)}`);
    const { route, rest } = match;
    const method = req.method ?? "GET";
    if (!route.methods.includes(method)) {
      return sendText(req, res, 405, `Method ${method} not allowed`, { allow: route.methods.join(", ") });
    }
    if (!(await authorized(req, route.group))) {
      return sendText(req, res, 401, "Authentication required", {
        "www-authenticate": 'Basic realm="Promregator"',
      });
    }
    await route.handler({ req, res, url, rest, deps, scrapeSlots });
  }

  return (req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      deps.logger.error({ err: error, url: req.url }, "request failed");
      if (!res.headersSent) sendText(req, res, 500, "Internal error");
      else res.destroy();
    });
  };
}
