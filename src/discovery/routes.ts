import type { CfRoute } from "../cf/index.js";

/**
 * Route semantics, in one place: which of an app's routes can carry a scrape of its instances, and which of
 * those is used.
 *
 * Rules (CC v3 docs, resources/routes and destinations; gorouter handlers/lookup.go):
 * - Only HTTP routes are candidates. A route's `protocol` is "http" or "tcp" (from its domain); a TCP route goes
 *   through the TCP router, which ignores X-CF-APP-INSTANCE, so every scrape would reach an arbitrary instance.
 * - A route counts for an app only if one of its destinations is that app's `web` process: discovery enumerates
 *   the web process's instances, and a route to another process type (e.g. `api`) reaches other containers.
 * - A wildcard route (host `*`, which CC allows: app/models/runtime/route.rb validates the host against
 *   /^([\w\-]+|\*)$/) is never a candidate, not even when `preferredRouteRegex` names it: `*.apps.example.com`
 *   is not a name one can connect to ("*" is no letter, digit or hyphen, RFC 1035 §2.3.1), so every scrape
 *   through it would fail. An app whose only routes to its web process are wildcards has no usable route.
 * - The destination port is not needed to build the URL: gorouter forwards a route to its destination's port
 *   itself, and internal routes use the configured port (target `internalRoutePort`, else
 *   `promregator.defaultInternalRoutePort`, as the Java version does), because an internal name reaches the
 *   container on any port. It matters only in that a route mapped to several ports or process types of one app
 *   is kept as long as one destination is the web process.
 * - With `overrideRouteAndPath` the route is not used for the URL; as in the Java version the app still needs
 *   at least one route of any kind (a TCP or wildcard one will do).
 */

/** The process type whose instances are enumerated and scraped. */
export const WEB_PROCESS_TYPE = "web";

/** Route protocols served by gorouter (CC documents "http"; "http2" is accepted for forward compatibility). */
const HTTP_ROUTE_PROTOCOLS = new Set(["http", "http2"]);

/** Why an app has no usable route; the kind is what the status page groups by. */
export interface RouteProblem {
  kind: "no-route" | "no-http-route";
  /** Completes "<org>/<space>/<app> ...". */
  text: string;
}

/** True when a route is HTTP and has a destination to the web process of `appGuid`. */
export function reachesWebProcess(route: CfRoute, appGuid: string): boolean {
  return (
    HTTP_ROUTE_PROTOCOLS.has(route.protocol) &&
    route.destinations.some((d) => d.appGuid === appGuid && d.processType === WEB_PROCESS_TYPE)
  );
}

/**
 * True for a route of host `*`: CC's `url` is "<host>.<domain><path>", and a domain name never starts with "*",
 * so a url starting with "*." is exactly such a route.
 */
function isWildcardRoute(route: CfRoute): boolean {
  return route.url.startsWith("*.");
}

/**
 * The app's routes that can carry a scrape, in Cloud Controller order, or why there are none.
 * `anyRoute` (overrideRouteAndPath) accepts every route, since the URL does not use it.
 */
export function candidateRoutes(
  routes: readonly CfRoute[],
  appGuid: string,
  anyRoute: boolean,
): CfRoute[] | RouteProblem {
  if (routes.length === 0) return { kind: "no-route", text: "has no route" };
  if (anyRoute) return [...routes];
  const toWeb = routes.filter((route) => reachesWebProcess(route, appGuid));
  const usable = toWeb.filter((route) => !isWildcardRoute(route));
  if (usable.length > 0) return usable;
  if (toWeb.length > 0) {
    return {
      kind: "no-http-route",
      text: `has no HTTP route to its web process that can be connected to (only wildcard routes: ${summariseUrls(toWeb)})`,
    };
  }
  const http = routes.filter((route) => HTTP_ROUTE_PROTOCOLS.has(route.protocol));
  if (http.length === 0) {
    return { kind: "no-http-route", text: `has no HTTP route (only ${describeProtocols(routes)} routes)` };
  }
  const types = new Set(
    http.flatMap((route) =>
      route.destinations.filter((d) => d.appGuid === appGuid).map((d) => d.processType),
    ),
  );
  return {
    kind: "no-http-route",
    text: `has no HTTP route to its web process (its HTTP routes lead to process type ${[...types].join(", ") || "none"})`,
  };
}

/**
 * First route in Cloud Controller order, unless a preferred pattern (tried in configured order, each
 * against all routes in order, whole url, case-sensitive) matches; no match falls back to the first route.
 * `routes` must not be empty.
 */
export function chooseRoute(routes: readonly CfRoute[], patterns: readonly RegExp[]): CfRoute {
  for (const pattern of patterns) {
    const match = routes.find((route) => pattern.test(route.url));
    if (match) return match;
  }
  return routes[0];
}

/** Up to three route urls, so that a long list stays readable. */
function summariseUrls(routes: readonly CfRoute[]): string {
  const shown = routes.slice(0, 3).map((route) => route.url);
  return routes.length > 3 ? `${shown.join(", ")} and ${routes.length - 3} more` : shown.join(", ");
}

function describeProtocols(routes: readonly CfRoute[]): string {
  return [...new Set(routes.map((route) => route.protocol.toUpperCase()))].join(", ");
}
