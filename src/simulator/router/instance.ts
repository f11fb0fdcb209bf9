import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { headerValue, sendText } from "../http/util.js";
import type { AppRecord } from "../model/records.js";
import type { InstanceBehaviour } from "../types.js";
import type { TokenIssuer } from "../uaa/tokens.js";
import {
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  renderExposition,
  TEXT_CONTENT_TYPE,
} from "./exposition.js";

const gzipAsync = promisify(gzip);

export interface InstanceRequest {
  app: AppRecord;
  index: number;
  behaviour: InstanceBehaviour;
  /** Path of the route that matched ("" for none); gorouter does not strip it. */
  routePath: string;
  /** Request path without the query string. */
  path: string;
}

/** Paths a built-in instance serves metrics on: its metrics path, the annotated one, and both under the route path. */
function servesPath(req: InstanceRequest): boolean {
  const own = [req.app.metricsPath, req.app.annotations["prometheus.io/path"]].filter(
    (p): p is string => typeof p === "string" && p.startsWith("/"),
  );
  return own.some((p) => req.path === p || (req.routePath !== "" && req.path === `${req.routePath}${p}`));
}

function authorised(
  req: IncomingMessage,
  behaviour: InstanceBehaviour,
  issuer: TokenIssuer,
): "ok" | "basic" | "bearer" {
  const auth = behaviour.auth;
  if (!auth?.basic && !auth?.bearer) return "ok";
  const header = headerValue(req, "authorization") ?? "";
  if (auth.basic && /^basic /i.test(header)) {
    const given = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
    if (given === `${auth.basic.username}:${auth.basic.password}`) return "ok";
  }
  if (auth.bearer && /^bearer /i.test(header)) {
    const claims = issuer.verifyAccess(header.slice(7).trim());
    if (claims && claims.client_id === auth.bearer.clientId && claims.grant_type === "client_credentials")
      return "ok";
  }
  return auth.bearer ? "bearer" : "basic";
}

function acceptsGzip(req: IncomingMessage): boolean {
  const value = headerValue(req, "accept-encoding") ?? "";
  return value.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    return (coding === "gzip" || coding === "*") && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}

/** A built-in app instance answering a metrics scrape. */
export async function serveBuiltInInstance(
  req: IncomingMessage,
  res: ServerResponse,
  target: InstanceRequest,
  issuer: TokenIssuer,
): Promise<void> {
  const auth = authorised(req, target.behaviour, issuer);
  if (auth !== "ok") {
    const challenge = auth === "bearer" ? 'Bearer realm="metrics"' : 'Basic realm="metrics"';
    sendText(res, 401, "Unauthorized\n", { "WWW-Authenticate": challenge });
    return;
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    sendText(res, 405, "Method Not Allowed\n", { Allow: "GET, HEAD" });
    return;
  }
  if (!servesPath(target)) {
    sendText(res, 404, "404 page not found\n");
    return;
  }
  const format = negotiateFormat(target.behaviour.format, headerValue(req, "accept"));
  const text = renderExposition(target.app.name, target.index, format, target.behaviour.sizeBytes);
  let body = Buffer.from(text, "utf8");
  const headers: Record<string, string | number> = {
    "Content-Type": format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE,
    Vary: "Accept-Encoding",
  };
  if (acceptsGzip(req)) {
    body = await gzipAsync(body);
    headers["Content-Encoding"] = "gzip";
  }
  headers["Content-Length"] = body.length;
  if (res.destroyed || res.headersSent) return;
  res.writeHead(200, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}
