import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../config/index.js";
import type { CacheInvalidation, DiscoverySnapshot } from "../discovery/index.js";
import type { InboundRequest, InboundResponse } from "../http-exchange.js";
import type { Logger } from "../log.js";
import type { ScrapeHandler } from "../scrape/index.js";
import type { Credentials } from "./basic-auth.js";
import type { WebUsers } from "./web-config.js";

/** What the HTTP layer reads from discovery; implemented by the discovery service. */
export interface DiscoveryView {
  current(): DiscoverySnapshot | undefined;
  ready(): boolean;
  /** Empties the named caches and refreshes; settles when that refresh has ended (succeeded or failed). */
  invalidate(selection: CacheInvalidation): Promise<void> | void;
}

export interface MetricsView {
  /** The body as text chunks, produced while it is sent (see OwnMetrics.renderChunks). */
  renderChunks(accept: string | undefined): { contentType: string; chunks: AsyncIterable<string> };
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
  /** From `--web.config.file`: users every request must be one of (when any), headers for every answer. */
  web?: { users: WebUsers; headers: Record<string, string> };
}

/** Scrapes in flight, shared by all requests of one server. */
export interface ScrapeSlots {
  inFlight: number;
}

/** One request as an endpoint sees it. */
export interface EndpointContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** For prefix routes: the path after the prefix (not decoded); "" otherwise. */
  rest: string;
  deps: HandlerDeps;
  scrapeSlots: ScrapeSlots;
}

export type Endpoint = (ctx: EndpointContext) => void | Promise<void>;

/** One request as an endpoint that also serves the socket-level path sees it (see InboundRequest). */
export interface InboundContext extends Omit<EndpointContext, "req" | "res"> {
  req: InboundRequest;
  res: InboundResponse;
}
