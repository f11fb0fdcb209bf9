import type { Dispatcher } from "undici";
import type { CfConfig } from "../config/index.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import {
  applyClientAuth,
  basicClientAuthorization,
  ClientAuthChoice,
  type ClientAuthMethod,
  isInvalidClient,
} from "../oauth2/index.js";
import { excerpt, KnownSecrets, redactSecrets } from "../redact.js";
import { UaaError } from "./errors.js";
import { describeNetworkError, type HttpResponse, RequestTimeoutError, sendOnce } from "./http.js";
import {
  afterAcceptance,
  afterRefusal,
  DEFAULT_LOGIN_BACKOFF,
  isCredentialRejection,
  type LoginBackoffPolicy,
  type LoginBackoffState,
  NO_REFUSALS,
  nextLoginAt,
  withinCap,
} from "./login-backoff.js";
import { realTime, type TimeSource } from "./rate-limiter.js";

/** UAA has no timeout key in promregator.yml; the Java client gave up on a token after about 5 s. */
export const DEFAULT_UAA_TIMEOUT_MS = 5000;

/** Renew this long before expiry (capped at a tenth of the lifetime for short-lived test tokens). */
const RENEW_MARGIN_MS = 30_000;

/** The cf CLI's public client: id "cf", empty secret. */
const CF_CLIENT_BASIC = `Basic ${Buffer.from("cf:").toString("base64")}`;

type Grant =
  | { kind: "password"; username: string; password: string }
  | { kind: "client_credentials"; clientId: string; clientSecret: string };

interface HeldToken {
  authorization: string;
  accessToken: string;
  refreshToken?: string;
  /** epoch ms after which the token is renewed before use */
  renewAt: number;
}

export interface UaaTokenProviderDeps {
  config: CfConfig;
  dispatcher: Dispatcher;
  logger: Logger;
  /** Base URL of the login server; the token endpoint is `<url>/oauth/token`. */
  resolveLoginUrl: () => Promise<string>;
  time?: TimeSource;
  timeoutMs?: number;
  /** Called for every token request sent (for counters). */
  onRequest?: (grantType: string) => void;
  /** When to log in again after UAA refused a login; tests shorten it. */
  loginBackoff?: LoginBackoffPolicy;
  /**
   * Where the credentials and every token obtained are registered, so that excerpts of answers (also the
   * Cloud Controller's, which share the registry) never show them.
   */
  secrets?: KnownSecrets;
}

/** How the client authenticates a token request: the cf CLI's public client, or a configured client's method. */
type ClientAuth = "cf-public" | ClientAuthMethod;

/** Picks the login grant from the configuration; client credentials win when both are set. */
export function grantFromConfig(config: CfConfig): Grant {
  if (config.client_id && config.client_secret !== undefined && config.client_secret !== "") {
    return { kind: "client_credentials", clientId: config.client_id, clientSecret: config.client_secret };
  }
  if (config.username && config.password !== undefined) {
    return { kind: "password", username: config.username, password: config.password };
  }
  throw new UaaError(
    "no Cloud Foundry credentials configured: set cf.username and cf.password, or cf.client_id and cf.client_secret",
  );
}

/**
 * The secrets a grant sends, as they travel: the password (form-encoded in the body), or the client secret
 * (form-encoded in the body, or inside HTTP Basic's base64, RFC 6749 §2.3.1; also the base64 of the pair not
 * form-encoded, which other clients send). The per-character encodings are KnownSecrets' business.
 */
function grantSecrets(grant: Grant): string[] {
  if (grant.kind === "password") return [grant.password];
  const { clientId, clientSecret } = grant;
  return [
    clientSecret,
    basicClientAuthorization(clientId, clientSecret).slice("Basic ".length),
    Buffer.from(`${clientId}:${clientSecret}`, "utf8").toString("base64"),
  ];
}

