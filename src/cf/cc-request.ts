import type { Dispatcher } from "undici";
import type { CfConfig } from "../config/index.js";
import { errorMessage } from "../errors.js";
import { nextTurn } from "../event-loop-turn.js";
import type { Logger } from "../log.js";
import { type KnownSecrets, redactSecrets } from "../redact.js";
import { CcFailures } from "./cc-failures.js";
import { type CfApiError, parseCfErrorBody, UndecodableBodyError } from "./errors.js";
import { FailureLog } from "./failure-log.js";
import { BodyTooLargeError, type HttpResponse, headerValue, RequestTimeoutError, sendOnce } from "./http.js";
import { type ListPage, readListPage } from "./list-page.js";
import type { RateLimiter, RateLimitKey, TimeSource } from "./rate-limiter.js";
import {
  type AttemptOutcome,
  attemptLabel,
  initialBudget,
  nextStep,
  type RetryBudget,
  rateLimitWaitMs,
} from "./retry-policy.js";
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
    requests: {
      info: 0,
      org: 0,
      space: 0,
      appInSpace: 0,
      process: 0,
      route: 0,
      domain: 0,
      serviceBinding: 0,
      bindingDetails: 0,
    },
    tokenRequests: 0,
  };
}

/** Never wait longer than this for a 429 to clear; CC windows can be an hour long. */
export const DEFAULT_MAX_RATE_LIMIT_WAIT_MS = 20_000;

/**
 * A 429 holds later requests at most this long (CC's default window, `reset_interval_in_minutes: 60`), so that
 * a wild Retry-After (a proxy's, or a clock far off) cannot stop discovery for a day.
 */
export const MAX_RATE_LIMIT_HOLD_MS = 3_600_000;

/** Paths CC's rate limiter never counts (cf-api.md §6.1): a hold does not keep them back. */
const RATE_LIMIT_EXEMPT: ReadonlySet<string> = new Set(["/", "/v3", "/v2/info"]);

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
  /** True once the client is closed: no new request goes out, also not a retry after a back-off. */
  isClosed?: () => boolean;
  /** The secrets the client holds, redacted from every excerpt of an answer (registered by `tokens`). */
  secrets: KnownSecrets;
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
  /** Whether a timeout is retried like other transient failures (default true). */
  retryTimeouts?: boolean;
}

/** Per-attempt budget: the resource's timeout key, or the watchdog timeout for info documents. */
function timeoutFor(config: CfConfig, resource: CfResource): number {
  if (resource === "info") return config.watchdog.timeout;
  // One key for the binding list and the details of a binding.
  if (resource === "bindingDetails") return config.request.timeout.serviceBinding;
  return config.request.timeout[resource];
}

/** One attempt's result: the outcome the policy decides on, plus what is needed to act on it. */
type Attempt<T> =
  | { outcome: AttemptOutcome & { kind: "ok" }; body: T }
  | { outcome: AttemptOutcome; res?: HttpResponse; err?: unknown };

/** Reads a 2xx body; throws (SyntaxError) for a body that is not JSON. */
type BodyReader<T> = (body: Buffer) => T;

function parseJson(body: Buffer): unknown {
  return JSON.parse(body.toString("utf8"));
}

/**
 * GET one CC document as parsed JSON, or one list page read one resource at a time (list-page.ts): rate limit,
 * per-attempt timeout and body cap, and the retry policy of retry-policy.ts (transient retries with jittered
 * backoff, token renewal on 401, waiting out 429s).
 */
export class CcRequester {
  readonly failures: FailureLog;
  private readonly errors: CcFailures;

  constructor(private readonly deps: CcRequesterDeps) {
    this.failures = new FailureLog(deps.logger);
    this.errors = new CcFailures(this.failures, deps.config.proxy, deps.secrets);
  }

  getJson(resource: CfResource, url: string, opts: GetOptions): Promise<unknown> {
    return this.get(resource, url, opts, parseJson);
  }

  /** GET one page of a CC list, its resources parsed one at a time (list-page.ts). */
  getListPage(resource: CfResource, url: string, opts: GetOptions): Promise<ListPage> {
    return this.get(resource, url, opts, readListPage);
  }

