import type { Socket } from "node:net";
import type { InboundRequest } from "../../http-exchange.js";
import { closeLingering } from "./lingering-close.js";
import { MAX_HEAD_BYTES, type RequestHead, RequestParser } from "./request-parser.js";
import { SocketResponse } from "./socket-response.js";

/** What a connection needs from the server it belongs to. */
export interface ConnectionOwner {
  /** Whether the socket-level path answers a request with this head (else node:http gets the connection). */
  accepts(head: RequestHead): boolean;
  /** Answers one accepted request; the answer ends with res.end() or res.destroy(). */
  answer(req: InboundRequest, res: SocketResponse): void;
  /** Gives the connection to node:http, `raw` (the bytes of the message it was reading) first. */
  handOver(socket: Socket, raw: Buffer): void;
  /** Seconds announced in Keep-Alive. */
  readonly keepAliveSeconds: number;
  /** Set once the server closes: answers end their connection. */
  readonly closing: boolean;
  forget(connection: Connection): void;
}

/**
 * One client connection on the socket-level path: reads request heads with llhttp, answers one request at a
 * time (a pipelined request waits for the answer before it, and the socket is paused meanwhile), and hands the
 * connection to node:http at the first request it does not answer itself.
 */
export class Connection {
  private readonly parser: RequestParser;
  /** Bytes read after the request being answered. */
  private pending: Buffer | undefined;
  private response: SocketResponse | undefined;
  private keepAlive = true;
  /** performance.now() when the connection became idle, or when the request being read began (see state). */
  since = performance.now();
  /**
   * A new connection is "reading" from the start: as in node:http, headersTimeout (408) applies to the first
   * request's head from the moment the connection opens, keepAliveTimeout (a silent close) between requests.
   * "closing": a last answer is out and the connection waits for the caller to close (closeLingering).
   */
  state: "idle" | "reading" | "answering" | "closing" | "gone" = "reading";

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
  ) {
    this.parser = new RequestParser((head) => owner.accepts(head));
    socket.on("data", this.onData);
    socket.on("drain", this.onDrain);
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
    // An error is followed by "close", where the connection ends.
    socket.on("error", noop);
  }

  /** Ends the connection now if no answer is being written; else after that answer. */
  closeIfIdle(): void {
    if (this.state === "idle" || this.state === "reading" || this.state === "closing") this.socket.destroy();
  }

  /** node:http's answer to a request whose head did not come in time (its headersTimeout). */
  timeOutHead(): void {
    this.socket.end("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    this.socket.destroySoon();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === "answering") {
      this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
      this.socket.pause();
      return;
    }
    this.parse(chunk);
  };

  private parse(chunk: Buffer): void {
    if (this.state === "idle") {
      this.state = "reading";
      this.since = performance.now();
    }
    const result = this.parser.execute(chunk);
    if (result.kind === "more") return;
    if (result.kind === "refused") {
      this.handOver(result.raw);
      return;
    }
    if (result.kind === "target-too-long") {
      this.closeWith(URI_TOO_LONG);
      return;
    }
    const { head, rest } = result;
    this.state = "answering";
    // A closing server still answers the requests already read, as node:http does: all but the last of them
    // keep the connection open for the next.
    this.keepAlive = head.keepAlive && (!this.owner.closing || rest.length > 0);
    if (rest.length > 0) {
      this.pending = rest;
      this.socket.pause();
    }
    const req: InboundRequest = { method: "GET", url: head.url, headers: head.headers };
    const res = new SocketResponse(this.socket, this.keepAlive, this.owner.keepAliveSeconds, this.answered);
    this.response = res;
    this.owner.answer(req, res);
  }

  private readonly answered = (finished: boolean): void => {
    this.response = undefined;
    if (!finished || this.state === "gone") return;
    const pending = this.pending;
    this.pending = undefined;
    if (!this.keepAlive || (this.owner.closing && !pending)) {
      this.socket.end();
      return;
    }
    this.state = "idle";
    this.since = performance.now();
    this.parser.resume();
    this.socket.resume();
    if (pending) this.parse(pending);
  };

  private readonly onDrain = (): void => {
    this.response?.emit("drain");
  };

  /**
   * The caller closed its side. As node:http does (httpAllowHalfOpen false): a request still being answered is
   * given up, and the connection closes once what was written is out. Input that ends inside a request head
   * (or in bytes llhttp rejects) first gets node:http's 400, unless an answer has begun on the wire.
   */
  private readonly onEnd = (): void => {
    const pending = this.pending;
    this.pending = undefined;
    const broken = this.state !== "gone" && this.parser.endsBroken(pending);
    if (broken && !this.response?.headersSent) this.socket.end(BAD_REQUEST);
    else this.socket.end();
  };

  private readonly onClose = (): void => {
    this.state = "gone";
    this.parser.free();
    this.response?.socketClosed();
    this.owner.forget(this);
  };

  /** Sends a last answer and closes without a reset: the caller may still be sending the rest of its request. */
  private closeWith(answer: string): void {
    this.socket.off("data", this.onData);
    this.socket.off("drain", this.onDrain);
    this.socket.off("end", this.onEnd);
    this.state = "closing";
    closeLingering(this.socket, answer);
  }

  private handOver(raw: Buffer): void {
    const socket = this.socket;
    socket.off("data", this.onData);
    socket.off("drain", this.onDrain);
    socket.off("end", this.onEnd);
    socket.off("close", this.onClose);
    socket.off("error", noop);
    socket.pause();
    this.state = "gone";
    this.parser.free();
    this.owner.forget(this);
    this.owner.handOver(socket, raw);
  }
}

function noop(): void {}

/**
 * RFC 9112 §3: "A server that receives a request-target longer than any URI it wishes to parse MUST respond with
 * a 414 (URI Too Long) status code"; node:http would answer 431 for the head as a whole.
 */
const URI_TOO_LONG_TEXT = `request target longer than ${MAX_HEAD_BYTES} bytes\n`;
const URI_TOO_LONG = `HTTP/1.1 414 URI Too Long\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${URI_TOO_LONG_TEXT.length}\r\n\r\n${URI_TOO_LONG_TEXT}`;

/** node:http's answer to a request it cannot parse (its socketOnError). */
const BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
