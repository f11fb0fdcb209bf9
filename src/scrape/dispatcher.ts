import { Agent, Dispatcher, Pool, ProxyAgent } from "undici";
import type { PromregatorConfig } from "../config/index.js";

export interface ScrapeDispatcherOptions {
  /** Trusted CAs for targets and token services; replaces the default trust store (tests, private CAs). */
  ca?: string | string[];
}

type Scraping = PromregatorConfig["scraping"];

/**
 * The connection policy for scrapes. Every app route is an origin of its own, so with thousands of routes a
 * pool per origin that keeps its sockets would hold thousands of sockets (and undici clients) for requests
 * that come once per scrape interval. Hence:
 * - plain-HTTP scrapes through promregator.scraping.proxy are sent in absolute form (`GET http://route/path`,
 *   as the Java version's HTTP client does) over ONE pool to the proxy, whatever the number of routes, of at
 *   most promregator.scraping.maxConcurrent sockets (HTTP/1.1 sends one request per socket at a time, so a
 *   lower cap would queue fast scrapes behind hanging ones), each kept for SHARED_IDLE_MS;
 * - every other scrape (HTTPS through the proxy, tunnelled with CONNECT, and direct ones) uses a pool per
 *   route of at most MAX_CONNECTIONS_PER_ORIGIN sockets (and no more than maxConcurrent; an app's instances
 *   share its route, so the cap is not small), each closed after ROUTE_IDLE_MS idle: shorter than a scrape
 *   interval, so a route does not hold a socket between two scrapes. A route whose sockets are all closed is
 *   dropped with its pool.
 */
export const CONNECTION_POLICY = {
  SHARED_IDLE_MS: 20_000,
  MAX_CONNECTIONS_PER_ORIGIN: 64,
  ROUTE_IDLE_MS: 4_000,
} as const;

/** TLS sessions kept for resumption, so that reconnecting to an HTTPS route skips most of the handshake. */
const TLS_SESSIONS = 10_000;

/**
 * One dispatcher for all scrapes (see CONNECTION_POLICY). With promregator.scraping.proxy (host and non-zero
 * port) every scrape goes through that HTTP proxy.
 */
export function createScrapeDispatcher(
  scraping: Scraping,
  options: ScrapeDispatcherOptions = {},
): Dispatcher {
  const tls = {
    timeout: scraping.connectionTimeout,
    maxCachedSessions: TLS_SESSIONS,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  };
  const perOrigin = {
    connections: Math.min(CONNECTION_POLICY.MAX_CONNECTIONS_PER_ORIGIN, scraping.maxConcurrent),
    keepAliveTimeout: CONNECTION_POLICY.ROUTE_IDLE_MS,
    keepAliveMaxTimeout: CONNECTION_POLICY.ROUTE_IDLE_MS,
  };
  const proxy = scraping.proxy;
  if (proxy?.host && proxy.port) {
    const uri = `http://${proxy.host}:${proxy.port}`;
    const tunnels = new ProxyAgent({
      uri,
      ...perOrigin,
      proxyTls: { timeout: scraping.connectionTimeout },
      requestTls: tls,
    });
    const shared = new Pool(uri, {
      keepAliveTimeout: CONNECTION_POLICY.SHARED_IDLE_MS,
      keepAliveMaxTimeout: CONNECTION_POLICY.SHARED_IDLE_MS,
      connections: scraping.maxConcurrent,
      connect: { timeout: scraping.connectionTimeout },
    });
    return new ForwardProxyDispatcher(uri, shared, tunnels);
  }
  return new Agent({ ...perOrigin, connect: tls });
}

/** Plain-HTTP requests in absolute form over one shared pool to the proxy; the rest through CONNECT tunnels. */
class ForwardProxyDispatcher extends Dispatcher {
  /** `host` header values by origin: a landscape has a bounded set of routes, parsed once each. */
  private readonly hosts = new Map<string, string>();

  constructor(
    private readonly proxyOrigin: string,
    private readonly shared: Pool,
    private readonly tunnels: ProxyAgent,
  ) {
    super();
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = String(options.origin ?? "");
    if (!origin.startsWith("http:")) return this.tunnels.dispatch(options, handler);
    return this.shared.dispatch(
      {
        ...options,
        origin: this.proxyOrigin,
        path: origin + options.path,
        headers: { ...(options.headers as Record<string, string>), host: this.hostOf(origin) },
      },
      handler,
    );
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const closed = Promise.all([this.shared.close(), this.tunnels.close()]).then(() => {});
    if (!callback) return closed;
    closed.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === "function" ? null : (a ?? null);
    const callback = typeof a === "function" ? a : b;
    const destroyed = Promise.all([this.shared.destroy(err), this.tunnels.destroy(err)]).then(() => {});
    if (!callback) return destroyed;
    destroyed.then(callback, callback);
  }

  private hostOf(origin: string): string {
    let host = this.hosts.get(origin);
    if (host === undefined) {
      if (this.hosts.size >= 100_000) this.hosts.clear();
      host = new URL(origin).host;
      this.hosts.set(origin, host);
    }
    return host;
  }
}
