/** Chunks below this size count as small. */
const SMALL_CHUNK_BYTES = 4 * 1024;
/** Small chunks kept as they are before they are copied into a block; most bodies never get here. */
const MAX_SMALL_RUN = 16;
/** Size of one block that runs of small chunks are copied into. */
const BLOCK_BYTES = 16 * 1024;

/**
 * Collects body chunks in order while they cannot be passed on yet: a scrape body before its status is
 * committed or while it is gathered for one inflate, a Cloud Controller, UAA or token service answer read
 * whole. Large chunks are kept as they are; a few small ones too
 * (no copy for the usual body of one or two reads); once more than MAX_SMALL_RUN small ones follow each
 * other they are copied into 16 KB blocks. A target that sends its body a byte per TCP segment otherwise
 * leaves one Buffer object (a few hundred bytes of heap) per byte: 64 KB collected that way held about
 * 15 MB per scrape, so a byte cap on the body would not bound its memory.
 */
export class ChunkCollector {
  private readonly parts: Buffer[] = [];
  /** Small chunks after the last part, not yet copied. */
  private readonly run: Buffer[] = [];
  private block: Buffer | undefined;
  private blockUsed = 0;
  /** Bytes collected. */
  bytes = 0;

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (chunk.length >= SMALL_CHUNK_BYTES) {
      this.closeRun();
      this.parts.push(chunk);
      return;
    }
    this.run.push(chunk);
    if (this.run.length > MAX_SMALL_RUN) this.copyRun();
  }

  /** The collected bytes in order, as few Buffers as were kept; the collector is empty afterwards. */
  take(): Buffer[] {
    this.closeRun();
    const parts = this.parts.slice();
    this.parts.length = 0;
    this.bytes = 0;
    return parts;
  }

  /** Ends a run of small chunks: kept as they are if never copied, else the block so far. */
  private closeRun(): void {
    if (this.block) {
      this.copyRun();
      if (this.blockUsed > 0) this.parts.push(this.block.subarray(0, this.blockUsed));
      this.block = undefined;
      this.blockUsed = 0;
    } else if (this.run.length > 0) {
      for (const chunk of this.run) this.parts.push(chunk);
      this.run.length = 0;
    }
  }

  private copyRun(): void {
    for (const chunk of this.run) {
      let offset = 0;
      while (offset < chunk.length) {
        if (!this.block || this.blockUsed === this.block.length) {
          if (this.block) this.parts.push(this.block);
          this.block = Buffer.allocUnsafe(BLOCK_BYTES);
          this.blockUsed = 0;
        }
        const copied = chunk.copy(this.block, this.blockUsed, offset);
        this.blockUsed += copied;
        offset += copied;
      }
    }
    this.run.length = 0;
  }
}
