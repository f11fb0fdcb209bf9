import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Agent, Dispatcher, Pool, ProxyAgent } from "undici";
import type { PromregatorConfig } from "../config/index.js";

export interface ScrapeDispatcherOptions {
  /** Trusted CAs for targets and token services; replaces the default trust store (tests, private CAs). */
  ca?: string | string[];
  /** Resolves a host name to its addresses, as dns.promises.lookup with `all: true` (tests inject one). */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

const systemLookup = (hostname: string) => lookup(hostname, { all: true });

type Scraping = PromregatorConfig["scraping"];

/**
 * The connection policy for scrapes. Every app route is an origin of its own, so with thousands of routes a
 * pool per origin that keeps its sockets would hold thousands of sockets (and undici clients) for requests
 * that come once per scrape interval. Hence:
 * - plain-HTTP scrapes through promregator.scraping.proxy are sent in absolute form (`GET http://route/path`,
 *   as the Java version's HTTP client does) over ONE pool to the proxy, whatever the number of routes, of at
 *   most promregator.scraping.maxConcurrent sockets (HTTP/1.1 sends one request per socket at a time, so a
 *   lower cap would queue fast scrapes behind hanging ones), each kept for SHARED_IDLE_MS;
 * - plain-HTTP scrapes without a proxy go to the address the route's host name resolves to, over ONE pool
 *   per resolved address and port, with the route in the Host header. In Cloud Foundry every app route of a
 *   domain resolves to the same router (its load balancer), which routes each request by its Host header, so
 *   10,000 routes share a few pools instead of holding one each. Same cap (maxConcurrent) and idle time
 *   (SHARED_IDLE_MS) as the proxy pool. Host names are resolved once per ADDRESS_TTL_MS; a name that
 *   resolves to both IPv4 and IPv6 addresses, or not at all, keeps a pool of its own, so that Node's
 *   choice between the families (and its DNS error) stays as it was;
 * - every other scrape (HTTPS, through the proxy tunnelled with CONNECT, or direct: TLS needs the route's
 *   name for SNI and the certificate check) uses a pool per route of at most MAX_CONNECTIONS_PER_ORIGIN
 *   sockets (and no more than maxConcurrent; an app's instances share its route, so the cap is not small),
 *   each closed after ROUTE_IDLE_MS idle: shorter than a scrape interval, so a route does not hold a socket
 *   between two scrapes. A route whose sockets are all closed is dropped with its pool.
 */
export const CONNECTION_POLICY = {
  SHARED_IDLE_MS: 20_000,
  MAX_CONNECTIONS_PER_ORIGIN: 64,
  ROUTE_IDLE_MS: 4_000,
  ADDRESS_TTL_MS: 30_000,
} as const;

/**
 * Bytes of a target's response head accepted (undici's default is 16 KiB). Prometheus' Go client accepts
 * 10 MB (net/http Transport's default MaxResponseHeaderBytes), so a target with a large cookie or header
 * must not fail through the proxy alone; 1 MiB keeps what one scrape can make the process hold bounded.
 */
export const MAX_RESPONSE_HEAD_BYTES = 1024 * 1024;

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
    maxHeaderSize: MAX_RESPONSE_HEAD_BYTES,
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
      maxHeaderSize: MAX_RESPONSE_HEAD_BYTES,
    });
    return new ForwardProxyDispatcher(uri, shared, tunnels);
  }
  const byAddress = new Agent({
    connections: scraping.maxConcurrent,
    maxHeaderSize: MAX_RESPONSE_HEAD_BYTES,
    keepAliveTimeout: CONNECTION_POLICY.SHARED_IDLE_MS,
    keepAliveMaxTimeout: CONNECTION_POLICY.SHARED_IDLE_MS,
    connect: { timeout: scraping.connectionTimeout },
  });
  const addresses = new AddressCache(options.lookup ?? systemLookup);
  return new SharedAddressDispatcher(addresses, byAddress, new Agent({ ...perOrigin, connect: tls }));
}

/** Closes and destroys the dispatchers it is made of. */
abstract class CompositeDispatcher extends Dispatcher {
  constructor(private readonly parts: readonly Dispatcher[]) {
    super();
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const closed = Promise.all(this.parts.map((part) => part.close())).then(() => {});
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
    const destroyed = Promise.all(this.parts.map((part) => part.destroy(err))).then(() => {});
    if (!callback) return destroyed;
    destroyed.then(callback, callback);
  }
}