/**
 * Holds one access token for all CC requests. Only one token request is in flight at a time;
 * concurrent callers share its result. Every login (password or client_credentials grant) passes one
 * backoff: after UAA refused one, the next is sent only when login-backoff.ts allows, whatever asks for a
 * token in between (discovery refreshes, a CC 401, cache invalidation); until then the refusal is repeated.
 * The backoff counts refused token requests, not logins: a login that switches the client authentication
 * method sends two, and UAA locks a client per refused request as it locks a user (its CommonLoginPolicy,
 * "for both user login and client credential authentication").
 */
export class UaaTokenProvider {
  private held?: HeldToken;
  private inflight?: Promise<string>;
  private readonly grant: Grant;
  /** Missing credentials only matter once a token is needed (getInfo works without). */
  private readonly credentialsProblem?: UaaError;
  private readonly time: TimeSource;
  private readonly timeoutMs: number;
  private readonly backoffPolicy: LoginBackoffPolicy;
  private backoff: LoginBackoffState = NO_REFUSALS;
  /** The latest refusal, repeated (with its next try) while the backoff holds. */
  private refusal?: UaaError;
  private readonly clientAuth: ClientAuthChoice;
  private readonly secrets: KnownSecrets;
  /** The access and refresh token of the latest token answer, kept known beside the next one's. */
  private latestTokens: (string | undefined)[] = [];

  constructor(private readonly deps: UaaTokenProviderDeps) {
    let grant: Grant = { kind: "password", username: "", password: "" };
    try {
      grant = grantFromConfig(deps.config);
    } catch (err) {
      this.credentialsProblem = err as UaaError;
    }
    this.grant = grant;
    this.secrets = deps.secrets ?? new KnownSecrets();
    if (!this.credentialsProblem) this.secrets.hold("credentials", grantSecrets(grant));
    this.time = deps.time ?? realTime;
    this.timeoutMs = deps.timeoutMs ?? DEFAULT_UAA_TIMEOUT_MS;
    this.backoffPolicy = deps.loginBackoff ?? DEFAULT_LOGIN_BACKOFF;
    this.clientAuth = new ClientAuthChoice(deps.config.token_endpoint_auth_method);
  }