  /**
   * The error of a page whose resource turned out not to be JSON when it was read: the same as for a body that
   * is not JSON at all (CcFailures.gaveUp). A CC list answers 200 (CC v3 docs, every list endpoint).
   */
  notJson(resource: CfResource, url: string, err: unknown): CfApiError {
    return this.errors.notJson(resource, pathOf(url), 200, 1, err);
  }

  private async get<T>(resource: CfResource, url: string, opts: GetOptions, read: BodyReader<T>): Promise<T> {
    const { metrics, time } = this.deps;
    const path = pathOf(url);
    let budget = initialBudget(opts.retries, opts.auth, this.backoffMs(), opts.retryTimeouts);
    const quota: RateLimitKey = opts.auth ? "user" : "anonymous";
    for (let attempt = 1; ; attempt++) {
      this.assertOpen(path);
      // Also before the retry of this request's own 429: after a wait capped below what the CC asked, the rest
      // is waited out within the cap, or the request fails unsent, rather than sending a retry the CC refuses.
      if (!RATE_LIMIT_EXEMPT.has(path))
        budget = await this.honourRateLimitHold(resource, path, quota, budget);
      const waited = await this.deps.limiter.acquire();
      if (waited > 0) metrics?.observeRateLimitWait(resource, waited / 1000);
      const authorization = opts.auth ? await this.authorization(resource, path) : undefined;
      this.assertOpen(path);
      const started = performance.now();
      const result = await this.attempt(resource, url, authorization, quota, read);
      const step = nextStep(result.outcome, budget);
      const seconds = (performance.now() - started) / 1000;
      // Exactly one observation per attempt, labelled by what the policy made of it.
      metrics?.observeCfRequest(resource, seconds, attemptLabel(result.outcome, step));
      // What a Java user gets from logging.level.org.cloudfoundry.promregator.cfaccessor: DEBUG.
      this.deps.logger.debug(
        { resource, path, attempt, outcome: describeOutcome(result.outcome), ms: Math.round(seconds * 1000) },
        "CC request",
      );
      switch (step.action) {
        case "ok":
          if (opts.recovers !== false) this.failures.success(resource);
          return (result as { body: T }).body;
        case "renewToken":
          if (authorization) this.deps.tokens?.invalidate(authorization);
          budget = step.budget;
          continue;
        case "retry":
          this.deps.logger.debug(
            { resource, path, outcome: result.outcome.kind, waitMs: step.waitMs },
            step.why === "rateLimited" ? "CC rate limit hit, waiting" : "CC request failed, retrying",
          );
          if (step.why === "rateLimited") metrics?.observeRateLimitWait(resource, step.waitMs / 1000);
          await time.sleep(step.waitMs);
          budget = { ...step.budget, backoffMs: this.backoffMs() };
          continue;
        case "fail":
          throw this.errors.gaveUp(result, resource, path, attempt, !step.retriedByCaller);
      }
    }
  }

  /**
   * A 429 (Retry-After, else X-RateLimit-Reset) holds every request on the same quota until the time it
   * named, also after the request that got it gave up: a later request or refresh cycle waits the rest
   * when it is within maxRateLimitWaitMs (and the request may still wait out a 429), else fails at once
   * with the 429, without sending. The retry of a request's own 429 is held the same way.
   */
  private async honourRateLimitHold(
    resource: CfResource,
    path: string,
    quota: RateLimitKey,
    budget: RetryBudget,
  ): Promise<RetryBudget> {
    const { limiter, time } = this.deps;
    for (let hold = limiter.heldBy(quota); hold; hold = limiter.heldBy(quota)) {
      const waitMs = hold.until - time.now();
      if (waitMs > this.deps.maxRateLimitWaitMs || budget.rateLimited <= 0) {
        const said = [hold.title, hold.code !== undefined ? `(${hold.code})` : undefined]
          .filter(Boolean)
          .join(" ");
        const what = `${said}${hold.detail ? `: ${hold.detail}` : ""}`;
        throw this.errors.fail(
          `GET ${path} not sent: the Cloud Controller answered ${hold.status} to GET ${hold.path}${what ? ` (${what})` : ""} and asked to wait until ${new Date(hold.until).toISOString()}`,
          0,
          {
            kind: "http",
            resource,
            path,
            status: hold.status,
            code: hold.code,
            title: hold.title,
            detail: hold.detail,
          },
        );
      }
      this.deps.logger.debug(
        { resource, path, waitMs, until: new Date(hold.until).toISOString() },
        "CC rate limit still in force, waiting",
      );
      this.deps.metrics?.observeRateLimitWait(resource, waitMs / 1000);
      await time.sleep(waitMs);
      budget = { ...budget, rateLimited: budget.rateLimited - 1 };
      this.assertOpen(path);
    }
    return budget;
  }

