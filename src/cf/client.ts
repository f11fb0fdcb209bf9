import type { Dispatcher } from "undici";
import type { CfConfig } from "../config/types.js";
import type { Logger } from "../log.js";
import { toApp, toDomain, toOrganization, toProcess, toRoute, toSpace } from "./cc-mappers.js";
import {
  CcRequester,
  type CfRequestCounters,
  DEFAULT_MAX_RATE_LIMIT_WAIT_MS,
  emptyCounters,
} from "./cc-request.js";
import { CfApiError, UaaError } from "./errors.js";
import { createDispatcher } from "./http.js";
import { buildQueries, CHUNK_CONCURRENCY, fetchAllPages, type ListFilters, mapConcurrent } from "./paging.js";
import { RateLimiter, realTime, type TimeSource } from "./rate-limiter.js";
import type {
  CfApp,
  CfDomain,
  CfOrganization,
  CfProcess,
  CfRequestObserver,
  CfResource,
  CfRoute,
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

/** The Cloud Controller v3 client: one connection pool, one token, shared rate limit. */
export class CloudControllerClient implements CloudControllerApi {
  /** Requests sent per resource and token requests; for tests and diagnostics. */
  readonly counters: CfRequestCounters = emptyCounters();
  private readonly base: string;
  private readonly origin: string;
  private readonly dispatcher: Dispatcher;
  private readonly requester: CcRequester;
  private readonly logger: Logger;
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
    const tokens = new UaaTokenProvider({
      config,
      dispatcher: this.dispatcher,
      logger,
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
    await this.dispatcher.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the Cloud Controller client is closed");
  }

  private async list<T extends { guid: string }>(
    resource: CfResource,
    path: string,
    filters: ListFilters,
    fixed: Record<string, string>,
    map: (value: unknown, where: string) => T,
  ): Promise<T[]> {
    this.assertOpen();
    await this.checkApiVersion();
    const queries = buildQueries(filters, fixed);
    const ctx = { requester: this.requester, origin: this.origin };
    const chunks = await mapConcurrent(queries, CHUNK_CONCURRENCY, (query) =>
      fetchAllPages(ctx, resource, `${this.base}${path}?${query}`, map),
    );
    this.requester.failures.success(resource);
    // A route shared by apps in two chunks comes back twice; keep its first appearance.
    const seen = new Set<string>();
    const out: T[] = [];
    for (const chunk of chunks) {
      for (const item of chunk) {
        if (seen.has(item.guid)) continue;
        seen.add(item.guid);
        out.push(item);
      }
    }
    return out;
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
              `cannot find the UAA login URL: GET / names none and GET /v2/info failed (${(err as Error).message})`,
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
