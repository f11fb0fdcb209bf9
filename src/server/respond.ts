import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, gzipSync } from "node:zlib";
import { type InboundRequest, type InboundResponse, OWN_ANSWER_HEADERS } from "../http-exchange.js";
import { PLAIN_TEXT_CONTENT_TYPE } from "../media-type.js";
import { reasonPhrase } from "../reason-phrase.js";

/** Below this size gzip costs more than it saves (the Java version's threshold is the same). */
const GZIP_MIN_BYTES = 2048;

export function acceptsGzip(req: InboundRequest): boolean {
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
  req: InboundRequest,
  res: InboundResponse,
  status: number,
  contentType: string,
  body: string | Buffer | PreparedBody,
  extraHeaders: Record<string, string> = {},
  reason?: string,
): void {
  let payload = isPrepared(body) ? body.bytes : typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    ...OWN_ANSWER_HEADERS,
    ...extraHeaders,
  };
  if (payload.length >= GZIP_MIN_BYTES && acceptsGzip(req)) {
    payload = isPrepared(body) ? body.gzipped() : gzipSync(payload, { level: 1 });
    headers["content-encoding"] = "gzip";
    headers.vary = "Accept-Encoding";
  }
  headers["content-length"] = payload.length;
  if (reason === undefined) res.writeHead(status, headers);
  else res.writeHead(status, reasonPhrase(reason, status), headers);
  res.end(req.method === "HEAD" ? undefined : payload);
}

/** A streamed body shorter than this goes out whole (with Content-Length, gzip only from GZIP_MIN_BYTES on). */
const STREAM_MIN_CHARS = 64 * 1024;

/**
 * Sends a body produced as text chunks (e.g. the own metrics of thousands of instances): a short one whole
 * via sendBody, a long one chunked as it is produced, gzip-compressed off the event loop when the client
 * accepts it, and with backpressure from the client, so that neither the text nor its gzip is ever held whole.
 * A client that goes away mid-body ends the render; an error of the render itself rejects, with the response
 * destroyed (its 200 is already out).
 */
export async function sendChunks(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  chunks: AsyncIterable<string>,
): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  const head: string[] = [];
  let length = 0;
  while (length < STREAM_MIN_CHARS) {
    const next = await iterator.next();
    if (next.done) return sendBody(req, res, status, contentType, head.join(""));
    head.push(next.value);
    length += next.value.length;
  }
  const gzip = acceptsGzip(req);
  res.writeHead(status, {
    "content-type": contentType,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...(gzip ? { "content-encoding": "gzip", vary: "Accept-Encoding" } : {}),
  });
  if (req.method === "HEAD") {
    await iterator.return?.();
    res.end();
    return;
  }
  async function* all(): AsyncGenerator<string> {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const source = Readable.from(all());
  try {
    await (gzip ? pipeline(source, createGzip({ level: 1 }), res) : pipeline(source, res));
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_STREAM_PREMATURE_CLOSE") throw error;
  }
}

/** A one-line plain-text answer, used for every error; the text is also the reason phrase, which Prometheus shows. */
export function sendText(
  req: InboundRequest,
  res: InboundResponse,
  status: number,
  text: string,
  extraHeaders: Record<string, string> = {},
): void {
  sendBody(
    req,
    res,
    status,
    PLAIN_TEXT_CONTENT_TYPE,
    `${text}\n`,
    extraHeaders,
    status >= 400 ? text : undefined,
  );
}
