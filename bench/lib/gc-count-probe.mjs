// Preloaded into the process under test (node --import): counts its garbage collections by kind
// (perf_hooks "gc" entries) and prints the running totals to stderr on SIGUSR2:
//   GC_COUNT {"minor":..,"major":..,"incremental":..,"weak":..,"ms":..}
// (kinds: NODE_PERFORMANCE_GC_MINOR 1, _MAJOR 4, _INCREMENTAL 8, _WEAKCB 16; ms: summed pause time).
import { constants, PerformanceObserver } from "node:perf_hooks";

const counts = { minor: 0, major: 0, incremental: 0, weak: 0, ms: 0 };
const KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak",
};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = KINDS[entry.detail?.kind];
    if (kind) counts[kind]++;
    counts.ms += entry.duration;
  }
}).observe({ entryTypes: ["gc"] });
process.on("SIGUSR2", () => {
  // The observer delivers entries asynchronously: let the pending ones arrive first.
  setTimeout(() => process.stderr.write(`GC_COUNT ${JSON.stringify(counts)}\n`), 100);
});
