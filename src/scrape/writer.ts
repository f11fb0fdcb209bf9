import { once } from "node:events";
import type { OutgoingHttpHeaders } from "node:http";
import { ChunkCollector } from "../chunk-collector.js";
import type { InboundResponse } from "../http-exchange.js";
import type { BudgetSignal } from "./budget.js";

/**
 * Writes a 200 answer, but commits the status only once more than `threshold` bytes are collected (or the
 * body ends): a body of up to `threshold` bytes goes out whole. Until then a failure can still become a
 * proper error status; after that the only honest signal left is a broken connection. What is held back is
 * the threshold plus the chunk that crossed it, also when the body comes in tiny pieces (ChunkCollector).
 */
export class CommittingWriter {
  private readonly pending = new ChunkCollector();
  private isCommitted = false;

  constructor(
    private readonly res: InboundResponse,
    private readonly headers: OutgoingHttpHeaders,
    private readonly threshold: number,
    private readonly signal: BudgetSignal,
  ) {}

  get committed(): boolean {
    return this.isCommitted;
  }

  /**
   * Takes the next piece of the body; a promise when the caller must wait (a slow caller's backpressure), else
   * undefined, so that a body held back whole costs its reader no promise per chunk.
   */
  write(chunk: Buffer): Promise<void> | undefined {
    if (chunk.length === 0) return undefined;
    if (this.isCommitted) return this.send(chunk);
    this.pending.push(chunk);
    if (this.pending.bytes <= this.threshold) return undefined;
    this.res.writeHead(200, this.headers);
    this.isCommitted = true;
    return this.sendAll(this.pending.take());
  }

  /** Ends the answer; a body that never reached the threshold goes out whole, with Content-Length. */
  end(last: Buffer): void {
    if (this.isCommitted) {
      this.res.end(last);
      return;
    }
    const length = this.pending.bytes + last.length;
    const parts = this.pending.take();
    this.res.writeHead(200, { ...this.headers, "content-length": length });
    this.isCommitted = true;
    if (parts.length === 0) {
      this.res.end(last);
      return;
    }
    // Corked, the parts leave in one writev with the head, without being copied into one buffer first.
    this.res.cork();
    for (const part of parts) this.res.write(part);
    this.res.end(last);
    this.res.uncork();
  }

  /**
   * Writes the parts one after the other, each waiting for a slow caller. Not corked: on Node 24 a chunked
   * answer written corked buffers in the response itself, and its "drain" never comes when the socket did
   * not need one, so a wait for it hangs.
   */
  private async sendAll(parts: Buffer[]): Promise<void> {
    for (const part of parts) await this.send(part);
  }

  private send(chunk: Buffer): Promise<void> | undefined {
    if (this.res.write(chunk)) return undefined;
    // Backpressure from a slow caller; the budget signal ends the wait.
    // events.once checks only `aborted` and adds and removes an "abort" listener.
    return once(this.res, "drain", { signal: this.signal as AbortSignal }).then(() => undefined);
  }
}
