/**
 * A CF landscape for the simulator: built in code (landscape/demo.ts, landscape/generate.ts) or read from a YAML
 * file of the same structure (landscape/load.ts: loadLandscapeFile, which names the first bad field);
 * landscape/foundation.ts gives a landscape the guids of another foundation.
 */
import type { UaaPolicySpec, UaaUserState } from "./uaa/policy.js";

export type MetricsFormat = "text" | "openmetrics";

/** What an app instance answers on its metrics path. */
export interface InstanceBehaviour {
  /** Built-in generator (default) or a real upstream base URL the router forwards to (e.g. a real Promregator). */
  upstream?: string;
  format?: MetricsFormat;
  /** Approximate body size in bytes of the generated exposition (default ~2 KB). */
  sizeBytes?: number;
  /** Require this inbound auth on the instance. */
  auth?: { basic?: { username: string; password: string }; bearer?: { clientId: string } };
  /** Extra latency before answering, ms. */
  latencyMs?: number;
  /** "RUNNING" (default), "CRASHED" (router answers 502/503 for it), "STARTING". */
  state?: "RUNNING" | "CRASHED" | "STARTING";
}

export interface AppSpec {
  name: string;
  guid?: string;
  state?: "STARTED" | "STOPPED";
  instances?: number;
  /**
   * Routes to the web process on port 8080, in creation (= CC) order: "host.domain[/path]", or "domain:port" on a
   * TCP domain. The domain must be declared in `domains`. Default: "<name>.<first shared HTTP domain>" (none when
   * `routeMappings` is given).
   */
  routes?: string[];
  /** Further routes, created after `routes`, each with its destination's process type and container port. */
  routeMappings?: RouteSpec[];
  /** Process types besides `web` (e.g. "api", "worker"), each with its own desired instance count (default 1). */
  processes?: { type: string; instances?: number }[];
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  /** Metrics path the built-in instances serve (default /metrics). */
  metricsPath?: string;
  behaviour?: InstanceBehaviour;
  /** Per-instance overrides by index. */
  instanceBehaviour?: Record<number, InstanceBehaviour>;
}

/** A route with its destination: a process type of the app (default "web") on a container port (default 8080). */
export interface RouteSpec {
  url: string;
  process?: string;
  port?: number;
}

export interface SpaceSpec {
  name: string;
  guid?: string;
  apps: AppSpec[];
}

export interface OrgSpec {
  name: string;
  guid?: string;
  spaces: SpaceSpec[];
}

export interface DomainSpec {
  name: string;
  guid?: string;
  internal?: boolean;
  /** A TCP domain (router group of type tcp): its routes are "domain:port" and have protocol tcp. */
  tcp?: boolean;
}

export interface LandscapeSpec {
  domains: DomainSpec[];
  orgs: OrgSpec[];
  /** Faults of CC list answers from the start (also settable through the admin API). */
  listFaults?: CcListFaults;
  /** Token endpoint behaviour: accepted client authentication methods, user lockout. */
  uaa?: UaaPolicySpec;
  /** User-provided service instances and the apps bound to them. */
  serviceInstances?: ServiceInstanceSpec[];
  /**
   * User names and client ids with auditor roles only (Space Auditor, Global Auditor): they list service
   * instances and bindings but may not read credentials (404 on binding details, 403 on instance credentials).
   */
  auditors?: string[];
}

/**
 * A service instance and its app bindings: user-provided (`cf create-user-provided-service`, the default) or
 * managed (a service broker's, e.g. a database, whose bindings carry the broker's credentials).
 */
export interface ServiceInstanceSpec {
  name: string;
  guid?: string;
  type?: "user-provided" | "managed";
  /** "org/space" the instance lives in; the apps it binds are in that space. */
  space: string;
  /** What `-p` gave: usually a JSON object; anything JSON to test bad shapes. Default {}. */
  credentials?: unknown;
  /**
   * App names bound to it, or bindings with their own name, guid, credentials (instead of the instance's) or
   * last operation (default create succeeded).
   */
  bindings?: (
    | string
    | {
        app: string;
        name?: string;
        guid?: string;
        credentials?: unknown;
        lastOperation?: {
          type: "create" | "delete";
          state: "initial" | "in progress" | "succeeded" | "failed";
        };
      }
  )[];
}

/** Faults of Cloud Controller list answers, as real CCs and their load balancers show them. */
export interface CcListFaults {
  /** Every page's pagination.next names page N+1, past the end too (empty pages; total_pages unchanged). */
  endlessNext?: boolean;
  /** Paging links are written on this origin (CC's external name), e.g. "https://localhost:8443". */
  linkOrigin?: string;
  /** Each list page is delayed by this many ms per requested per_page item (0.7: 3.5 s for 5,000). */
  pageDelayMsPerItem?: number;
  /** List requests on these path prefixes get 200 and a body that never ends. */
  endlessBodyPaths?: string[];
  /** Any list request naming one of these values (case-insensitive) in a filter gets 500 UnknownError. */
  failKeys?: string[];
}

