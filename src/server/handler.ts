import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/types.js";
import { renderDiscoveryDocument } from "../discovery/document.js";
import type { CacheInvalidation, DiscoverySnapshot } from "../discovery/types.js";
import type { Logger } from "../log.js";
import { PROMREGATOR_INSTANCE_HEADER, type ScrapeHandler } from "../scrape/types.js";
import { type Credentials, hasValidBasicAuth } from "./basic-auth.js";
import { parseInvalidation } from "./invalidate-params.js";
import { discoveryOrigin } from "./request-origin.js";
import { PreparedBody, sendBody, sendText } from "./respond.js";
import { type AuthSwitches, matchRoute, requiresAuth } from "./routes.js";

/** What the HTTP layer reads from discovery; implemented by the discovery service. */
export interface DiscoveryView {
  current(): DiscoverySnapshot | undefined;
  ready(): boolean;
  invalidate(selection: CacheInvalidation): void;
}

export interface MetricsView {
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

export interface StatusView {
  render(req: IncomingMessage): Promise<{ contentType: string; body: string }>;
}

export interface HandlerDeps {
  config: Config;
  logger: Logger;
  discovery: DiscoveryView;
  scrape: ScrapeHandler;
  metrics: MetricsView;
  status?: StatusView;
  /** Random id of this process; a scrape request carrying it came back to us through the router: a loop. */
  processInstanceId: string;
  inboundCredentials: Credentials;
}

const APP_ID = /^[-0-9a-f]+$/;
const INSTANCE_NUMBER = /^[0-9]{1,9}$/;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The route table of the Java version plus /health and /ready; all business logic lives in the modules it calls. */
export function createRequestHandler(deps: HandlerDeps): RequestHandler {
  const { config, logger } = deps;
  const p = config.promregator;
  const switches: AuthSwitches = {
    discovery: p.discovery.auth,
    endpoint: p.endpoint.auth,
    metrics: p.metrics.auth,
    cacheInvalidate: p.cache.invalidate.auth,
  };
  let scrapesInFlight = 0;
  // The document only changes with the snapshot; keep its bytes and gzip per snapshot and origin.
  const preparedDocuments = new WeakMap<DiscoverySnapshot, Map<string, PreparedBody>>();

  function preparedDocument(snapshot: DiscoverySnapshot, origin: ReturnType<typeof discoveryOrigin>) {
    const key = `${origin.host}\n${origin.port}\n${origin.scheme}`;
    let byOrigin = preparedDocuments.get(snapshot);
    if (!byOrigin) {
      byOrigin = new Map();
      preparedDocuments.set(snapshot, byOrigin);
    }
    let prepared = byOrigin.get(key);
    if (!prepared) {
      // Host headers vary per client; a few variants are normal, many would be abuse.
      if (byOrigin.size >= 8) byOrigin.clear();
      const text = renderDiscoveryDocument(snapshot, {
        ...origin,
        ownMetricsEndpoint: p.discovery.ownMetricsEndpoint,
      });
      prepared = new PreparedBody(text);
      byOrigin.set(key, prepared);
    }
    return prepared;
  }

  async function scrape(req: IncomingMessage, res: ServerResponse, appId: string, instanceNumber: string) {
    if (req.headers[PROMREGATOR_INSTANCE_HEADER] === deps.processInstanceId) {
      logger.warn({ appId, instanceNumber }, "refused a scrape that came back to this process (loop)");
      return sendText(
        req,
        res,
        508,
        "Loop detected: this scrape request was sent by this Promregator itself",
      );
    }
    if (!INSTANCE_NUMBER.test(instanceNumber))
      return sendText(req, res, 400, "Invalid Instance Number provided");
    if (!APP_ID.test(appId)) return sendText(req, res, 400, "Invalid Application Id provided");
    const snapshot = deps.discovery.current();
    // The raw text is the key, so "01" or "+1" never match (as in the Java version).
    const instance = snapshot?.byInstanceId.get(`${appId}:${instanceNumber}`);
    if (!instance) {
      const why = snapshot
        ? "is not among the discovered instances"
        : "cannot be checked: discovery has not completed yet";
      return sendText(req, res, snapshot ? 404 : 503, `Instance ${appId}:${instanceNumber} ${why}`);
    }
    if (scrapesInFlight >= p.scraping.maxConcurrent) {
      return sendText(
        req,
        res,
        503,
        `Too many scrapes in flight (${p.scraping.maxConcurrent}); retry later`,
        {
          "retry-after": "1",
        },
      );
    }
    scrapesInFlight++;
    try {
      await deps.scrape.handle(req, res, instance);
    } finally {
      scrapesInFlight--;
    }
  }

  function discovery(req: IncomingMessage, res: ServerResponse) {
    const snapshot = deps.discovery.current();
    if (!snapshot) {
      // An error keeps Prometheus' previous targets; an empty list would drop them until we are ready.
      return sendText(req, res, 503, "Discovery has not completed yet", { "retry-after": "5" });
    }
    sendBody(
      req,
      res,
      200,
      "application/json",
      preparedDocument(snapshot, discoveryOrigin(req, p.discovery)),
    );
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = matchRoute(url.pathname);
    if (!route) return sendText(req, res, 404, `No such endpoint: ${url.pathname.slice(0, 200)}`);
    const method = req.method ?? "GET";
    if (!route.methods.includes(method)) {
      return sendText(req, res, 405, `Method ${method} not allowed`, { allow: route.methods.join(", ") });
    }
    if (requiresAuth(route.group, switches) && !hasValidBasicAuth(req, deps.inboundCredentials)) {
      return sendText(req, res, 401, "Authentication required", {
        "www-authenticate": 'Basic realm="Promregator"',
      });
    }
    switch (route.name) {
      case "singleTargetMetrics":
        return scrape(req, res, route.params!.appId, route.params!.instanceNumber);
      case "discovery":
        return discovery(req, res);
      case "promregatorMetrics": {
        const { contentType, body } = await deps.metrics.render(req.headers.accept);
        return sendBody(req, res, 200, contentType, body);
      }
      case "cacheInvalidate": {
        let selection: CacheInvalidation;
        try {
          selection = parseInvalidation(url.searchParams);
        } catch (error) {
          return sendText(req, res, 400, (error as Error).message);
        }
        deps.discovery.invalidate(selection);
        res.writeHead(204).end();
        return;
      }
      case "health":
        return sendText(req, res, 200, "UP");
      case "ready":
        return deps.discovery.ready()
          ? sendText(req, res, 200, "READY")
          : sendText(req, res, 503, "NOT READY: first discovery not completed");
      case "status": {
        if (!deps.status)
          return sendText(req, res, 200, "Promregator: see /discovery and /promregatorMetrics");
        const page = await deps.status.render(req);
        return sendBody(req, res, 200, page.contentType, page.body, { vary: "Accept" });
      }
    }
  }

  return (req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      logger.error({ err: error, url: req.url }, "request failed");
      if (!res.headersSent) sendText(req, res, 500, "Internal error");
      else res.destroy();
    });
  };
}
