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
 * Streams the request to `<upstream base><path?query>` and the answer back; a failed backend becomes
 * gorouter's 502 endpoint_failure.
 */
export function forwardToUpstream(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: string,
  pathAndQuery: string,
  headers: OutgoingHttpHeaders,
): Promise<void> {
  return new Promise((resolve) => {
    let base: URL;
    try {
      base = new URL(upstream);
    } catch {
      sendText(res, 502, "502 Bad Gateway: Registered endpoint failed to handle the request.\n", {
        "X-Cf-Routererror": "endpoint_failure (invalid upstream URL)",
      });
      resolve();
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
      upstreamRes.on("end", resolve);
      upstreamRes.on("error", () => {
        res.destroy();
        resolve();
      });
    });
    upstreamReq.on("error", (err) => {
      if (!res.headersSent) {
        sendText(res, 502, "502 Bad Gateway: Registered endpoint failed to handle the request.\n", {
          "X-Cf-Routererror": `endpoint_failure (${(err as NodeJS.ErrnoException).code ?? "error"})`,
        });
      } else {
        res.destroy();
      }
      resolve();
    });
    res.on("close", () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    // A client that goes away mid-request must not take the simulator down.
    req.on("error", () => upstreamReq.destroy());
    req.pipe(upstreamReq);
  });
}
