import type { InboundAuth, KeyPath, PromregatorConfig } from "../config/index.js";
import { OWN_METRICS_PATH } from "../discovery/index.js";
import type { Endpoint } from "./endpoint.js";
import { invalidateCaches } from "./endpoints/cache-invalidate.js";
import { serveDiscovery } from "./endpoints/discovery.js";
import { serveHealth, serveReady } from "./endpoints/health.js";
import { serveOwnMetrics } from "./endpoints/own-metrics.js";
import { serveScrape } from "./endpoints/scrape.js";
import { redirectToStatusPage, serveStatus } from "./endpoints/status.js";

/** The endpoint groups of the Java version, each with its own inbound-auth switch, plus status and health. */
export type EndpointGroup = "discovery" | "scrape" | "metrics" | "cacheInvalidate" | "status" | "health";

export interface Route {
  /** An exact path, or with `prefix` every path that starts with it. */
  path: string;
  prefix?: true;
  methods: readonly string[];
  group: EndpointGroup;
  handler: Endpoint;
}

const GET = ["GET", "HEAD"] as const;

/** The scrape endpoint's path before `<appId>/<instanceNumber>`, as in the Java version. */
export const SCRAPE_PATH_PREFIX = "/singleTargetMetrics/";

/**
 * Every endpoint, once: the Java version's paths, /health and /ready, Prometheus' /-/healthy and /-/ready, and
 * the status page. The dispatcher, the auth decision and the list of protected endpoints are derived from it.
 */
export const ROUTES: readonly Route[] = [
  { path: "/discovery", methods: GET, group: "discovery", handler: serveDiscovery },
  { path: SCRAPE_PATH_PREFIX, prefix: true, methods: GET, group: "scrape", handler: serveScrape },
  { path: OWN_METRICS_PATH, methods: GET, group: "metrics", handler: serveOwnMetrics },
  {
    path: "/cache/invalidate",
    methods: [...GET, "POST"],
    group: "cacheInvalidate",
    handler: invalidateCaches,
  },
  { path: "/health", methods: GET, group: "health", handler: serveHealth },
  { path: "/-/healthy", methods: GET, group: "health", handler: serveHealth },
  { path: "/ready", methods: GET, group: "health", handler: serveReady },
  { path: "/-/ready", methods: GET, group: "health", handler: serveReady },
  { path: "/", methods: GET, group: "status", handler: serveStatus },
  { path: "/index.html", methods: GET, group: "status", handler: serveStatus },
  { path: "/status.json", methods: GET, group: "status", handler: serveStatus },
  { path: "/status", methods: GET, group: "status", handler: redirectToStatusPage },
];

const EXACT = new Map(ROUTES.filter((r) => !r.prefix).map((r) => [r.path, r] as const));
const PREFIXED = ROUTES.filter((r) => r.prefix);

/** The route of a request path (without query) and the part after a prefix; undefined for 404. */
export function matchRoute(path: string): { route: Route; rest: string } | undefined {
  const exact = EXACT.get(path);
  if (exact) return { route: exact, rest: "" };
  const route = PREFIXED.find((r) => path.startsWith(r.path));
  return route && { route, rest: path.slice(route.path.length) };
}

/** The configuration key that switches each Java endpoint group to BASIC. */
export const AUTH_KEYS = {
  discovery: "promregator.discovery.auth",
  scrape: "promregator.endpoint.auth",
  metrics: "promregator.metrics.auth",
  cacheInvalidate: "promregator.cache.invalidate.auth",
} as const satisfies Record<string, KeyPath>;

type SwitchedGroup = keyof typeof AUTH_KEYS;

function authSwitch(group: SwitchedGroup, p: PromregatorConfig): InboundAuth {
  switch (group) {
    case "discovery":
      return p.discovery.auth;
    case "scrape":
      return p.endpoint.auth;
    case "metrics":
      return p.metrics.auth;
    case "cacheInvalidate":
      return p.cache.invalidate.auth;
  }
}

/** The Java groups switched to BASIC, in table order. */
export function basicGroups(p: PromregatorConfig): SwitchedGroup[] {
  return (Object.keys(AUTH_KEYS) as SwitchedGroup[]).filter((group) => authSwitch(group, p) === "BASIC");
}

/**
 * Whether a group is open to everyone, whatever the configuration: the health checks, because platform probes
 * (CF's HTTP health check, `promregator healthcheck`) send no credentials.
 */
export function isOpen(group: EndpointGroup): group is "health" {
  return group === "health";
}

/**
 * Whether a group needs the inbound user. The status page is protected as soon as any endpoint is, because it
 * shows what the protected ones show.
 */
export function requiresAuth(group: EndpointGroup, p: PromregatorConfig): boolean {
  if (isOpen(group)) return false;
  if (group === "status") return basicGroups(p).length > 0;
  return authSwitch(group, p) === "BASIC";
}

/** Paths that ask for the inbound user, e.g. ["/discovery", "/singleTargetMetrics/"]. */
export function protectedPaths(p: PromregatorConfig): string[] {
  return ROUTES.filter((r) => requiresAuth(r.group, p)).map((r) => r.path);
}
