import type { Dispatcher } from "undici";
import type { BudgetSignal } from "./budget.js";

/**
 * Bytes queued before the request is paused (TCP backpressure on the target); it resumes once the reader
 * has taken the queue down to a quarter of that. A 20 KB scrape body arrives in one read and never pauses;
 * a slow caller holds at most about this much (plus one socket read) per scrape besides what the socket
 * buffers.
 */
const HIGH_WATER_BYTES = 64 * 1024;
/** Queued chunks of this size on average are handed out one by one; smaller ones are joined. */
const LARGE_CHUNK_BYTES = 8 * 1024;

/** What undici hands to the handler to steer one request (undici 7 DispatchController). */
type Controller = Dispatcher.DispatchController;

/**
 * A response body fed by an undici dispatch handler and read as an async iterable of chunks. It does the
 * job of undici's `request()` body (a Readable) for the one reader a scrape has, without a stream object,
 * its buffering machinery and its events per scrape. Leaving the iteration early (`return()`, also
 * `destroy()`) aborts the request, which closes its connection.
 */
export class UpstreamBody implements AsyncIterableIterator<Buffer> {
  private readonly chunks: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  private error: unknown;
  private waiting: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void } | undefined;

  constructor(private readonly controller: Controller) {}

  /** Called by the handler for each body chunk, in order. */
  push(chunk: Buffer): void {
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: chunk, done: false });
      return;
    }
    this.chunks.push(chunk);
    this.queuedBytes += chunk.length;
    if (this.queuedBytes >= HIGH_WATER_BYTES && !this.controller.paused) this.controller.pause();
  }

  /** The body is complete. */
  end(): void {
    this.ended = true;
    if (this.waiting && this.chunks.length === 0) {
      const { resolve } = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  /** The body broke off (timeout, reset, parse error, abort); the next read throws `error`. */
  fail(error: unknown): void {
    if (this.ended || this.error !== undefined) return;
    this.error = error;
    if (this.waiting) {
      const { reject } = this.waiting;
      this.waiting = undefined;
      reject(error);
    }
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.chunks.length > 0) {
      let value: Buffer;
      if (this.chunks.length === 1 || this.queuedBytes >= this.chunks.length * LARGE_CHUNK_BYTES) {
        // Socket-sized chunks (a large body read 64 KB at a time) are handed out as they are, without a copy;
        // at most HIGH_WATER_BYTES / LARGE_CHUNK_BYTES of them are queued, so the shift stays cheap.
        value = this.chunks.shift() as Buffer;
        this.queuedBytes -= value.length;
      } else {
        // Small chunks go out together: a target sending one HTTP chunk per line (thousands per socket read)
        // then costs the reader one write per read, not one per chunk.
        value = Buffer.concat(this.chunks, this.queuedBytes);
        this.chunks.length = 0;
        this.queuedBytes = 0;
      }
      if (this.controller.paused && this.queuedBytes <= HIGH_WATER_BYTES / 4) this.controller.resume();
      return Promise.resolve({ value, done: false });
    }
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** Stops reading: the rest of the body is not wanted (also what `for await` calls on break or throw). */
  return(): Promise<IteratorResult<Buffer>> {
    this.destroy();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Aborts the request unless the body is already complete or broken off; idempotent. */
  destroy(): void {
    this.chunks.length = 0;
    this.queuedBytes = 0;
    if (this.ended || this.error !== undefined) return;
    const reason = new Error("response body discarded");
    this.fail(reason);
    if (!this.controller.aborted) this.controller.abort(reason);
  }
}

/** Status, headers (lower-case names, as undici parses them) and body of a scrape response. */
export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}

/**
 * Sends one request with undici's `dispatch()` (undici 7 handler API) and resolves with its status and
 * headers once they arrive; the body follows through `UpstreamBody`. Rejects with undici's error (connect,
 * headers timeout, socket, parse) before the headers; later errors surface on the body. `signal` aborts the
 * request at any phase, also while it waits in a pool's queue or connects (the promise rejects at once);
 * the rejection or body error is then the signal's reason.
 */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: BudgetSignal,
): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const handler = new ScrapeDispatch(signal, resolve, reject);
    signal.addEventListener("abort", handler.onAbort);
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      handler.failed(error);
    }
  });
}

/**
 * The dispatch handler of one scrape request. Its methods live on the prototype, so a scrape allocates one
 * object here and one closure (the abort listener), not a closure per callback.
 */
class ScrapeDispatch implements Dispatcher.DispatchHandler {
  private controller: Controller | undefined;
  private body: UpstreamBody | undefined;
  private settled = false;

  constructor(
    private readonly signal: BudgetSignal,
    private readonly resolve: (response: UpstreamResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /**
   * A request still queued or connecting has no controller yet: answer the caller now, and abort the request
   * as soon as undici starts it (onRequestStart).
   */
  readonly onAbort = (): void => {
    if (this.controller) this.controller.abort(this.signal.reason as Error);
    else if (!this.settled) {
      this.settled = true;
      this.reject(this.signal.reason);
    }
  };

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(this.signal.reason as Error);
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 1xx (102 Processing, 103 Early Hints) are informational: the final answer follows (RFC 9110 15.2).
    if (this.settled || statusCode < 200) return;
    this.body = new UpstreamBody(controller);
    this.settled = true;
    this.resolve({ statusCode, headers, body: this.body });
  }

  onResponseData(_controller: Controller, chunk: Buffer): void {
    this.body?.push(chunk);
  }

  onResponseEnd(): void {
    this.signal.removeEventListener("abort", this.onAbort);
    this.body?.end();
  }

  onResponseError(_controller: Controller, error: Error): void {
    this.failed(error);
  }

  /** The request failed: before the head the promise rejects, after it the body breaks off. */
  failed(error: unknown): void {
    this.signal.removeEventListener("abort", this.onAbort);
    if (!this.settled) {
      this.settled = true;
      this.reject(error);
    } else this.body?.fail(error);
  }
}