  /** Shutdown began: a shared control plane gets no request from a process that is stopping. */
  private assertOpen(path: string): void {
    if (this.deps.isClosed?.())
      throw new Error(`GET ${path} not sent: the Cloud Controller client is closed`);
  }

  /** Sends once and classifies the answer; never throws for network trouble. */
  private async attempt<T>(
    resource: CfResource,
    url: string,
    authorization: string | undefined,
    quota: RateLimitKey,
    read: BodyReader<T>,
  ): Promise<Attempt<T>> {
    const { config } = this.deps;
    const headers: Record<string, string> = { accept: "application/json" };
    if (authorization) headers.authorization = authorization;
    this.deps.counters.requests[resource]++;
    let res: HttpResponse;
    try {
      res = await sendOnce(this.deps.dispatcher, {
        method: "GET",
        url,
        headers,
        timeoutMs: timeoutFor(config, resource),
        maxBodyBytes: config.request.maxBodySize,
      });
    } catch (err) {
      if (err instanceof RequestTimeoutError) return { outcome: { kind: "timeout" }, err };
      if (err instanceof BodyTooLargeError) return { outcome: { kind: "size" }, err };
      return { outcome: { kind: "network" }, err };
    }
    if (res.status < 200 || res.status > 299) {
      const now = this.deps.time.now();
      const askedMs = rateLimitWaitMs(
        headerValue(res.headers, "retry-after"),
        headerValue(res.headers, "x-ratelimit-reset"),
        now,
        config.request.backoff,
        MAX_RATE_LIMIT_HOLD_MS,
      );
      // What the CC asked for holds beyond this request (and its capped waits): see honourRateLimitHold.
      if (res.status === 429) {
        const { code, title, detail } = parseCfErrorBody(res.text);
        this.deps.limiter.hold(quota, {
          until: now + askedMs,
          status: res.status,
          path: pathOf(url),
          code,
          title: title && redactSecrets(title, this.deps.secrets),
          detail: detail && redactSecrets(detail, this.deps.secrets),
        });
      }
      const waitMs = Math.min(askedMs, this.deps.maxRateLimitWaitMs);
      return {
        outcome: { kind: "status", status: res.status, authSent: !!authorization, rateLimitWaitMs: waitMs },
        res,
      };
    }
    // A body whose Content-Encoding could not be undone is no better the next time: not retried.
    if (res.undecodable !== undefined) {
      return { outcome: { kind: "malformed" }, res, err: new UndecodableBodyError(res.undecodable) };
    }
    // A page of 1,000 apps is about 2 MB: reading it and cutting it are two pieces of work of several
    // milliseconds each, run in separate turns of the event loop so that scrapes get one in between.
    await nextTurn();
    try {
      return { outcome: { kind: "ok" }, body: read(res.body) };
    } catch (err) {
      return { outcome: { kind: "malformed" }, res, err };
    }
  }

  private async authorization(resource: CfResource, path: string): Promise<string | undefined> {
    if (!this.deps.tokens) return undefined;
    try {
      return await this.deps.tokens.getAuthorization();
    } catch (err) {
      this.failures.failure("login", { resource, path, kind: "login" }, errorMessage(err));
      throw err;
    }
  }

  private backoffMs(): number {
    const base = this.deps.config.request.backoff;
    return Math.round(base + this.deps.random() * 0.5 * base);
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

/** `200`, `503`, `timeout`, `network`...: an attempt's outcome in one word, for the debug log. */
function describeOutcome(outcome: AttemptOutcome): string {
  if (outcome.kind === "ok") return "200";
  return outcome.kind === "status" ? String(outcome.status) : outcome.kind;
}
