/**
 * Yielding between the slices of long work (Cloud Controller pages, a discovery refresh, the own-metrics
 * render) so that scrapes and timers run in between.
 *
 * setImmediate alone is not enough: Node runs every immediate queued before its check phase in that one phase,
 * so ten CC pages answered at once, each parsing for 8 ms after its own setImmediate, still block the loop for
 * 80 ms in one piece. Here the waiting callers resume one per iteration of the event loop, in the order they
 * asked: each one's immediate is queued only once the previous one has fired, and an immediate queued during a
 * check phase runs in the next iteration (after the timers and I/O of that iteration).
 */
let previous: Promise<void> = Promise.resolve();

/** Resolves in a later iteration of the event loop than any nextTurn() asked for before it. */
export function nextTurn(): Promise<void> {
  const turn = previous.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  previous = turn;
  return turn;
}
