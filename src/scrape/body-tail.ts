/** Passes chunks through and places the own samples after the last one. */
export interface BodyTail {
  /** Returns the part of `chunk` (plus anything held back before) that can be sent now. */
  push(chunk: Buffer): Buffer;
  /**
   * What to send after the last chunk: what was held back, with `own` in its place. With `own` undefined the
   * body stays exactly as it came. Throws a ScrapeFailure when the body ends where no own samples can go
   * without changing what a parser makes of it (a cut-off body).
   */
  finish(own: Buffer | undefined): Buffer;
  /** Set by finish when the own samples were left out to keep the body as it is: why, for the log. */
  readonly leftOut?: string;
}
