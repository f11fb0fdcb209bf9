import type { AppRecord, RouteRecord } from "../model/records.js";
import { APP_PORT } from "../model/records.js";
import type { LandscapeStore } from "../model/store.js";

/** gorouter accepts only `<lowercase guid>:<decimal index>`. */
const APP_INSTANCE_HEADER = /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}:\d+$/;

export interface Endpoint {
  app: AppRecord;
  index: number;
}

export type RouterError = { status: number; code: string; body: string };

export type Lookup =
  | {
      kind: "endpoint";
      endpoint: Endpoint;
      /** The route's other RUNNING endpoints in round-robin order, for gorouter's retry on another backend. */
      others?: Endpoint[];
      route?: RouteRecord;
      internal: boolean;
    }
  | { kind: "error"; error: RouterError }
  /** What a forward proxy reports when it cannot reach an internal address. */
  | { kind: "unreachable"; reason: string };

function routerError(status: number, code: string, message: string): { kind: "error"; error: RouterError } {
  const text =
    { 400: "Bad Request", 404: "Not Found", 502: "Bad Gateway", 503: "Service Unavailable" }[status] ??
    "Error";
  return { kind: "error", error: { status, code, body: `${status} ${text}: ${message}\n` } };
}

/** Longest route path that is a segment prefix of the request path; routes are kept longest-path first. */
function matchRoute(routes: RouteRecord[], path: string): RouteRecord | undefined {
  return routes.find((r) => r.path === "" || path === r.path || path.startsWith(`${r.path}/`));
}

/** Resolves requests to app instances the way gorouter (and, for apps.internal, BOSH DNS) would. */
export class RouteTable {
  private readonly roundRobin = new Map<string, number>();

  constructor(private readonly store: LandscapeStore) {}

  lookup(
    hostname: string,
    port: number | undefined,
    path: string,
    instanceHeader: string | undefined,
  ): Lookup {
    const internal = this.internalDomain(hostname);
    if (internal) return this.lookupInternal(hostname, internal, port);

    if (instanceHeader !== undefined && !APP_INSTANCE_HEADER.test(instanceHeader)) {
      return routerError(400, "invalid_cf_app_instance_header", "Invalid X-CF-App-Instance Header");
    }
    const routes = this.store.routesByHostname.get(hostname);
    const route = routes ? matchRoute(routes, path) : undefined;
    if (instanceHeader !== undefined) {
      const [guid, index] = instanceHeader.split(":");
      const notFound = () =>
        routerError(
          400,
          "unknown_route",
          `Requested instance ('${index}') with guid ('${guid}') does not exist for route ('${hostname}')`,
        );
      if (!route?.destinations.some((d) => d.appGuid === guid)) return notFound();
      const app = this.store.apps.get(guid);
      // String compare as gorouter does: "01" is not instance 1.
      const i = Number(index);
      if (!app || String(i) !== index) return notFound();
      const state = this.store.instanceState(app, i);
      if (state === "CRASHED") return this.endpointFailure();
      if (state !== "RUNNING") return notFound();
      return { kind: "endpoint", endpoint: { app, index: i }, route, internal: false };
    }
    if (!route) return routerError(404, "unknown_route", `Requested route ('${hostname}') does not exist.`);

    const running: Endpoint[] = [];
    let crashed = false;
    for (const d of route.destinations) {
      const app = this.store.apps.get(d.appGuid);
      if (!app) continue;
      for (let i = 0; i < app.web.instances; i++) {
        const state = this.store.instanceState(app, i);
        if (state === "RUNNING") running.push({ app, index: i });
        else if (state === "CRASHED") crashed = true;
      }
    }
    if (running.length === 0) {
      if (crashed) return this.endpointFailure();
      return routerError(503, "no_endpoints", `Requested route ('${hostname}') has no available endpoints.`);
    }
    const next = this.roundRobin.get(route.guid) ?? 0;
    this.roundRobin.set(route.guid, next + 1);
    const first = next % running.length;
    const others = [...running.slice(first + 1), ...running.slice(0, first)];
    return { kind: "endpoint", endpoint: running[first], others, route, internal: false };
  }

  private endpointFailure(): Lookup {
    const e = routerError(
      502,
      "endpoint_failure (connection refused)",
      "Registered endpoint failed to handle the request.",
    );
    return e;
  }

  private internalDomain(hostname: string): string | undefined {
    for (const d of this.store.domains.values()) {
      if (d.internal && hostname.endsWith(`.${d.name}`)) return d.name;
    }
    return undefined;
  }

  /**
   * `<index>.<host>.<internal domain>` is one instance, `<host>.<internal domain>` any of them; traffic goes
   * straight to the container on the app port, without gorouter headers.
   */
  private lookupInternal(hostname: string, domain: string, port: number | undefined): Lookup {
    const routes = this.store.routesByHostname.get(hostname);
    let index: number | undefined;
    let route = routes?.[0];
    if (!route) {
      const m = /^(\d+)\.(.+)$/.exec(hostname);
      route = m ? this.store.routesByHostname.get(m[2])?.[0] : undefined;
      index = m ? Number(m[1]) : undefined;
    }
    if (!route)
      return { kind: "unreachable", reason: `no such host ${hostname} (internal domain ${domain})` };
    const candidates: Endpoint[] = [];
    for (const d of route.destinations) {
      const app = this.store.apps.get(d.appGuid);
      if (!app) continue;
      for (let i = 0; i < app.web.instances; i++) {
        if (index !== undefined && i !== index) continue;
        if (this.store.instanceState(app, i) !== "DOWN") candidates.push({ app, index: i });
      }
    }
    if (candidates.length === 0) return { kind: "unreachable", reason: `no such host ${hostname}` };
    if ((port ?? 80) !== APP_PORT) {
      return {
        kind: "unreachable",
        reason: `connection refused to ${hostname}:${port ?? 80} (apps listen on ${APP_PORT})`,
      };
    }
    const next = this.roundRobin.get(hostname) ?? 0;
    this.roundRobin.set(hostname, next + 1);
    const endpoint = candidates[next % candidates.length];
    if (this.store.instanceState(endpoint.app, endpoint.index) !== "RUNNING") {
      return {
        kind: "unreachable",
        reason: `connection refused to ${hostname}:${port} (instance not running)`,
      };
    }
    return { kind: "endpoint", endpoint, route, internal: true };
  }
}
