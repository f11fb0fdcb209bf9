/** What the rest of Promregator needs from the Cloud Controller v3 API, in plain shapes. */

export interface CfOrganization {
  guid: string;
  name: string;
}

export interface CfSpace {
  guid: string;
  name: string;
  orgGuid: string;
}

export interface CfApp {
  guid: string;
  name: string;
  /** "STARTED" | "STOPPED" */
  state: string;
  spaceGuid: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

export interface CfProcess {
  guid: string;
  appGuid: string;
  type: string;
  /** Desired instance count. */
  instances: number;
}

export interface CfRoute {
  guid: string;
  /** host.domain[/path] for HTTP routes, domain:port for TCP routes; no scheme, as CC writes it. */
  url: string;
  domainGuid: string;
  /** Apps this route leads to (from destinations[].app.guid), in CC order, each once. */
  appGuids: string[];
  /** CC v3 route `protocol`: "http" or "tcp" (taken from the domain); "http" when the CC does not say. */
  protocol: string;
  /** CC v3 route `destinations`, in CC order; which of them count for an app is discovery's decision. */
  destinations: CfRouteDestination[];
}

/** Where a route sends traffic: one process type of one app, on one container port. */
export interface CfRouteDestination {
  appGuid: string;
  /** `app.process.type`; CC's default is "web". */
  processType: string;
  /** Container port; absent when the CC does not state one. */
  port?: number;
}

export interface CfDomain {
  guid: string;
  name: string;
  internal: boolean;
}

/**
 * An app's binding to a service instance (CC v3 service credential binding of type "app"), without its
 * credentials, which only the binding's `details` carry.
 */
export interface CfServiceBinding {
  guid: string;
  /** `name`; CC writes null when the binding has none. */
  name?: string;
  appGuid: string;
  serviceInstanceGuid: string;
  /**
   * `type` of the service instance (from the list's `include=service_instance`): "user-provided" (created by a
   * team with `cf create-user-provided-service`) or "managed" (created by a service broker, whose credentials are
   * the broker's, e.g. a database user); absent when the CC did not include the instance.
   */
  serviceInstanceType?: string;
  /** `last_operation`: absent when CC states none (null). A binding being created or deleted has no usable credentials. */
  lastOperation?: { type: string; state: string };
}

/** `GET /v3/service_credential_bindings/:guid/details`: the credentials as the app sees them in VCAP_SERVICES. */
export interface CfServiceBindingDetails {
  /** Whatever the service (or the user, for a user-provided instance) put there; usually a JSON object. */
  credentials: unknown;
}

/**
 * Which Cloud Controller resource a request was for; used for timeouts, metrics and logs. "serviceBinding":
 * the binding list; "bindingDetails": one binding's details (credentials).
 */
export type CfResource =
  | "info"
  | "org"
  | "space"
  | "appInSpace"
  | "process"
  | "route"
  | "domain"
  | "serviceBinding"
  | "bindingDetails";

/** How one Cloud Controller request attempt ended. */
export type CfRequestOutcome = "ok" | "error" | "retry" | "rate_limited";

/** What the CF client reports about its requests; declared here, implemented by own metrics. */
export interface CfRequestObserver {
  /** One attempt at `resource`, `seconds` long. */
  observeCfRequest(resource: CfResource, seconds: number, outcome: CfRequestOutcome): void;
  /** Time spent waiting for a rate limit to clear before a request, seconds. */
  observeRateLimitWait(resource: CfResource, seconds: number): void;
}

/**
 * Each list call follows every `pagination.next` link with per_page=1000 and splits long guid
 * filters into several requests so that URLs stay short; callers pass whole lists.
 */
export interface CloudControllerApi {
  listOrganizations(filter?: { names?: string[] }): Promise<CfOrganization[]>;
  listSpaces(filter?: { organizationGuids?: string[]; names?: string[] }): Promise<CfSpace[]>;
  listApps(filter: {
    spaceGuids?: string[];
    organizationGuids?: string[];
    names?: string[];
  }): Promise<CfApp[]>;
  /** Processes of type "web" only. */
  listWebProcesses(filter: { appGuids?: string[]; spaceGuids?: string[] }): Promise<CfProcess[]>;
  listRoutes(filter: { appGuids?: string[]; spaceGuids?: string[] }): Promise<CfRoute[]>;
  /** All domains visible to the user (shared, private and internal). */
  listDomains(): Promise<CfDomain[]>;
  /**
   * App bindings (`type=app`) to the service instances of these names, e.g. user-provided instances by which
   * app teams opt in. The CC filters by exact name; bindings of every space the user can read come back.
   */
  listAppBindings(filter: { serviceInstanceNames: string[] }): Promise<CfServiceBinding[]>;
  /**
   * One binding's credentials. Only Admin, Admin Read-Only and Space Developer may read them: CC answers other
   * roles (Space Auditor, Global Auditor, ...) 404 CF-ResourceNotFound, as it does for a binding being created.
   */
  getBindingDetails(bindingGuid: string): Promise<CfServiceBindingDetails>;
  /** GET /v3/info, used by the watchdog and the start-up version check. */
  getInfo(): Promise<{ version?: number | string; [key: string]: unknown }>;
  close(): Promise<void>;
}