  /** The value for the Authorization header, fetching or renewing the token when needed. */
  async getAuthorization(): Promise<string> {
    if (this.credentialsProblem) throw this.credentialsProblem;
    if (this.held && this.time.now() < this.held.renewAt) return this.held.authorization;
    if (!this.inflight) {
      this.inflight = this.renew().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /** CC refused this token (401): renew it on the next use, unless it was already replaced. */
  invalidate(authorization: string): void {
    if (this.held?.authorization === authorization) this.held.renewAt = 0;
  }

  private async renew(): Promise<string> {
    const refreshToken = this.held?.refreshToken;
    if (refreshToken) {
      try {
        return await this.request(
          { grant_type: "refresh_token", refresh_token: refreshToken },
          this.grant.kind === "password" ? "cf-public" : this.clientAuth.method(),
        );
      } catch (err) {
        // An expired or revoked refresh token is normal after a long idle time; log in again.
        this.deps.logger.debug({ reason: errorMessage(err) }, "token refresh failed, logging in again");
      }
    }
    this.held = undefined;
    return this.login();
  }

  /** A login with the configured credentials, unless the backoff after a refused one still holds. */
  private async login(): Promise<string> {
    const at = nextLoginAt(this.backoff, this.backoffPolicy);
    if (this.refusal && at > this.time.now()) throw this.withNextTry(this.refusal, at);
    const refusedBefore = this.backoff.inARow > 0;
    let token: string;
    try {
      token = await this.loginOnce();
    } catch (err) {
      if (!(err instanceof UaaError) || !isRefusal(err.status)) throw err;
      const refused = this.withNextTry(err, nextLoginAt(this.backoff, this.backoffPolicy));
      // The caller's failure log warns about the first refused login; later ones, minutes apart, are news too.
      this.deps.logger[refusedBefore ? "warn" : "debug"](
        { status: err.status, error: err.error, refusalsInARow: this.backoff.inARow },
        refused.message,
      );
      throw refused;
    }
    this.backoff = afterAcceptance(this.backoff);
    this.refusal = undefined;
    return token;
  }

  /** One login; a client switches its authentication method once when UAA says `invalid_client`. */
  private async loginOnce(): Promise<string> {
    if (this.grant.kind === "password") {
      const { username, password } = this.grant;
      return this.counted(() => this.request({ grant_type: "password", username, password }, "cf-public"));
    }
    const clientId = this.grant.clientId;
    return this.clientAuth.request(
      (method) => this.counted(() => this.request({ grant_type: "client_credentials" }, method)),
      (err) => err instanceof UaaError && err.status !== undefined && isInvalidClient(err.status, err.error),
      {
        onSwitch: (from, to) =>
          this.deps.logger.info(
            { client: clientId, refused: from, next: to },
            "UAA refused the client authentication; trying the other method once",
          ),
        // The switch is sent at once, without the backoff's delay: only while the cap leaves room for it.
        switchNow: () => withinCap(this.backoff, this.time.now(), this.backoffPolicy),
      },
    );
  }

  /**
   * One token request of a login: a refusal counts for the backoff at once, also the first request of a
   * method switch, so that the backoff's delays and its cap (3 in 10 minutes) hold per refused request.
   */
  private async counted(request: () => Promise<string>): Promise<string> {
    try {
      return await request();
    } catch (err) {
      if (err instanceof UaaError && isRefusal(err.status)) {
        this.backoff = afterRefusal(this.backoff, this.time.now(), this.backoffPolicy);
        this.refusal = err;
      }
      throw err;
    }
  }

  private withNextTry(err: UaaError, at: number): UaaError {
    return new UaaError(`${err.message}; next try at ${new Date(at).toISOString()}`, {
      status: err.status,
      error: err.error,
    });
  }

  private async request(form: Record<string, string>, auth: ClientAuth): Promise<string> {
    const loginUrl = await this.deps.resolveLoginUrl();
    const url = `${loginUrl.replace(/\/+$/, "")}/oauth/token`;
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    const body = new URLSearchParams(form);
    if (auth === "cf-public") {
      // Same as the Java client: basic header for client "cf" and the client fields in the body too.
      headers.authorization = CF_CLIENT_BASIC;
      body.set("client_id", "cf");
      body.set("client_secret", "");
    } else if (this.grant.kind === "client_credentials") {
      applyClientAuth(auth, { id: this.grant.clientId, secret: this.grant.clientSecret }, headers, body);
    }
    const res = await this.send(url, headers, body.toString(), form.grant_type);
    const token = this.parseToken(res, url);
    this.held = token;
    this.remember(token);
    return token.authorization;
  }

  /**
   * A token just obtained is registered with the previous one: an answer to a request sent with that one
   * (still in flight, or echoed by a cache) may show it after the renewal.
   */
  private remember(token: HeldToken): void {
    const latest = [token.accessToken, token.refreshToken];
    this.secrets.hold("tokens", [...latest, ...this.latestTokens]);
    this.latestTokens = latest;
  }

  /** One retry for unreachable or failing UAA; wrong credentials are not retried. */
  private async send(
    url: string,
    headers: Record<string, string>,
    body: string,
    grantType: string,
  ): Promise<HttpResponse> {
    const backoff = this.deps.config.request.backoff;
    for (let attempt = 1; ; attempt++) {
      this.deps.onRequest?.(grantType);
      try {
        const res = await sendOnce(this.deps.dispatcher, {
          method: "POST",
          url,
          headers,
          body,
          timeoutMs: this.timeoutMs,
          maxBodyBytes: this.deps.config.request.maxBodySize,
        });
        if (res.status >= 500 && attempt === 1) {
          await this.time.sleep(backoff);
          continue;
        }
        return res;
      } catch (err) {
        if (attempt === 1) {
          await this.time.sleep(backoff);
          continue;
        }
        const what =
          err instanceof RequestTimeoutError ? err.message : this.redact(describeNetworkError(err, "UAA"));
        throw new UaaError(`UAA at ${originOf(url)} could not be reached for a token: ${what}`, {
          cause: err,
        });
      }
    }
  }

  /**
   * The token from a token endpoint's answer; every grant (password, refresh_token, client_credentials) ends
   * here. A body that is not JSON is named so (a UTF-8 byte order mark included), not as a missing token.
   */
  private parseToken(res: HttpResponse, url: string): HeldToken {
    let parsed: unknown;
    let json = true;
    try {
      parsed = JSON.parse(res.text) as unknown;
    } catch {
      json = false;
    }
    const body =
      parsed && typeof parsed === "object" && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    if (res.status < 200 || res.status > 299) throw this.uaaFailure(res, body, url, json);
    if (res.undecodable !== undefined) {
      throw new UaaError(`UAA at ${originOf(url)} answered ${res.status} with ${res.undecodable}`, {
        status: res.status,
      });
    }
    if (!json) {
      throw new UaaError(
        `UAA at ${originOf(url)} answered ${res.status} with a body that is not JSON${this.notJsonDetail(res.text)}`,
        { status: res.status },
      );
    }
    if (!body) {
      throw new UaaError(
        `UAA at ${originOf(url)} answered ${res.status} with a JSON body that is not an object`,
        {
          status: res.status,
        },
      );
    }
    if (typeof body.access_token !== "string" || body.access_token === "") {
      throw new UaaError(`UAA at ${originOf(url)} answered ${res.status} without an access_token`, {
        status: res.status,
      });
    }
    const expiresIn =
      typeof body.expires_in === "number" && body.expires_in >= 0 ? body.expires_in : undefined;
    const lifetimeMs = (expiresIn ?? 0) * 1000;
    const margin = Math.min(RENEW_MARGIN_MS, lifetimeMs / 10);
    return {
      // CC matches the scheme case-insensitively; UAA always says "bearer".
      authorization: `bearer ${body.access_token}`,
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : undefined,
      // Without expires_in the token is kept until CC answers 401; expires_in 0 serves one request.
      renewAt: expiresIn !== undefined ? this.time.now() + lifetimeMs - margin : Number.POSITIVE_INFINITY,
    };
  }

  private uaaFailure(
    res: HttpResponse,
    body: Record<string, unknown> | undefined,
    url: string,
    json: boolean,
  ): UaaError {
    const { status, text } = res;
    const error = typeof body?.error === "string" ? body.error : undefined;
    const description = typeof body?.error_description === "string" ? body.error_description : undefined;
    let reason = this.redact([error, description && `(${description})`].filter(Boolean).join(" "));
    // A load balancer's page or a body with a byte order mark: say what came, not nothing.
    if (!json && text.trim() !== "") reason = `a body that is not JSON${this.notJsonDetail(text)}`;
    if (res.undecodable !== undefined) reason = res.undecodable;
    const who =
      this.grant.kind === "password" ? `user "${this.grant.username}"` : `client "${this.grant.clientId}"`;
    if (isCredentialRejection(status, error, description)) {
      return new UaaError(`CF rejected the credentials for ${who}: ${reason || `status ${status}`}`, {
        status,
        error,
      });
    }
    if (isRefusal(status)) {
      return new UaaError(
        `UAA refused the login of ${who} with status ${status}${reason ? `: ${reason}` : ""}`,
        { status, error },
      );
    }
    return new UaaError(
      `UAA at ${originOf(url)} answered ${status} to the token request for ${who}${reason ? `: ${reason}` : ""}`,
      { status, error },
    );
  }

  /** What a body that is not JSON begins with: a byte order mark (JSON must not start with one), or its text. */
  private notJsonDetail(text: string): string {
    if (text.startsWith("\uFEFF")) return " (it starts with a UTF-8 byte order mark)";
    const shown = excerpt(text, 200, this.secrets);
    return shown ? `: "${shown}"` : " (empty body)";
  }

  /** UAA texts are echoed into messages; make sure a secret or token can never ride along. */
  private redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }
}

/**
 * A 4xx answer to a login will not change by itself (wrong credentials, a locked user, a client without the
 * grant), so the login backs off; 408 and 429 are UAA's trouble and keep the short retry.
 */
function isRefusal(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}
