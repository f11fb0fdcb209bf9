import type { EventEmitter } from "node:events";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/**
 * What the scrape endpoint reads of a request: node:http's IncomingMessage has it, and so has the request the
 * socket-level path parses (src/server/socket-level). Header names are lower case, duplicates merged as
 * node:http documents for `message.headers`.
 */
export interface InboundRequest {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * What the scrape endpoint writes an answer with: the part of node:http's ServerResponse it uses, with the same
 * meaning, so that a ServerResponse and the socket-level path's response both serve.
 * Events: "drain" (write may go on), "close" (the answer ended, or the connection went away before).
 */
export interface InboundResponse extends EventEmitter {
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  writeHead(statusCode: number, statusMessage?: string, headers?: OutgoingHttpHeaders): this;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this;
  write(chunk: Buffer): boolean;
  /** A string is sent UTF-8 encoded. */
  end(chunk?: Buffer | string): unknown;
  cork(): void;
  uncork(): void;
  destroy(): unknown;
}

/** Headers of every answer Promregator makes itself (not a target's relayed body): never cached, never sniffed. */
export const OWN_ANSWER_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
} as const;