/** Plain-HTTP requests in absolute form over one shared pool to the proxy; the rest through CONNECT tunnels. */
class ForwardProxyDispatcher extends CompositeDispatcher {
  /** `host` header values by origin: a landscape has a bounded set of routes, parsed once each. */
  private readonly hosts = new Map<string, string>();

  constructor(
    private readonly proxyOrigin: string,
    private readonly shared: Pool,
    private readonly tunnels: ProxyAgent,
  ) {
    super([shared, tunnels]);
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = String(options.origin ?? "");
    if (!origin.startsWith("http:")) return this.tunnels.dispatch(options, handler);
    // Absolute form: the proxy reads the route from the request line (RFC 9112 3.2.2).
    const sent = toOrigin(options, this.proxyOrigin, this.hostOf(origin));
    sent.path = origin + options.path;
    return this.shared.dispatch(sent, handler);
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

/** The request sent to another origin (a proxy, a resolved address) with the route's name in `Host`. */
function toOrigin(
  options: Dispatcher.DispatchOptions,
  origin: string,
  host: string,
): Dispatcher.DispatchOptions {
  return { ...options, origin, headers: { ...(options.headers as Record<string, string>), host } };
}

/** Where a plain-HTTP origin's requests go: the resolved address's origin and the Host header to send. */
interface AddressTarget {
  addressOrigin: string;
  host: string;
}

/**
 * Plain-HTTP requests over one pool per resolved address and port (see CONNECTION_POLICY), the rest
 * (HTTPS, and names that do not resolve to addresses of one family) over a pool per route.
 */
class SharedAddressDispatcher extends CompositeDispatcher {
  constructor(
    private readonly addresses: AddressCache,
    private readonly byAddress: Agent,
    private readonly perRoute: Agent,
  ) {
    super([byAddress, perRoute]);
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = String(options.origin ?? "");
    if (!origin.startsWith("http:")) return this.perRoute.dispatch(options, handler);
    const send = (target: AddressTarget | undefined) =>
      target
        ? this.byAddress.dispatch(toOrigin(options, target.addressOrigin, target.host), handler)
        : this.perRoute.dispatch(options, handler);
    const known = this.addresses.cached(origin);
    if (known !== "unknown") return send(known);
    this.addresses.resolve(origin).then(send, () => send(undefined));
    return true;
  }
}

/**
 * Resolved addresses of plain-HTTP origins, each kept ADDRESS_TTL_MS (the system resolver gives no TTL);
 * lookups of the same name at the same time share one. `undefined`: the origin keeps a pool of its own.
 */
class AddressCache {
  private readonly entries = new Map<string, { target: AddressTarget | undefined; until: number }>();
  private readonly pending = new Map<string, Promise<AddressTarget | undefined>>();

  constructor(private readonly lookupAll: NonNullable<ScrapeDispatcherOptions["lookup"]>) {}

  cached(origin: string): AddressTarget | undefined | "unknown" {
    const entry = this.entries.get(origin);
    if (!entry || entry.until < performance.now()) return "unknown";
    return entry.target;
  }

  resolve(origin: string): Promise<AddressTarget | undefined> {
    let pending = this.pending.get(origin);
    if (!pending) {
      pending = targetOf(origin, this.lookupAll).then((target) => {
        if (this.entries.size >= 100_000) this.entries.clear();
        this.entries.set(origin, { target, until: performance.now() + CONNECTION_POLICY.ADDRESS_TTL_MS });
        return target;
      });
      pending.finally(() => this.pending.delete(origin)).catch(() => {});
      this.pending.set(origin, pending);
    }
    return pending;
  }
}

async function targetOf(
  origin: string,
  lookupAll: NonNullable<ScrapeDispatcherOptions["lookup"]>,
): Promise<AddressTarget | undefined> {
  const url = new URL(origin);
  const port = url.port || "80";
  const name = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let address = isIP(name) ? name : undefined;
  if (!address) {
    const found = await lookupAll(name).catch(() => []);
    // Both families: Node tries them in turn when it connects by name; keep that (and its DNS errors).
    if (found.length === 0 || found.some((a) => a.family !== found[0].family)) return undefined;
    address = found[0].address;
  }
  const literal = isIP(address) === 6 ? `[${address}]` : address;
  return { addressOrigin: `http://${literal}:${port}`, host: url.host };
}
