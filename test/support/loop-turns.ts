/**
 * Counts iterations of the event loop while work runs: an immediate queued during a check phase runs in the
 * next iteration, so a self-rescheduling immediate ticks once per iteration. Call stop() when done.
 */
export function countLoopTurns(): { readonly turns: number; stop(): void } {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get turns() {
      return turns;
    },
    stop() {
      running = false;
    },
  };
}
