import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimContext } from "../context.js";
import { sendEchoPage } from "../control/echo-page.js";
import { randomGuid } from "../guid.js";
import { headerValue, sendJson, sendText } from "../http/util.js";
import type { FailureSpec } from "../types.js";
import type { TokenClaims } from "../uaa/tokens.js";
import { type CcError, CcRequestError, ccErrors, errorBody } from "./errors.js";
import { afterList, beforeList } from "./list-faults.js";
import { resolveV3, rootDocument, v2Info, v3Document, v3Info } from "./resources.js";
import { resolveServices } from "./services.js";

/** Paths the CC rate limiter never counts. */
const RATE_LIMIT_EXEMPT = new Set(["/", "/v3", "/v2/info", "/healthz"]);
const UNAUTHENTICATED = new Set(["/", "/v3", "/v3/info", "/v2/info"]);

type Auth = { kind: "none" } | { kind: "invalid" } | { kind: "valid"; claims: TokenClaims };

/** CC reads `bearer <token>` case-insensitively; any other scheme counts as no token at all. */
function authenticate(ctx: SimContext, req: IncomingMessage): Auth {
  const header = headerValue(req, "authorization");
  const m = header ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) return { kind: "none" };
  const claims = ctx.issuer.verifyAccess(m[1]);
  return claims ? { kind: "valid", claims } : { kind: "invalid" };
}

function sendError(res: ServerResponse, error: CcError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, errorBody(error), headers);
}

/** Answers with an injected failure as CC, as a load balancer, or by dropping the connection. */
export function sendInjectedFailure(res: ServerResponse, failure: FailureSpec, req?: IncomingMessage): void {
  if (failure.kind === "loadBalancerEcho" && req) {
    sendEchoPage(req, res, failure.status);
    return;
  }
  if (failure.kind === "reset") {
    res.socket?.destroy();
    return;
  }
  if (failure.kind === "loadBalancer") {
    const text = `<html><head><title>${failure.status}</title></head><body><h1>${failure.status}</h1><p>The upstream server is not available.</p></body></html>\n`;
    sendText(res, failure.status, text, { "Content-Type": "text/html" });
    return;
  }
  const error = failure.status === 503 ? ccErrors.serviceUnavailable() : ccErrors.unknown(failure.status);
  sendError(res, { ...error, status: failure.status });
}

/** One Cloud Controller request: latency, injected failures, rate limit, authentication, then the resource. */
export async function handleCcRequest(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  path: string,
): Promise<void> {
  ctx.counters.countCc(path);
  res.setHeader("X-VCAP-Request-ID", randomGuid());
  if (!(await ctx.delays.wait(ctx.latencyMs))) {
    res.socket?.destroy();
    return;
  }
  const failure = ctx.failures.take(path);
  if (failure) {
    sendInjectedFailure(res, failure, req);
    return;
  }

  const auth = authenticate(ctx, req);
  const limited = RATE_LIMIT_EXEMPT.has(path)
    ? undefined
    : ctx.limiter.hit(
        auth.kind === "valid"
          ? (auth.claims.user_id ?? auth.claims.client_id)
          : `ip:${req.socket.remoteAddress}`,
      );
  if (limited) for (const [k, v] of Object.entries(limited.headers)) res.setHeader(k, v);
  if (limited?.exceeded) {
    // An invalid token turns the 429 into a 401 so the client refreshes first.
    if (auth.kind === "invalid") {
      sendError(res, ccErrors.invalidAuthToken());
      return;
    }
    const error = ccErrors.rateLimitExceeded(auth.kind === "valid");
    // CC labels this JSON body as text/plain.
    sendText(res, 429, JSON.stringify(errorBody(error)), { "Content-Type": "text/plain; charset=utf-8" });
    return;
  }

  if (req.method !== "GET" && req.method !== "HEAD") {
    sendError(res, ccErrors.notFound());
    return;
  }
  if (path === "/") return sendJson(res, 200, rootDocument(ctx));
  if (path === "/v3") return sendJson(res, 200, v3Document(ctx));
  if (path === "/v3/info") return sendJson(res, 200, v3Info(ctx));
  if (path === "/v2/info") {
    return sendJson(
      res,
      200,
      v2Info(ctx, auth.kind === "valid" ? (auth.claims.user_id ?? auth.claims.client_id) : undefined),
    );
  }
  if (!UNAUTHENTICATED.has(path)) {
    if (auth.kind === "none") return sendError(res, ccErrors.notAuthenticated());
    if (auth.kind === "invalid") return sendError(res, ccErrors.invalidAuthToken());
    res.setHeader("X-USER-GUID", auth.claims.user_id ?? auth.claims.client_id);
  }
  if (!path.startsWith("/v3/")) return sendError(res, ccErrors.notFound());
  if (path.startsWith("/v3/service_") && auth.kind === "valid") {
    const who = auth.claims.user_name ?? auth.claims.client_id;
    try {
      const body = resolveServices(ctx, path, url.searchParams, who);
      if (body) return sendJson(res, 200, body);
    } catch (err) {
      if (err instanceof CcRequestError) return sendError(res, err.error);
      throw err;
    }
  }
  if (await beforeList(ctx, res, path, url.searchParams)) return;
  try {
    sendJson(res, 200, afterList(ctx, path, url.searchParams, resolveV3(ctx, path, url.searchParams)));
  } catch (err) {
    if (err instanceof CcRequestError) sendError(res, err.error);
    else throw err;
  }
}
