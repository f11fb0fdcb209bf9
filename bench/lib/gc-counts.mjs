// Reading lib/gc-count-probe.mjs from the benchmark's side: start the process under test with
// `--import GC_COUNT_PROBE`, then gcCounts(process) answers its running totals.
import { join } from "node:path";

export const GC_COUNT_PROBE = join(import.meta.dirname, "gc-count-probe.mjs");

/**
 * Sends SIGUSR2 and resolves with the next GC_COUNT line the process prints:
 * `{ minor, major, incremental, weak, ms }` (collections by kind since start, summed pause ms).
 */
export function gcCounts(child) {
  return new Promise((resolve) => {
    const before = child.output().length;
    process.kill(child.pid, "SIGUSR2");
    const poll = setInterval(() => {
      const match = /GC_COUNT (\{.*\})/.exec(child.output().slice(before));
      if (!match) return;
      clearInterval(poll);
      resolve(JSON.parse(match[1]));
    }, 20);
  });
}
