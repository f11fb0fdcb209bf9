// What Node's heap limits cost the scrape path: the same number of scrapes (50 at a time, an undici pool as the
// client) through Promregator started with each given set of node options in turn, counting its garbage
// collections (lib/gc-count-probe.mjs) and CPU time. Garbage-collection counts depend on the allocation pattern,
// not on the machine's load, so they compare option sets even on a noisy machine; CPU per scrape does not.
//
//   node bench/heap-limits.mjs [--path /large] [--scrapes 4000] [--rounds 2] -- "<options>" ...
//   e.g. node bench/heap-limits.mjs -- "" "--max-old-space-size=160 --max-semi-space-size=2"
// Without option sets: none ("") against the shipped ones (HEAP_OPTIONS).
// --path: /small (20 KB), /large (190 KB) of lib/exposition-app.mjs. Results: bench/results/heap-limits.json.
import { parseArgs } from "node:util";
import { GC_COUNT_PROBE, gcCounts } from "./lib/gc-counts.mjs";
import { cpuSeconds } from "./lib/proc.mjs";
import { HEAP_OPTIONS, startExpositionApp, startSimulatorProcess } from "./lib/processes.mjs";
import { printTable, round, writeResult } from "./lib/report.mjs";
import {
  SINGLE_APP_LANDSCAPE,
  scrapeMany,
  shownCommand,
  startSingleTargetPromregator,
} from "./lib/single-target.mjs";

const CONCURRENCY = 50;

const { values, positionals: optionSets } = parseArgs({
  allowPositionals: true,
  options: {
    path: { type: "string", default: "/large" },
    scrapes: { type: "string", default: "4000" },
    rounds: { type: "string", default: "2" },
  },
});
const scrapes = Number(values.scrapes);
const rounds = Number(values.rounds);
if (optionSets.length === 0) optionSets.push("", HEAP_OPTIONS.join(" "));

const app = await startExpositionApp();
const sim = await startSimulatorProcess({ landscape: SINGLE_APP_LANDSCAPE });
const rows = [];
try {
  for (let r = 0; r < rounds; r++) {
    for (const options of optionSets) {
      const nodeOptions = [...options.split(" ").filter(Boolean), "--import", GC_COUNT_PROBE];
      const { promregator, url } = await startSingleTargetPromregator({
        sim,
        appPort: app.port,
        path: values.path,
        nodeOptions,
      });
      try {
        await scrapeMany(url, 1000, CONCURRENCY); // warm-up
        const before = await gcCounts(promregator);
        const cpuBefore = cpuSeconds(promregator.pid);
        await scrapeMany(url, scrapes, CONCURRENCY);
        const cpu = cpuSeconds(promregator.pid) - cpuBefore;
        const after = await gcCounts(promregator);
        rows.push({
          round: r + 1,
          options: options || "(none)",
          scrapes,
          minorGCs: after.minor - before.minor,
          majorGCs: after.major - before.major,
          gcPauseMsPer1000: round(((after.ms - before.ms) * 1000) / scrapes, 1),
          cpuUsPerScrape: round((cpu * 1e6) / scrapes, 0),
        });
      } finally {
        await promregator.stop();
      }
    }
  }
} finally {
  await sim.stop();
  await app.stop();
}
printTable(`Heap limits: ${scrapes} scrapes of ${values.path}, ${CONCURRENCY} at a time`, rows);
writeResult(
  "heap-limits",
  {
    command: shownCommand("bench/heap-limits.mjs"),
  },
  { path: values.path, concurrency: CONCURRENCY, rows },
);
process.exit(0);
