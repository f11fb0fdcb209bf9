import type { Dispatcher } from "undici";
import type { CfConfig } from "../config/index.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { KnownSecrets } from "../redact.js";
import {
  type Included,
  ShapeError,
  toApp,
  toDomain,
  toOrganization,
  toProcess,
  toRoute,
  toServiceBinding,
  toServiceBindingDetails,
  toSpace,
} from "./cc-mappers.js";
import {
  CcRequester,
  type CfRequestCounters,
  DEFAULT_MAX_RATE_LIMIT_WAIT_MS,
  emptyCounters,
} from "./cc-request.js";
import { CfApiError, PartialListError, UaaError } from "./errors.js";
import { createDispatcher } from "./http.js";
import { MAX_ISOLATION_FAILURES, readIsolating } from "./isolate.js";
import {
  CHUNK_CONCURRENCY,
  fetchAllPages,
  type ListFilters,
  mapConcurrent,
  PER_PAGE,
  planList,
  SMALL_PER_PAGE,
} from "./paging.js";
import { RateLimiter, realTime, type TimeSource } from "./rate-limiter.js";
import type {
  CfApp,
  CfDomain,
  CfOrganization,
  CfProcess,
  CfRequestObserver,
  CfResource,
  CfRoute,
  CfServiceBinding,
  CfServiceBindingDetails,
  CfSpace,
  CloudControllerApi,
} from "./types.js";
import { UaaTokenProvider } from "./uaa-token.js";
import { compareVersions, MIN_API_VERSION, type RootDocument, readRootDocument } from "./versions.js";

export interface CloudControllerClientDeps {
  config: CfConfig;
  logger: Logger;
  metrics?: CfRequestObserver;
  /** Extra trusted CA certificate (PEM), e.g. the simulator's self-signed certificate. */
  ca?: string;
}

/** Knobs for tests; production uses the defaults. */
export interface CloudControllerClientOptions extends CloudControllerClientDeps {
  time?: TimeSource;
  /** 0..1 for backoff jitter. */
  random?: () => number;
  maxRateLimitWaitMs?: number;
  uaaTimeoutMs?: number;
  dispatcher?: Dispatcher;
}

/** Each failure with the filter value it belongs to in its message, e.g. "... (names=exception)". */
function namedFailures(filter: string, failed: Map<string, CfApiError>): Map<string, CfApiError> {
  const out = new Map<string, CfApiError>();
  for (const [key, err] of failed) {
    out.set(key, new CfApiError(`${err.message} (${filter}=${key})`, { ...err, cause: err }));
  }
  return out;
}

/** The Cloud Controller v3 client: one connection pool, one token, shared rate limit. */
export class CloudControllerClient implements CloudControllerApi {
  /** Requests sent per resource and token requests; for tests and diagnostics. */
  readonly counters: CfRequestCounters = emptyCounters();
  private readonly base: string;
  private readonly origin: string;
  private readonly dispatcher: Dispatcher;
  private readonly requester: CcRequester;
  private readonly logger: Logger;
  /** Resources whose PER_PAGE pages timed out once; read with SMALL_PER_PAGE since. */
  private readonly smallPages = new Set<CfResource>();
  private rootDoc?: Promise<RootDocument>;
  private loginUrl?: Promise<string>;
  private versionChecked = false;
  private closed = false;

