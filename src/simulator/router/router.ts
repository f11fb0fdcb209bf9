import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { errorMessage } from "../../errors.js";
import type { SimContext } from "../context.js";
import { randomGuid } from "../guid.js";
import { headerValue, sendText } from "../http/util.js";
import type { InstanceBehaviour } from "../types.js";
import { serveBuiltInInstance } from "./instance.js";
import { type Endpoint, RouteTable } from "./lookup.js";
import { forwardToUpstream, withoutHopByHop } from "./upstream.js";

/** Endpoints gorouter tries for one request (its `backends.max_attempts`, capped by the route's endpoints). */
const MAX_ATTEMPTS = 3;

interface Target {
  hostname: string;
  port: number | undefined;
  /** Path plus query as the app receives it. */
  pathAndQuery: string;
  path: string;
}

/**
 * Accepts both origin-form requests with a Host header (gorouter) and absolute-form requests
 * (`GET http://host/path`), so the router doubles as an HTTP forward proxy and clients need no DNS.
 */
function requestTarget(req: IncomingMessage): Target | undefined {
  const raw = req.url ?? "/";
  let url: URL;
  try {
    if (/^https?:\/\//i.test(raw)) url = new URL(raw);
    else {
      const host = headerValue(req, "host");
      if (!host) return undefined;
      url = new URL(raw, `http://${host}`);
    }
  } catch {
    return undefined;
  }
  if (!url.hostname) return undefined;
  return {
    hostname: url.hostname.toLowerCase().replace(/\.$/, ""),
    port: url.port ? Number(url.port) : undefined,
    pathAndQuery: `${url.pathname}${url.search}`,
    path: url.pathname,
  };
}

/** The simulated gorouter: route lookup, app-instance routing, headers, and the app instances behind it. */
export function createRouterHandler(ctx: SimContext): {
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  handleConnect: (server: Server, req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Ends open CONNECT tunnels (the HTTP server does not track them as its own connections). */
  closeTunnels: () => void;
} {
  const table = new RouteTable(ctx.store);
  const tunnels = new Set<Duplex>();

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = requestTarget(req);
    if (!target) {
      sendText(res, 400, "400 Bad Request: Request had empty Host header\n", {
        "X-Cf-Routererror": "empty_host",
      });
      return;
    }
    const found = table.lookup(
      target.hostname,
      target.port,
      target.path,
      headerValue(req, "x-cf-app-instance"),
    );
    if (found.kind === "error") {
      const { status, code, body } = found.error;
      sendText(res, status, body, {
        "X-Cf-Routererror": code,
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-cache, no-store",
      });
      return;
    }
    if (found.kind === "unreachable") {
      sendText(res, 502, `502 Bad Gateway: cannot reach ${target.hostname}: ${found.reason}\n`);
      return;
    }
    const { route, internal } = found;
    const headers = withoutHopByHop(req.headers);
    delete headers["x-cf-app-instance"];
    delete headers["x-cf-proxy-signature"];
    if (!internal) addGorouterHeaders(req, res, headers);

    // gorouter tries up to MAX_ATTEMPTS endpoints of the route while a backend cannot be reached; a request for
    // one instance (X-CF-APP-INSTANCE) has only that one.
    const attempts = [found.endpoint, ...(found.others ?? [])].slice(0, MAX_ATTEMPTS);
    const bodiless =
      headerValue(req, "transfer-encoding") === undefined && !Number(headerValue(req, "content-length"));
    for (const [i, endpoint] of attempts.entries()) {
      if (!internal) addEndpointHeaders(headers, endpoint, ctx);
      const behaviour = ctx.store.behaviourOf(endpoint.app, endpoint.index);
      if (!(await ctx.delays.wait(behaviour.latencyMs ?? 0))) {
        res.destroy();
        return;
      }
      if (!behaviour.upstream) {
        await serveBuiltIn(req, res, endpoint, behaviour, route?.path ?? "", target.path);
        return;
      }
      const retryable = bodiless && i < attempts.length - 1;
      const outcome = await forwardToUpstream(
        req,
        res,
        behaviour.upstream,
        target.pathAndQuery,
        headers,
        retryable,
      );
      if (outcome === "answered") return;
    }
  }

  function serveBuiltIn(
    req: IncomingMessage,
    res: ServerResponse,
    endpoint: Endpoint,
    behaviour: InstanceBehaviour,
    routePath: string,
    path: string,
  ): Promise<void> {
    return serveBuiltInInstance(
      req,
      res,
      { app: endpoint.app, index: endpoint.index, behaviour, routePath, path },
      ctx.issuer,
    );
  }

  return {
    handle(req, res) {
      serve(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendText(res, 500, `500 Internal Server Error: ${errorMessage(err)}\n`);
        else res.destroy();
      });
    },
    closeTunnels() {
      for (const socket of tunnels) socket.destroy();
      tunnels.clear();
    },
    handleConnect(server, req, socket, head) {
      // The server drops its own error listener for CONNECT sockets.
      socket.on("error", () => socket.destroy());
      tunnels.add(socket);
      socket.on("close", () => tunnels.delete(socket));
      // Clients such as undici's ProxyAgent tunnel even plain-HTTP targets through CONNECT. The tunnel is
      // handed back to this same router, which then routes the requests inside it by their Host header.
      // TLS inside the tunnel is not offered: instances speak plain HTTP.
      const port = /:(\d+)$/.exec(req.url ?? "")?.[1];
      if (port === "443") {
        const text = "simulated app instances serve plain HTTP, not HTTPS\n";
        socket.end(
          `HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`,
        );
        return;
      }
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) socket.unshift(head);
      server.emit("connection", socket);
    },
  };
}

/** gorouter's per-request headers, the same for every attempt. */
function addGorouterHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, unknown>,
): void {
  const requestId = randomGuid();
  headers["x-vcap-request-id"] = requestId;
  res.setHeader("X-Vcap-Request-Id", requestId);
  if (headers["x-request-start"] === undefined) headers["x-request-start"] = String(Date.now());
  const client = req.socket.remoteAddress ?? "";
  const forwarded = headerValue(req, "x-forwarded-for");
  headers["x-forwarded-for"] = forwarded ? `${forwarded}, ${client}` : client;
  if (headers["x-forwarded-proto"] === undefined) headers["x-forwarded-proto"] = "http";
}

/** The headers naming the endpoint an attempt goes to. */
function addEndpointHeaders(headers: Record<string, unknown>, endpoint: Endpoint, ctx: SimContext): void {
  headers["x-cf-applicationid"] = endpoint.app.guid;
  headers["x-cf-instanceindex"] = String(endpoint.index);
  headers["x-cf-instanceid"] = ctx.store.instanceGuid(endpoint.app, endpoint.index);
}
