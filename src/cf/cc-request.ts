import type { Dispatcher } from "undici";
import type { CfConfig } from "../config/types.js";
import type { Logger } from "../log.js";
import { excerpt, redactSecrets } from "../redact.js";
import { CfApiError, type CfFailureKind, parseCfErrorBody } from "./errors.js";
import { FailureLog } from "./failure-log.js";
import {
  describeNetworkError,
  type HttpResponse,
  headerValue,
  RequestTimeoutError,
  sendOnce,
} from "./http.js";
import type { RateLimiter, TimeSource } from "./rate-limiter.js";
import type { CfRequestObserver, CfResource } from "./types.js";
import type { UaaTokenProvider } from "./uaa-token.js";

/** Requests actually sent, per resource; for tests and diagnostics. */
export interface CfRequestCounters {
  requests: Record<CfResource, number>;
  /** Token requests sent to UAA (all grants). */
  tokenRequests: number;
}

export function emptyCounters(): CfRequestCounters {
  return {
    requests: { info: 0, org: 0, space: 0, appInSpace: 0, process: 0, route: 0, domain: 0 },
    tokenRequests: 0,
  };
}

/** Never wait longer than this for a 429 to clear; CC windows can be an hour long. */
export const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 20_000;
/** How often a 429 is waited out before giving up. */
const RATE_LIMIT_RETRIES = 2;

export interface CcRequesterDeps {
  config: CfConfig;
  dispatcher: Dispatcher;
  logger: Logger;
  metrics?: CfRequestObserver;
  tokens?: UaaTokenProvider;
  limiter: RateLimiter;
  time: TimeSource;
  counters: CfRequestCounters;
  maxRateLimitWaitMs: number;
  /** 0..1, for backoff jitter; injectable for tests. */
  random: () => number;
}

export interface GetOptions {
  /** Send the bearer token (false for the unauthenticated discovery documents). */
  auth: boolean;
  /** Retries for network errors, timeouts and 5xx. */
  retries: number;
  /**
   * Whether a 2xx ends the resource's failures (default true). False for pages of a list: a later page may
   * still fail, so the list call reports the recovery once all of it was read.
   */
  recovers?: boolean;
}

/** Per-attempt budget: the resource's timeout key, or the watchdog timeout for info documents. */
function timeoutFor(config: CfConfig, resource: CfResource): number {
  return resource === "info" ? config.watchdog.timeout : config.request.timeout[resource];
}

/**
 * GET one CC document as parsed JSON: rate limit, per-attempt timeout, one retry with jittered
 * backoff for transient failures, token renewal on 401 and waiting out 429s.
 */
export class CcRequester {
  readonly failures: FailureLog;

  constructor(private readonly deps: CcRequesterDeps) {
    this.failures = new FailureLog(deps.logger);
  }

  async getJson(resource: CfResource, url: string, opts: GetOptions): Promise<unknown> {
    const { config, metrics, time } = this.deps;
    const path = pathOf(url);
    let transientRetries = opts.retries;
    let rateLimitRetries = RATE_LIMIT_RETRIES;
    let renewedToken = false;
    for (let attempt = 1; ; attempt++) {
      const waited = await this.deps.limiter.acquire();
      if (waited > 0) metrics?.observeRateLimitWait(resource, waited / 1000);
      const authorization = opts.auth ? await this.authorization(resource, path) : undefined;
      const headers: Record<string, string> = { accept: "application/json" };
      if (authorization) headers.authorization = authorization;

      this.deps.counters.requests[resource]++;
      const started = performance.now();
      let res: HttpResponse;
      try {
        res = await sendOnce(this.deps.dispatcher, {
          method: "GET",
          url,
          headers,
          timeoutMs: timeoutFor(config, resource),
        });
      } catch (err) {
        const seconds = (performance.now() - started) / 1000;
        const timedOut = err instanceof RequestTimeoutError;
        const via = config.proxy ? ` (through proxy ${config.proxy.host}:${config.proxy.port})` : "";
        const reason = timedOut ? (err as Error).message : `${describeNetworkError(err)}${via}`;
        if (transientRetries-- > 0) {
          metrics?.observeCfRequest(resource, seconds, "retry");
          this.deps.logger.debug({ resource, path, reason }, "CC request failed, retrying");
          await time.sleep(this.backoffMs());
          continue;
        }
        metrics?.observeCfRequest(resource, seconds, "error");
        const kind: CfFailureKind = timedOut ? "timeout" : "network";
        throw this.fail(`GET ${path} ${timedOut ? "timed out" : "failed"}: ${reason}`, attempt, {
          kind,
          resource,
          path,
          cause: err,
        });
      }
      const seconds = (performance.now() - started) / 1000;

      if (res.status >= 200 && res.status <= 299) {
        try {
          const body = JSON.parse(res.text) as unknown;
          metrics?.observeCfRequest(resource, seconds, "ok");
          if (opts.recovers !== false) this.failures.success(resource);
          return body;
        } catch (err) {
          metrics?.observeCfRequest(resource, seconds, "error");
          throw this.fail(`GET ${path} answered ${res.status} with a body that is not JSON`, attempt, {
            kind: "malformed",
            resource,
            path,
            status: res.status,
            cause: err,
          });
        }
      }

      if (res.status === 401 && authorization && !renewedToken) {
        renewedToken = true;
        metrics?.observeCfRequest(resource, seconds, "retry");
        this.deps.tokens?.invalidate(authorization);
        continue;
      }

      if (res.status === 429) {
        metrics?.observeCfRequest(resource, seconds, "rate_limited");
        if (rateLimitRetries-- > 0) {
          const waitMs = this.rateLimitWaitMs(res);
          this.deps.logger.debug({ resource, path, waitMs }, "CC rate limit hit, waiting");
          metrics?.observeRateLimitWait(resource, waitMs / 1000);
          await time.sleep(waitMs);
          continue;
        }
      } else if (res.status >= 500 && transientRetries-- > 0) {
        metrics?.observeCfRequest(resource, seconds, "retry");
        this.deps.logger.debug(
          { resource, path, status: res.status },
          "CC answered a server error, retrying",
        );
        await time.sleep(this.backoffMs());
        continue;
      } else {
        metrics?.observeCfRequest(resource, seconds, "error");
      }
      throw this.httpError(res, resource, path, attempt);
    }
  }

