import type { IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";

/**
 * HTTP/1.1 request heads parsed by llhttp, the parser node:http uses, in the WebAssembly build that undici (a
 * pinned dependency) ships and runs for every response it reads. Only the head is read: a request the
 * socket-level path does not answer itself, and any request llhttp rejects, goes to node:http whole, which
 * parses it again and answers (or rejects) it as it always does.
 */

// llhttp's numbers (llhttp.h: llhttp_type_t, llhttp_errno_t, llhttp_method_t).
const TYPE_REQUEST = 1;
const HPE_OK = 0;
const HPE_PAUSED = 21;
export const METHOD_GET = 1;

/**
 * node:http's default limit of the request line and headers (`--max-http-header-size`, 16 KiB). A head beyond
 * it goes to node:http, which answers 431.
 */
export const MAX_HEAD_BYTES = 16 * 1024;

/**
 * Header lines node:http reads of a request (its server's maxHeadersCount, 2,000 names and values); it ignores
 * the ones after them, so a longer head goes to node:http, which answers it as it sees it.
 */
export const MAX_HEADER_LINES = 1000;

/** The part of the WebAssembly global used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Llhttp {
  memory: { buffer: ArrayBuffer };
  malloc(size: number): number;
  free(ptr: number): void;
  llhttp_alloc(type: number): number;
  llhttp_free(ptr: number): void;
  llhttp_execute(ptr: number, data: number, length: number): number;
  llhttp_resume(ptr: number): void;
  llhttp_finish(ptr: number): number;
  llhttp_get_error_pos(ptr: number): number;
  llhttp_get_method(ptr: number): number;
  llhttp_get_http_major(ptr: number): number;
  llhttp_get_http_minor(ptr: number): number;
  llhttp_should_keep_alive(ptr: number): number;
}

/** The head of one request, as node:http would present it. */
export interface RequestHead {
  /** llhttp's method number (METHOD_GET = 1). */
  method: number;
  url: string;
  /** Lower-case names; duplicates merged as node:http does (see addHeader). */
  headers: IncomingHttpHeaders;
  /** "1.1", "1.0". */
  httpVersion: string;
  /** Whether the connection stays open after the answer (HTTP/1.1 without `Connection: close`). */
  keepAlive: boolean;
  /** How many Host field lines the head has (`headers.host` keeps the first, as node:http does). */
  hostLines: number;
}

/**
 * What one execute() found: `more` (the head is not complete yet), `request` (a head the caller accepted, the
 * whole message read; `rest` holds the bytes after it), `refused` (a head the caller does not answer, a head
 * over MAX_HEAD_BYTES, or bytes llhttp rejects; `raw` holds every byte of the message from its start, for
 * node:http), `target-too-long` (the request line alone passes MAX_HEAD_BYTES: RFC 9112 §3 asks for 414, where
 * node:http would answer 431).
 */
export type ParseResult =
  | { kind: "more" }
  | { kind: "request"; head: RequestHead; rest: Buffer }
  | { kind: "refused"; raw: Buffer }
  | { kind: "target-too-long" };

let wasm: Llhttp | undefined;
/** The parser inside llhttp_execute, and where its chunk sits in wasm memory; llhttp calls back into it. */
let current: RequestParser | undefined;
let chunkInMemory = 0;
let scratch = 0;
let scratchSize = 0;

/** Compiles llhttp once per process; throws when undici's build of it cannot be loaded. */
export function llhttp(): Llhttp {
  if (wasm) return wasm;
  const require = createRequire(import.meta.url);
  let module: object;
  try {
    module = new Wasm.Module(require("undici/lib/llhttp/llhttp_simd-wasm.js"));
  } catch {
    // A CPU or runtime without WebAssembly SIMD.
    module = new Wasm.Module(require("undici/lib/llhttp/llhttp-wasm.js"));
  }
  const span =
    (on: (parser: RequestParser, at: number, length: number) => number) =>
    (_p: number, at: number, length: number) =>
      current ? on(current, at - chunkInMemory, length) : HPE_OK;
  const instance = new Wasm.Instance(module, {
    env: {
      wasm_on_message_begin: () => current?.onMessageBegin() ?? HPE_OK,
      wasm_on_url: span((p, at, length) => p.onUrl(at, length)),
      wasm_on_status: () => HPE_OK,
      wasm_on_header_field: span((p, at, length) => p.onHeaderField(at, length)),
      wasm_on_header_value: span((p, at, length) => p.onHeaderValue(at, length)),
      wasm_on_headers_complete: () => current?.onHeadersComplete() ?? HPE_OK,
      wasm_on_body: () => HPE_OK,
      wasm_on_message_complete: () => current?.onMessageComplete() ?? HPE_OK,
    },
  });
  const exports = instance.exports as unknown as Llhttp & { _initialize?: () => void };
  exports._initialize?.();
  wasm = exports;
  return wasm;
}

/**
 * Header names whose duplicates node:http discards (the first one counts), from node's documentation of
 * `message.headers`; `set-cookie` is always an array, `cookie` joined with "; ", every other name with ", ".
 */
const FIRST_ONLY = new Set([
  "age",
  "authorization",
  "content-length",
  "content-type",
  "etag",
  "expires",
  "from",
  "host",
  "if-modified-since",
  "if-unmodified-since",
  "last-modified",
  "location",
  "max-forwards",
  "proxy-authorization",
  "referer",
  "retry-after",
  "server",
  "user-agent",
]);

/** Adds one header line to `headers` the way node:http builds `message.headers`. */
export function addHeader(headers: IncomingHttpHeaders, rawName: string, value: string): void {
  const name = rawName.toLowerCase();
  const before = headers[name];
  if (name === "set-cookie") {
    headers[name] = before === undefined ? [value] : [...(before as string[]), value];
  } else if (before === undefined) {
    headers[name] = value;
  } else if (!FIRST_ONLY.has(name)) {
    headers[name] = `${before}${name === "cookie" ? "; " : ", "}${value}`;
  }
}

/**
 * One connection's llhttp parser in request mode. Feed it what the socket reads; after a `request` result call
 * resume() before the next execute(). Free it when the connection ends.
 */
export class RequestParser {
  private readonly ll = llhttp();
  private ptr = this.ll.llhttp_alloc(TYPE_REQUEST);
  private chunk: Buffer = Buffer.alloc(0);
  /** Chunks read since the message began, for node:http should it get the message. */
  private raw: Buffer[] = [];
  private rawBytes = 0;
  private url = "";
  private headers: IncomingHttpHeaders = {};
  private field = "";
  private value = "";
  private inValue = false;
  private headBytes = 0;
  private refused = false;
  private head: RequestHead | undefined;
  /** llhttp's answer to the last execute(); HPE_OK again after resume(). */
  private errno = HPE_OK;
  /** Whether a message has begun and not yet been returned as a request. */
  private inMessage = false;
  private headerLines = 0;
  private hostLines = 0;
  /** Whether a header field has begun: until then the message is in its request line. */
  private inHeaders = false;

  /** @param accepts whether the socket-level path answers a request with this head */
  constructor(private readonly accepts: (head: RequestHead) => boolean) {}

  execute(chunk: Buffer): ParseResult {
    const ll = this.ll;
    if (chunk.length > scratchSize) {
      if (scratch) ll.free(scratch);
      scratchSize = Math.ceil(chunk.length / 16384) * 16384;
      scratch = ll.malloc(scratchSize);
    }
    new Uint8Array(ll.memory.buffer, scratch, chunk.length).set(chunk);
    this.raw.push(chunk);
    this.rawBytes += chunk.length;
    this.chunk = chunk;
    current = this;
    chunkInMemory = scratch;
    let errno: number;
    try {
      errno = ll.llhttp_execute(this.ptr, scratch, chunk.length);
    } finally {
      current = undefined;
    }
    this.errno = errno;
    if (this.targetTooLong(errno)) {
      this.raw = [];
      this.rawBytes = 0;
      return { kind: "target-too-long" };
    }
    // Bytes llhttp skips (blank lines, blanks around values) are kept in `raw` too: past MAX_HEAD_BYTES of an
    // unfinished head node:http gets them, as it reads such a stream without keeping it.
    if (errno === HPE_OK && this.rawBytes <= MAX_HEAD_BYTES) return { kind: "more" };
    if (errno === HPE_PAUSED && this.head && !this.refused) {
      const rest = chunk.subarray(ll.llhttp_get_error_pos(this.ptr) - scratch);
      const head = this.head;
      this.raw = [];
      this.rawBytes = 0;
      this.head = undefined;
      this.inMessage = false;
      return { kind: "request", head, rest };
    }
    const raw = this.raw.length === 1 ? this.raw[0] : Buffer.concat(this.raw);
    this.raw = [];
    this.rawBytes = 0;
    return { kind: "refused", raw };
  }

  /**
   * Whether the request line alone is longer than node:http reads of a head: the URL reached MAX_HEAD_BYTES, or
   * more than MAX_HEAD_BYTES arrived without the request line ending (no header field yet).
   */
  private targetTooLong(errno: number): boolean {
    if (!this.inMessage || this.inHeaders || this.url === "") return false;
    return this.url.length >= MAX_HEAD_BYTES || (errno === HPE_OK && this.rawBytes > MAX_HEAD_BYTES);
  }

  /** Lets the parser go on after a `request` result. */
  resume(): void {
    this.ll.llhttp_resume(this.ptr);
    this.errno = HPE_OK;
  }

  /**
   * Whether the input, ending after `rest` (bytes read but not parsed yet, after a `request` result), ends
   * inside a message or in bytes llhttp rejects: node:http then answers 400 (its parser.finish() at the end of
   * the input). Ends the parser's use for reading.
   */
  endsBroken(rest?: Buffer): boolean {
    if (rest !== undefined && rest.length > 0) {
      this.resume();
      const result = this.execute(rest);
      if (result.kind === "request") return false;
      if (result.kind === "target-too-long") return true;
      // Refused: a head it does not answer (a whole, valid message) or bytes llhttp rejects.
      if (result.kind === "refused") return this.errno !== HPE_OK && this.errno !== HPE_PAUSED;
    }
    // Only a message that has begun can be unfinished; blank lines before one are skipped, as node:http does.
    return this.inMessage && this.ll.llhttp_finish(this.ptr) !== HPE_OK;
  }

  free(): void {
    if (this.ptr) this.ll.llhttp_free(this.ptr);
    this.ptr = 0;
  }

  onMessageBegin(): number {
    // Bytes before the message (the CRLFs llhttp skips between messages) do not matter to node:http either.
    this.url = "";
    this.headers = {};
    this.field = "";
    this.value = "";
    this.inValue = false;
    this.headBytes = 0;
    this.headerLines = 0;
    this.hostLines = 0;
    this.inHeaders = false;
    this.refused = false;
    this.inMessage = true;
    return HPE_OK;
  }

  onUrl(at: number, length: number): number {
    this.url += this.text(at, length);
    return this.counted(length);
  }

  onHeaderField(at: number, length: number): number {
    this.inHeaders = true;
    if (this.inValue) this.endHeader();
    this.field += this.text(at, length);
    return this.counted(length);
  }

  onHeaderValue(at: number, length: number): number {
    this.inValue = true;
    this.value += this.text(at, length);
    return this.counted(length);
  }

  onHeadersComplete(): number {
    if (this.field) this.endHeader();
    if (this.headerLines > MAX_HEADER_LINES) {
      // node:http reads only the first MAX_HEADER_LINES: it answers such a request as it sees it.
      this.refused = true;
      return HPE_PAUSED;
    }
    const ll = this.ll;
    const major = ll.llhttp_get_http_major(this.ptr);
    const minor = ll.llhttp_get_http_minor(this.ptr);
    const head: RequestHead = {
      method: ll.llhttp_get_method(this.ptr),
      url: this.url,
      headers: this.headers,
      httpVersion: `${major}.${minor}`,
      keepAlive: ll.llhttp_should_keep_alive(this.ptr) === 1,
      hostLines: this.hostLines,
    };
    if (!this.accepts(head)) {
      this.refused = true;
      return HPE_PAUSED;
    }
    this.head = head;
    return HPE_OK;
  }

  onMessageComplete(): number {
    // Stop after each message: the next one is parsed when this one is answered.
    return HPE_PAUSED;
  }

  private endHeader(): void {
    // node:http trims the value's trailing blanks; llhttp already skipped the leading ones.
    addHeader(this.headers, this.field, this.value.replace(/[ \t]+$/, ""));
    this.headerLines++;
    if (this.field.length === 4 && this.field.toLowerCase() === "host") this.hostLines++;
    this.field = "";
    this.value = "";
    this.inValue = false;
  }

  private text(at: number, length: number): string {
    return this.chunk.toString("latin1", at, at + length);
  }

  /** Counts head bytes; past MAX_HEAD_BYTES the message goes to node:http, which answers 431. */
  private counted(length: number): number {
    this.headBytes += length;
    // node:http refuses a head of MAX_HEAD_BYTES already (its TrackHeader: header_nread_ >= max).
    if (this.headBytes < MAX_HEAD_BYTES) return HPE_OK;
    this.refused = true;
    return HPE_PAUSED;
  }
}
