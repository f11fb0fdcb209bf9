import { EventEmitter } from "node:events";
import { type OutgoingHttpHeaders, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { InboundResponse } from "../../http-exchange.js";

/** Characters node:http refuses in a header value or reason phrase (its checkInvalidHeaderChar, RFC 9110 5.5). */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
/** A header name must be an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

let dateSecond = -1;
let dateText = "";

/** The Date header's value, made once per second as node:http does. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

function invalid(code: string, message: string): TypeError {
  return Object.assign(new TypeError(message), { code });
}

function checkedValue(name: string, value: string): string {
  if (INVALID_VALUE_CHAR.test(value)) {
    throw invalid("ERR_INVALID_CHAR", `Invalid character in header content ["${name}"]`);
  }
  return value;
}

/**
 * An HTTP/1.1 answer written straight to the socket: the InboundResponse part of node:http's ServerResponse
 * with the same wire result (status line, the given headers, Date, Connection and Keep-Alive as node:http adds
 * them, Content-Length or chunked framing). The head leaves with the first body bytes, in one write.
 * Events: "drain" when the socket drains, "close" once the answer is out or the connection went away.
 */
export class SocketResponse extends EventEmitter implements InboundResponse {
  /**
   * By lower-case name: the name as given and its value (several for a list); a name set again keeps its
   * place, as in node:http.
   */
  private readonly fields = new Map<string, [string, string | string[]]>();
  private head: string | undefined;
  private chunked = false;
  private state: "open" | "ending" | "finished" | "destroyed" = "open";

  /**
   * @param keepAlive whether the connection stays open after this answer (the request's and the server's say)
   * @param keepAliveSeconds announced in `Keep-Alive: timeout=<n>`, as node:http does
   * @param onDone called once, after the answer left or the connection went away (`finished` says which)
   */
  constructor(
    private readonly socket: Socket,
    private readonly keepAlive: boolean,
    private readonly keepAliveSeconds: number,
    private readonly onDone: (finished: boolean) => void,
  ) {
    super();
  }

  get headersSent(): boolean {
    return this.head !== undefined;
  }

  get writableFinished(): boolean {
    return this.state === "finished";
  }

  get destroyed(): boolean {
    return this.state === "destroyed";
  }

  setHeader(name: string, value: number | string | readonly string[]): this {
    if (this.head !== undefined)
      throw invalid("ERR_HTTP_HEADERS_SENT", "Cannot set headers after they are sent");
    if (!TOKEN.test(name))
      throw invalid("ERR_INVALID_HTTP_TOKEN", `Header name must be a valid HTTP token ["${name}"]`);
    const checked = Array.isArray(value)
      ? value.map((v: string) => checkedValue(name, v))
      : checkedValue(name, String(value));
    this.fields.set(name.toLowerCase(), [name, checked]);
    return this;
  }

  writeHead(statusCode: number, statusMessage?: string, headers?: OutgoingHttpHeaders): this;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this;
  writeHead(statusCode: number, second?: string | OutgoingHttpHeaders, third?: OutgoingHttpHeaders): this {
    if (this.head !== undefined)
      throw invalid("ERR_HTTP_HEADERS_SENT", "Cannot write headers after they are sent");
    const reason = typeof second === "string" ? second : (STATUS_CODES[statusCode] ?? "unknown");
    checkedValue("status message", reason);
    const given = (typeof second === "string" ? third : second) ?? {};
    for (const name of Object.keys(given)) {
      const value = given[name];
      if (value !== undefined) this.setHeader(name, value);
    }
    let head = `HTTP/1.1 ${statusCode} ${reason}\r\n`;
    for (const [name, value] of this.fields.values()) {
      if (typeof value === "string") head += `${name}: ${value}\r\n`;
      else for (const item of value) head += `${name}: ${item}\r\n`;
    }
    const hasLength = this.fields.has("content-length");
    head += `Date: ${httpDate()}\r\n`;
    head += this.keepAlive
      ? `Connection: keep-alive\r\nKeep-Alive: timeout=${this.keepAliveSeconds}\r\n`
      : "Connection: close\r\n";
    this.chunked = !hasLength;
    if (this.chunked) head += "Transfer-Encoding: chunked\r\n";
    this.head = `${head}\r\n`;
    return this;
  }

  write(chunk: Buffer): boolean {
    if (this.state !== "open") return false;
    if (this.head === undefined) this.writeHead(200);
    return this.send(chunk, false);
  }

  end(chunk?: Buffer | string): this {
    if (this.state !== "open") return this;
    if (this.head === undefined) this.writeHead(200);
    this.state = "ending";
    this.send(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : (chunk ?? Buffer.alloc(0)), true);
    return this;
  }

  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  destroy(): this {
    if (this.state === "finished" || this.state === "destroyed") return this;
    this.state = "destroyed";
    this.socket.destroy();
    return this;
  }

  /** The connection closed: ends an answer still being written. */
  socketClosed(): void {
    if (this.state === "finished") return;
    if (this.state !== "destroyed") this.state = "destroyed";
    this.emit("close");
    this.onDone(false);
  }

  private send(chunk: Buffer, last: boolean): boolean {
    const socket = this.socket;
    // Gone or ending: "close" follows, which ends this answer.
    if (!socket.writable) return false;
    socket.cork();
    let ok = true;
    if (this.head !== "") {
      ok = socket.write(this.head as string, "latin1");
      this.head = "";
    }
    if (this.chunked) {
      if (chunk.length > 0) {
        socket.write(`${chunk.length.toString(16)}\r\n`, "latin1");
        socket.write(chunk);
        ok = socket.write("\r\n", "latin1");
      }
      if (last) ok = socket.write("0\r\n\r\n", "latin1", () => this.finished());
    } else if (last) {
      ok = socket.write(chunk, () => this.finished());
    } else if (chunk.length > 0) {
      ok = socket.write(chunk);
    }
    socket.uncork();
    return ok;
  }

  private finished(): void {
    if (this.state !== "ending") return;
    this.state = "finished";
    this.emit("close");
    this.onDone(true);
  }
}
