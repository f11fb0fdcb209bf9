/** Chunks below this size are copied into a shared block instead of being kept as Buffers of their own. */
const SMALL_CHUNK_BYTES = 4 * 1024;
/** Size of one block that small chunks are copied into. */
const BLOCK_BYTES = 16 * 1024;

/**
 * Collects body chunks in order while they cannot be passed on yet (before the status is committed, while
 * a compressed body is gathered for one inflate). Large chunks are kept as they are (no copy); runs of
 * small ones are copied into 16 KB blocks. A target that sends its body a byte per TCP segment otherwise
 * leaves one Buffer object (a few hundred bytes of heap) per byte: 64 KB collected that way held about
 * 15 MB per scrape.
 */
export class ChunkCollector {
  private readonly parts: Buffer[] = [];
  private block: Buffer | undefined;
  private blockUsed = 0;
  /** Bytes collected. */
  bytes = 0;

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (chunk.length >= SMALL_CHUNK_BYTES) {
      this.closeBlock();
      this.parts.push(chunk);
      return;
    }
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.block || this.blockUsed === this.block.length) {
        this.closeBlock();
        this.block = Buffer.allocUnsafe(BLOCK_BYTES);
      }
      const copied = chunk.copy(this.block, this.blockUsed, offset);
      this.blockUsed += copied;
      offset += copied;
    }
  }

  /** The collected bytes in order, as few Buffers as were kept; the collector is empty afterwards. */
  take(): Buffer[] {
    this.closeBlock();
    const parts = this.parts.splice(0);
    this.bytes = 0;
    return parts;
  }

  private closeBlock(): void {
    if (this.block && this.blockUsed > 0) this.parts.push(this.block.subarray(0, this.blockUsed));
    this.block = undefined;
    this.blockUsed = 0;
  }
}