  private async authorization(resource: CfResource, path: string): Promise<string | undefined> {
    if (!this.deps.tokens) return undefined;
    try {
      return await this.deps.tokens.getAuthorization();
    } catch (err) {
      this.failures.failure("login", { resource, path, kind: "login" }, (err as Error).message);
      throw err;
    }
  }

  private backoffMs(): number {
    const base = this.deps.config.request.backoff;
    return Math.round(base + this.deps.random() * 0.5 * base);
  }

  /** Retry-After (delta seconds or HTTP date), else X-RateLimit-Reset (epoch seconds), else the backoff. */
  private rateLimitWaitMs(res: HttpResponse): number {
    const now = this.deps.time.now();
    let waitMs = this.deps.config.request.backoff;
    const retryAfter = headerValue(res.headers, "retry-after")?.trim();
    const reset = Number(headerValue(res.headers, "x-ratelimit-reset"));
    if (retryAfter && /^\d+(\.\d+)?$/.test(retryAfter)) waitMs = Number(retryAfter) * 1000;
    else if (retryAfter && !Number.isNaN(Date.parse(retryAfter))) waitMs = Date.parse(retryAfter) - now;
    else if (Number.isFinite(reset) && reset > 0) waitMs = reset * 1000 - now;
    return Math.min(Math.max(0, waitMs), this.deps.maxRateLimitWaitMs);
  }

  private httpError(res: HttpResponse, resource: CfResource, path: string, attempts: number): CfApiError {
    const parsed = parseCfErrorBody(res.text);
    // The body is foreign text: an error page may echo the request, token included.
    const cf = {
      ...parsed,
      title: parsed.title && redactSecrets(parsed.title),
      detail: parsed.detail && redactSecrets(parsed.detail),
    };
    let what: string;
    if (cf.title || cf.detail) {
      what = [cf.title, cf.code !== undefined ? `(${cf.code})` : undefined].filter(Boolean).join(" ");
      what = `${what}${cf.detail ? `: ${cf.detail}` : ""}`;
    } else {
      // Load balancers and routers answer in plain text or HTML; a short excerpt helps more than nothing.
      const shown = excerpt(res.text, 300);
      what = shown ? `non-JSON body "${shown}"` : "empty body";
    }
    return this.fail(`GET ${path} failed with status ${res.status}: ${what}`, attempts, {
      kind: "http",
      resource,
      path,
      status: res.status,
      ...cf,
    });
  }

  /** Builds the error and logs it (warn for the first of its class). */
  private fail(
    message: string,
    attempts: number,
    init: ConstructorParameters<typeof CfApiError>[1],
  ): CfApiError {
    const err = new CfApiError(message, init);
    const key = [init.resource, init.kind, init.status].filter((p) => p !== undefined).join(":");
    this.failures.failure(
      key,
      { resource: init.resource, path: init.path, kind: init.kind, status: init.status, attempts },
      message,
    );
    return err;
  }
}

/** The path of a URL, for messages (query strings can hold thousands of guids). */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split("?")[0] ?? url;
  }
}
