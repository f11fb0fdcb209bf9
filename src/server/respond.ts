import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";

/** Below this size gzip costs more than it saves (the Java version's threshold is the same). */
const GZIP_MIN_BYTES = 2048;

export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers["accept-encoding"];
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().split(";");
    if (coding.trim().toLowerCase() !== "gzip") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** A body sent many times unchanged (e.g. the /discovery document), with its gzip made once on first need. */
export interface PreparedBody {
  readonly bytes: Buffer;
  gzipped(): Buffer;
}

function isPrepared(body: string | Buffer | PreparedBody): body is PreparedBody {
  return typeof body === "object" && !Buffer.isBuffer(body);
}

/** Sends a complete body, gzip-compressed when the client accepts it and it is worth it. */
export function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer | PreparedBody,
  extraHeaders: Record<string, string> = {},
): void {
  let payload = isPrepared(body) ? body.bytes : typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...extraHeaders,
  };
  if (payload.length >= GZIP_MIN_BYTES && acceptsGzip(req)) {
    payload = isPrepared(body) ? body.gzipped() : gzipSync(payload, { level: 1 });
    headers["content-encoding"] = "gzip";
    headers.vary = "Accept-Encoding";
  }
  headers["content-length"] = payload.length;
  res.writeHead(status, headers);
  res.end(req.method === "HEAD" ? undefined : payload);
}

/** A one-line plain-text answer, used for every error so that Prometheus shows the reason. */
export function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  extraHeaders: Record<string, string> = {},
): void {
  sendBody(req, res, status, "text/plain; charset=utf-8", `${text}\n`, extraHeaders);
}
