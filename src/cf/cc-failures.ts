import type { CfConfig } from "../config/index.js";
import { errorMessage } from "../errors.js";
import { excerpt, type KnownSecrets, redactSecrets } from "../redact.js";
import { CfApiError, parseCfErrorBody, UndecodableBodyError } from "./errors.js";
import type { FailureLog } from "./failure-log.js";
import { describeNetworkError, type HttpResponse } from "./http.js";
import type { AttemptOutcome } from "./retry-policy.js";
import type { CfResource } from "./types.js";

/** What a failed attempt left: its outcome, and the answer or the error when there was one. */
export interface FailedAttempt {
  outcome: AttemptOutcome;
  res?: HttpResponse;
  err?: unknown;
}

/**
 * The errors of Cloud Controller GETs that failed: one line each, naming the path and what the CC (or the
 * network) said, with secrets redacted from what a foreign body echoes; each logged through the FailureLog
 * (warn for the first of its class, cf-api.md).
 */
export class CcFailures {
  constructor(
    private readonly log: FailureLog,
    private readonly proxy: CfConfig["proxy"],
    /** What the client holds (token, password, client secret): an error page may echo the request. */
    private readonly secrets: KnownSecrets,
  ) {}

  /**
   * The error for an attempt the retry policy gave up on. With `log` false (a timeout the caller retries
   * differently) it is not logged: only a failure of that retry is.
   */
  gaveUp(
    result: FailedAttempt,
    resource: CfResource,
    path: string,
    attempts: number,
    log: boolean,
  ): CfApiError {
    const { outcome, res, err } = result;
    if (outcome.kind === "timeout" && !log) {
      // The caller tries again differently; the failure is logged only if that fails too.
      return new CfApiError(`GET ${path} timed out: ${errorMessage(err)}`, {
        kind: "timeout",
        resource,
        path,
      });
    }
    switch (outcome.kind) {
      case "timeout":
        return this.fail(`GET ${path} timed out: ${errorMessage(err)}`, attempts, {
          kind: "timeout",
          resource,
          path,
          cause: err,
        });
      case "network": {
        const proxy = this.proxy;
        const via = proxy ? ` (through proxy ${proxy.host}:${proxy.port})` : "";
        return this.fail(`GET ${path} failed: ${describeNetworkError(err)}${via}`, attempts, {
          kind: "network",
          resource,
          path,
          cause: err,
        });
      }
      case "size":
        return this.fail(`GET ${path} failed: ${errorMessage(err)}`, attempts, {
          kind: "size",
          resource,
          path,
          cause: err,
        });
      case "malformed":
        if (err instanceof UndecodableBodyError) {
          return this.fail(`GET ${path} answered ${res?.status} with ${err.message}`, attempts, {
            kind: "malformed",
            resource,
            path,
            status: res?.status,
            cause: err,
          });
        }
        return this.notJson(resource, path, res?.status, attempts, err);
      default:
        return this.httpError(res as HttpResponse, resource, path, attempts);
    }
  }

  /** A 2xx whose body (or one resource of a list page) is not JSON; never retried (retry-policy.ts). */
  notJson(
    resource: CfResource,
    path: string,
    status: number | undefined,
    attempts: number,
    err: unknown,
  ): CfApiError {
    return this.fail(`GET ${path} answered ${status} with a body that is not JSON`, attempts, {
      kind: "malformed",
      resource,
      path,
      status,
      cause: err,
    });
  }

  private httpError(res: HttpResponse, resource: CfResource, path: string, attempts: number): CfApiError {
    const { json, ...parsed } = parseCfErrorBody(res.text);
    // The body is foreign text: an error page may echo the request, token included.
    const cf = {
      ...parsed,
      title: parsed.title && redactSecrets(parsed.title, this.secrets),
      detail: parsed.detail && redactSecrets(parsed.detail, this.secrets),
    };
    let what: string;
    if (res.undecodable !== undefined) {
      what = res.undecodable;
    } else if (cf.title || cf.detail) {
      what = [cf.title, cf.code !== undefined ? `(${cf.code})` : undefined].filter(Boolean).join(" ");
      what = `${what}${cf.detail ? `: ${cf.detail}` : ""}`;
    } else {
      // Load balancers and routers answer in plain text or HTML; a short excerpt helps more than nothing.
      const shown = excerpt(res.text, 300, this.secrets);
      // "non-JSON" only for what is not JSON: a JSON body of an unknown shape is shown as it is.
      what = shown ? `${json ? "JSON" : "non-JSON"} body "${shown}"` : "empty body";
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
  fail(message: string, attempts: number, init: ConstructorParameters<typeof CfApiError>[1]): CfApiError {
    const err = new CfApiError(message, init);
    const key = [init.resource, init.kind, init.status].filter((p) => p !== undefined).join(":");
    this.log.failure(
      key,
      { resource: init.resource, path: init.path, kind: init.kind, status: init.status, attempts },
      message,
    );
    return err;
  }
}
