import {
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import { request as httpsRequest } from "node:https";
import { sendText } from "../http/util.js";

/** Hop-by-hop headers (RFC 9110 §7.6.1) a proxy must not forward. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

export function withoutHopByHop(headers: IncomingMessage["headers"]): OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * What became of a forwarded request: answered (the backend's answer or a 502 was sent), or not sent at all
 * because the backend could not be reached and `retryable` allowed another endpoint to be tried.
 */
export type ForwardOutcome = "answered" | "unreachable";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/**
 * Whether gorouter tries another endpoint after this backend failure: a failed dial (no connection was made),
 * or an idempotent request whose connection the backend closed before answering (its Dial classifier and its
 * retry of idempotent requests that met EOF).
 */
function retriable(req: IncomingMessage, connected: boolean, err: Error): boolean {
  if (!connected) return true;
  return IDEMPOTENT.has(req.method ?? "GET") && (err as NodeJS.ErrnoException).code === "ECONNRESET";
}

/**
 * Streams the request to `<upstream base><path?query>` and the answer back; a failed backend becomes
 * gorouter's 502 endpoint_failure, unless `retryable` and gorouter would try another endpoint: then nothing is
 * sent and the outcome is "unreachable". Only requests without a body may be retryable (the body is streamed
 * once).
 */
export function forwardToUpstream(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: string,
  pathAndQuery: string,
  headers: OutgoingHttpHeaders,
  retryable = false,
): Promise<ForwardOutcome> {
  return new Promise((resolve) => {
    let base: URL;
    try {
      base = new URL(upstream);
    } catch {
      sendText(res, 502, "502 Bad Gateway: Registered endpoint failed to handle the request.\n", {
        "X-Cf-Routererror": "endpoint_failure (invalid upstream URL)",
      });
      resolve("answered");
      return;
    }
    const target = new URL(base.pathname.replace(/\/$/, "") + pathAndQuery, base);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const upstreamReq = send(target, { method: req.method, headers }, (upstreamRes) => {
      const responseHeaders = withoutHopByHop(upstreamRes.headers);
      if (!res.headersSent && !res.destroyed) {
        for (const [k, v] of Object.entries(res.getHeaders())) {
          if (responseHeaders[k] === undefined && v !== undefined) responseHeaders[k] = v as string;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, responseHeaders);
      }
      upstreamRes.pipe(res);
      upstreamRes.on("end", () => resolve("answered"));
      upstreamRes.on("error", () => {
        res.destroy();
        resolve("answered");
      });
    });
    let connected = false;
    upstreamReq.on("socket", (socket) => {
      // A kept-alive socket is connected already and will not emit "connect" again.
      connected = !socket.connecting;
      if (!connected) socket.once("connect", () => (connected = true));
    });
    upstreamReq.on("error", (err) => {
      if (retryable && !res.headersSent && retriable(req, connected, err)) {
        resolve("unreachable");
      } else if (!res.headersSent) {
        sendText(res, 502, "502 Bad Gateway: Registered endpoint failed to handle the request.\n", {
          "X-Cf-Routererror": `endpoint_failure (${(err as NodeJS.ErrnoException).code ?? "error"})`,
        });
      } else {
        res.destroy();
      }
      resolve("answered");
    });
    res.on("close", () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    // A client that goes away mid-request must not take the simulator down.
    req.on("error", () => upstreamReq.destroy());
    // A retry comes after the (bodiless) request was read for the first attempt.
    if (req.readableEnded) upstreamReq.end();
    else req.pipe(upstreamReq);
  });
}