  constructor(opts: CloudControllerClientOptions) {
    const { config, logger } = opts;
    this.logger = logger;
    let url: URL;
    try {
      url = new URL(config.apiUrl);
    } catch {
      throw new Error(`cf.api_host "${config.api_host}" does not give a valid API URL ("${config.apiUrl}")`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new Error(
        `cf.api_host "${config.api_host}" must lead to an http or https URL, not ${url.protocol}`,
      );
    }
    this.origin = url.origin;
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
    this.dispatcher = opts.dispatcher ?? createDispatcher(config, opts.ca);
    const time = opts.time ?? realTime;
    // One registry per client: the token provider adds what it obtains, every excerpt of an answer reads it.
    const secrets = new KnownSecrets();
    const tokens = new UaaTokenProvider({
      config,
      dispatcher: this.dispatcher,
      logger,
      secrets,
      time,
      timeoutMs: opts.uaaTimeoutMs,
      resolveLoginUrl: () => this.resolveLoginUrl(),
      onRequest: () => {
        this.counters.tokenRequests++;
      },
    });
    this.requester = new CcRequester({
      config,
      dispatcher: this.dispatcher,
      logger,
      metrics: opts.metrics,
      tokens,
      limiter: new RateLimiter(config.request.rateLimit, time),
      time,
      counters: this.counters,
      maxRateLimitWaitMs: opts.maxRateLimitWaitMs ?? DEFAULT_MAX_RATE_LIMIT_WAIT_MS,
      random: opts.random ?? Math.random,
      isClosed: () => this.closed,
      secrets,
    });
  }

  listOrganizations(filter: { names?: string[] } = {}): Promise<CfOrganization[]> {
    return this.list("org", "/v3/organizations", { names: filter.names }, {}, toOrganization);
  }

  listSpaces(filter: { organizationGuids?: string[]; names?: string[] } = {}): Promise<CfSpace[]> {
    const filters = { organization_guids: filter.organizationGuids, names: filter.names };
    return this.list("space", "/v3/spaces", filters, {}, toSpace);
  }

  listApps(filter: {
    spaceGuids?: string[];
    organizationGuids?: string[];
    names?: string[];
  }): Promise<CfApp[]> {
    const filters = {
      space_guids: filter.spaceGuids,
      organization_guids: filter.organizationGuids,
      names: filter.names,
    };
    return this.list("appInSpace", "/v3/apps", filters, {}, toApp);
  }

  listWebProcesses(filter: { appGuids?: string[]; spaceGuids?: string[] }): Promise<CfProcess[]> {
    const filters = { app_guids: filter.appGuids, space_guids: filter.spaceGuids };
    return this.list("process", "/v3/processes", filters, { types: "web" }, toProcess);
  }

  listRoutes(filter: { appGuids?: string[]; spaceGuids?: string[] }): Promise<CfRoute[]> {
    const filters = { app_guids: filter.appGuids, space_guids: filter.spaceGuids };
    return this.list("route", "/v3/routes", filters, {}, toRoute);
  }

  listDomains(): Promise<CfDomain[]> {
    return this.list("domain", "/v3/domains", {}, {}, toDomain);
  }

  /** With `include=service_instance`: each binding says whether its instance is user-provided or managed. */
  listAppBindings(filter: { serviceInstanceNames: string[] }): Promise<CfServiceBinding[]> {
    const filters = { service_instance_names: filter.serviceInstanceNames };
    return this.list(
      "serviceBinding",
      "/v3/service_credential_bindings",
      filters,
      { type: "app", include: "service_instance" },
      toServiceBinding,
      "service_instances",
    );
  }

  /**
   * One request (one retry for transient failures). The body holds secrets: it is parsed here and never
   * logged; a body of the wrong shape fails with a message that names the shape only.
   */
  async getBindingDetails(bindingGuid: string): Promise<CfServiceBindingDetails> {
    this.assertOpen();
    await this.checkApiVersion();
    const path = `/v3/service_credential_bindings/${encodeURIComponent(bindingGuid)}/details`;
    const body = await this.requester.getJson("bindingDetails", `${this.base}${path}`, {
      auth: true,
      retries: 1,
    });
    try {
      return toServiceBindingDetails(body, "the body");
    } catch (err) {
      if (!(err instanceof ShapeError)) throw err;
      throw new CfApiError(`GET ${path} answered with an unexpected document: ${err.message}`, {
        kind: "malformed",
        resource: "bindingDetails",
        path,
      });
    }
  }

  /** A single unauthenticated attempt: it is the watchdog's probe, which counts each failure itself. */
  async getInfo(): Promise<{ version?: number | string; [key: string]: unknown }> {
    this.assertOpen();
    const path = "/v3/info";
    const body = await this.requester.getJson("info", `${this.base}${path}`, { auth: false, retries: 0 });
    if (!body || typeof body !== "object" || Array.isArray(body)) {
      throw new CfApiError(`GET ${path} answered with JSON that is not an object`, {
        kind: "malformed",
        resource: "info",
        path,
      });
    }
    return body as { version?: number | string };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // destroy, not close: close() waits for requests in flight, which may hang up to cf.request.timeout.*.
    await this.dispatcher.destroy();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the Cloud Controller client is closed");
  }

  /**
   * One list call: chunks of the longest filter fetched CHUNK_CONCURRENCY at a time, each chunk bounded
   * in pages and isolating key-specific failures (see isolate.ts). Throws PartialListError when some
   * filter values failed and others were read, and the failure itself when nothing could be read.
   * `includedKey`: the `included` block (asked for in `fixed`) whose items `map` gets with each page.
   */
  private async list<T extends { guid: string }>(
    resource: Exclude<CfResource, "info">,
    path: string,
    filters: ListFilters,
    fixed: Record<string, string>,
    map: (value: unknown, where: string, included: Included) => T,
    includedKey?: string,
  ): Promise<T[]> {
    this.assertOpen();
    await this.checkApiVersion();
    const plan = planList(filters, fixed);
    if (!plan) return [];
    const read = (values: readonly string[], perPage: number, retries: number, retryTimeouts: boolean) =>
      fetchAllPages(
        { requester: this.requester, origin: this.origin, retries, retryTimeouts, includedKey },
        resource,
        `${this.base}${path}?${plan.query(values, perPage)}`,
        map,
      );
    // A part read while isolating a fault gets no retry of its own: the batch had one.
    const fetch = async (values: readonly string[], isolating: boolean): Promise<T[]> => {
      const retries = isolating ? 0 : 1;
      if (this.smallPages.has(resource)) return read(values, SMALL_PER_PAGE, retries, true);
      try {
        return await read(values, PER_PAGE, retries, false);
      } catch (err) {
        if (!(err instanceof CfApiError && err.kind === "timeout")) throw err;
        // Big pages are too slow for the per-attempt timeout on this CC: smaller ones from now on. The
        // smaller read is the timeout's retry, so it gets none itself.
        this.smallPages.add(resource);
        this.logger.info(
          { resource, perPage: SMALL_PER_PAGE },
          `a page of ${PER_PAGE} timed out; reading ${resource} lists with pages of ${SMALL_PER_PAGE}`,
        );
        return read(values, SMALL_PER_PAGE, 0, true);
      }
    };
    const budget = { failures: MAX_ISOLATION_FAILURES };
    const parts = await mapConcurrent(plan.chunks, CHUNK_CONCURRENCY, (chunk) =>
      plan.splitKey === undefined
        ? fetch(chunk, false).then((items) => ({ items, failed: new Map<string, CfApiError>() }))
        : readIsolating(chunk, fetch, budget),
    );
    // A route shared by apps in two chunks comes back twice; keep its first appearance.
    const seen = new Set<string>();
    const out: T[] = [];
    const failed = new Map<string, CfApiError>();
    for (const part of parts) {
      for (const [key, err] of part.failed) failed.set(key, err);
      for (const item of part.items) {
        if (seen.has(item.guid)) continue;
        seen.add(item.guid);
        out.push(item);
      }
    }
    if (failed.size === 0) {
      this.requester.failures.success(resource);
      return out;
    }
    const requested = plan.chunks.reduce((n, chunk) => n + chunk.length, 0);
    if (failed.size === requested) throw failed.values().next().value as CfApiError;
    throw new PartialListError(out, plan.splitKey ?? "", namedFailures(plan.splitKey ?? "", failed));
  }

  /** The root document, fetched once; a failed fetch is retried by the next caller. */
  private root(): Promise<RootDocument> {
    if (!this.rootDoc) {
      const loading = readRootDocument(this.requester, this.base);
      this.rootDoc = loading;
      loading.catch(() => {
        if (this.rootDoc === loading) this.rootDoc = undefined;
      });
    }
    return this.rootDoc;
  }

  /**
   * routes?app_guids= needs CC API 3.84.0; refuse older CCs with a clear message instead of odd 400s.
   * Runs before the first list call; callable at start-up. Resolves to the version when CC states one.
   */
  async checkApiVersion(): Promise<string | undefined> {
    this.assertOpen();
    const root = await this.root();
    if (this.versionChecked) return root.v3Version;
    if (!root.readable) {
      this.logger.warn(
        { api: this.base },
        "GET / gave no usable document; the CC API version was not checked",
      );
    } else if (!root.hasV3) {
      throw new CfApiError(
        `the Cloud Controller at ${this.base} does not offer the v3 API (GET / has no links.cloud_controller_v3)`,
        { kind: "version", resource: "info", path: "/" },
      );
    } else if (!root.v3Version) {
      this.logger.warn({ api: this.base }, "GET / does not state the CC v3 API version; not checked");
    } else {
      const cmp = compareVersions(root.v3Version, MIN_API_VERSION);
      if (cmp === undefined) {
        this.logger.warn({ version: root.v3Version }, "CC v3 API version is not in x.y.z form; not checked");
      } else if (cmp < 0) {
        throw new CfApiError(
          `the Cloud Controller at ${this.base} offers v3 API ${root.v3Version}, but at least ${MIN_API_VERSION} is needed (routes by app_guids)`,
          { kind: "version", resource: "info", path: "/" },
        );
      }
    }
    this.versionChecked = true;
    return root.v3Version;
  }

  /** Login URL from GET / (links.login, links.uaa); CCs without it still name it in GET /v2/info. */
  private resolveLoginUrl(): Promise<string> {
    if (!this.loginUrl) {
      const loading = (async () => {
        const root = await this.root();
        if (root.loginUrl) return root.loginUrl;
        const v2 = await this.requester
          .getJson("info", `${this.base}/v2/info`, { auth: false, retries: 1 })
          .catch((err: unknown) => {
            throw new UaaError(
              `cannot find the UAA login URL: GET / names none and GET /v2/info failed (${errorMessage(err)})`,
              { cause: err },
            );
          });
        const endpoint = (v2 as { authorization_endpoint?: unknown } | null)?.authorization_endpoint;
        if (typeof endpoint === "string" && endpoint !== "") return endpoint;
        throw new UaaError(
          "cannot find the UAA login URL: neither GET / (links.login, links.uaa) nor GET /v2/info (authorization_endpoint) names it",
        );
      })();
      this.loginUrl = loading;
      loading.catch(() => {
        if (this.loginUrl === loading) this.loginUrl = undefined;
      });
    }
    return this.loginUrl;
  }
}