export interface SimulatorOptions {
  landscape: LandscapeSpec;
  /** Bind address, default 127.0.0.1. */
  host?: string;
  /** Cloud Controller + UAA listener port (0 = any). */
  apiPort?: number;
  /** Router listener port (0 = any). */
  routerPort?: number;
  /** Serve the API over HTTPS with a self-signed certificate (default true). */
  tls?: boolean;
  users?: { username: string; password: string }[];
  clients?: { clientId: string; clientSecret: string }[];
  /** Access token lifetime, seconds (default 1200). */
  tokenLifetimeSeconds?: number;
  /** Requests per window per token; 429 beyond (default off). */
  rateLimit?: { limit: number; windowSeconds: number };
  /** Latency added to every CC response, ms. */
  latencyMs?: number;
  /** Reported CC v3 API version (default "3.180.0"). */
  apiVersion?: string;
  /** Token endpoint policy; overrides `landscape.uaa`. */
  uaa?: UaaPolicySpec;
}

export interface RunningSimulator {
  /** e.g. https://127.0.0.1:40123 — what cf.api_host is set to. */
  apiUrl: string;
  /** Base URL of UAA (token endpoint is `${uaaUrl}/oauth/token`). */
  uaaUrl: string;
  /** host:port of the router; usable as an HTTP forward proxy or with a Host header. */
  routerAddress: { host: string; port: number };
  /** The router as an HTTP forward-proxy URL, e.g. http://127.0.0.1:40124 (for undici ProxyAgent). */
  routerUrl: string;
  /** PEM of the self-signed CA when tls is on. */
  caPem?: string;
  admin: SimulatorAdmin;
  close(): Promise<void>;
}

/** Mutations and counters for tests; also served over HTTP under /admin on the API listener. */
export interface SimulatorAdmin {
  scaleApp(appGuid: string, instances: number): void;
  setAppState(appGuid: string, state: "STARTED" | "STOPPED"): void;
  setInstanceBehaviour(appGuid: string, index: number, behaviour: InstanceBehaviour): void;
  addApp(spaceGuid: string, app: AppSpec): string;
  removeApp(appGuid: string): void;
  /** Invalidate every issued token. */
  revokeTokens(): void;
  /** Replace the token endpoint's client authentication and lockout policy. */
  setUaaPolicy(spec: UaaPolicySpec): void;
  /** Failed password logins of a user and whether it is locked now. */
  uaaUser(username: string): UaaUserState;
  /** Lifetime of access tokens issued from now on, seconds (fractions allowed). */
  setTokenLifetime(seconds: number): void;
  /**
   * Takes the whole API (Cloud Controller and UAA) down until called without an argument: "unavailable" answers
   * 503, "hang" never answers. The router keeps serving the instances.
   */
  setOutage(outage?: "unavailable" | "hang"): void;
  /** Fail the next n CC requests (matching pathPrefix if given) with this status. */
  injectFailures(spec: FailureSpec): void;
  setLatency(ms: number): void;
  setRateLimit(spec?: { limit: number; windowSeconds: number }): void;
  /** Replaces the CC list faults ({} for none). */
  setListFaults(faults: CcListFaults): void;
  /** Requests served by CC (excluding / and /v3/info) and UAA since start or last reset. */
  counters(): { ccRequests: number; uaaRequests: number; byPath: Record<string, number> };
  resetCounters(): void;
  findApp(name: string): { guid: string; spaceGuid: string } | undefined;
  /** Creates a service instance (user-provided unless `type` says managed) in the space; returns its guid. */
  addServiceInstance(
    spaceGuid: string,
    spec: { name: string; type?: "user-provided" | "managed"; credentials?: unknown },
  ): string;
  /** Binds the app to the instance (with the instance's credentials unless given); returns the binding guid. */
  bindService(
    instanceGuid: string,
    appGuid: string,
    opts?: {
      name?: string;
      credentials?: unknown;
      lastOperation?: {
        type: "create" | "delete";
        state: "initial" | "in progress" | "succeeded" | "failed";
      };
    },
  ): string;
  unbindService(bindingGuid: string): void;
  /** Guid of the first service instance of that name, if any. */
  findServiceInstance(name: string): string | undefined;
  /** Replaces the users and clients that may not read credentials (see LandscapeSpec.auditors). */
  setAuditors(names: string[]): void;
  /** Drop pending failures, restore the start-up latency, rate limit and token lifetime, zero the counters. */
  reset(): void;
}

/**
 * How injected failures look on the wire. "cc" (default): a Cloud Controller JSON error body
 * (CF-ServiceUnavailable for 503, UnknownError otherwise); "loadBalancer": a non-JSON HTML page as a
 * load balancer in front of CC would send; "loadBalancerEcho": such a page echoing the request line and headers
 * (Authorization included); "reset": the connection is destroyed without an answer.
 * Without pathPrefix, every API request except UAA and /admin is eligible.
 */
export interface FailureSpec {
  count: number;
  status: number;
  pathPrefix?: string;
  kind?: "cc" | "loadBalancer" | "loadBalancerEcho" | "reset";
}
