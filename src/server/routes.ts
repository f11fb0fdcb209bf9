import type { InboundAuth } from "../config/types.js";

/** The endpoint groups of the Java version, each with its own inbound-auth switch. */
export type EndpointGroup = "discovery" | "scrape" | "metrics" | "cacheInvalidate" | "status" | "health";

export interface RouteMatch {
  group: EndpointGroup;
  name:
    | "discovery"
    | "singleTargetMetrics"
    | "promregatorMetrics"
    | "cacheInvalidate"
    | "health"
    | "ready"
    | "status";
  /** Raw path segments after /singleTargetMetrics/ (not decoded: ids are plain ASCII by contract). */
  params?: { appId: string; instanceNumber: string };
  methods: readonly string[];
}

const GET = ["GET", "HEAD"] as const;

/** Maps a request path (without query) to a route, or undefined for 404. */
export function matchRoute(path: string): RouteMatch | undefined {
  switch (path) {
    case "/discovery":
      return { group: "discovery", name: "discovery", methods: GET };
    case "/promregatorMetrics":
      return { group: "metrics", name: "promregatorMetrics", methods: GET };
    case "/cache/invalidate":
      return { group: "cacheInvalidate", name: "cacheInvalidate", methods: [...GET, "POST"] };
    case "/health":
      return { group: "health", name: "health", methods: GET };
    case "/ready":
      return { group: "health", name: "ready", methods: GET };
    case "/":
    case "/index.html":
    case "/status.json":
      return { group: "status", name: "status", methods: GET };
  }
  const prefix = "/singleTargetMetrics/";
  if (path.startsWith(prefix)) {
    const rest = path.slice(prefix.length).split("/");
    if (rest.length === 2) {
      return {
        group: "scrape",
        name: "singleTargetMetrics",
        params: { appId: rest[0], instanceNumber: rest[1] },
        methods: GET,
      };
    }
  }
  return undefined;
}

export interface AuthSwitches {
  discovery: InboundAuth;
  endpoint: InboundAuth;
  metrics: InboundAuth;
  cacheInvalidate: InboundAuth;
}

/**
 * Whether a group needs credentials. Health checks stay open (CF's HTTP health check cannot send credentials);
 * the status page is protected as soon as any endpoint is, because it shows what the protected ones show.
 */
export function requiresAuth(group: EndpointGroup, switches: AuthSwitches): boolean {
  switch (group) {
    case "discovery":
      return switches.discovery === "BASIC";
    case "scrape":
      return switches.endpoint === "BASIC";
    case "metrics":
      return switches.metrics === "BASIC";
    case "cacheInvalidate":
      return switches.cacheInvalidate === "BASIC";
    case "status":
      return Object.values(switches).includes("BASIC");
    case "health":
      return false;
  }
}
