// What discovery refreshes leave to the old generation: refresh-blocks' landscape (10,000 instances, refreshed on
// every run of the discovery loop, no scrapes), watched for --seconds after the first discovery and 5 s of
// rest, by each given build in turn (--rounds times, the order reversed every other round). Two views of one run:
// - V8's sampling heap profiler keeping only what outlived the young generation (lib/heap-sampling-probe.mjs
//   with HEAP_SAMPLING_SURVIVORS=1): bytes promoted in the window, still alive or freed by a full collection
//   since, by allocating function. With the shipped --max-semi-space-size=2, anything that lives through about
//   4 MB of allocation is promoted, and what a refresh promotes and then drops is work for full collections.
// - --trace-gc in the window: the full collections (Mark-Compact) apart from the memory reducer's, which V8
//   runs on a process that has gone quiet ("reduce"), their summed pauses, and the most heap V8 had committed.
//
//   npm run build && node bench/refresh-garbage.mjs [--seconds 21] [--rounds 2] [-- <dist/cli.js of a build> ...]
// Without builds: the current one (dist/cli.js). Results: bench/results/refresh-garbage.json.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CLI } from "./lib/processes.mjs";
import { startRefreshing } from "./refresh-blocks.mjs";
import { commitOf, median, printTable, round, writeResult } from "./lib/report.mjs";
import { shownCommand } from "./lib/single-target.mjs";

const PROBE = join(import.meta.dirname, "lib/heap-sampling-probe.mjs");
const REST_MS = 5_000;
const TOP_FUNCTIONS = 12;
/** A --trace-gc line of a full collection: used MB before, committed MB before, and the pause in ms. */
const MARK_COMPACT =
  /Mark-Compact(?: \((\w+)\))? ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, ([\d.]+) \//;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: "string", default: "21" },
    rounds: { type: "string", default: "2" },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const builds = positionals.length > 0 ? positionals : [CLI];

/** Promoted bytes per function of Promregator's own code (name and file:line), summed over the call tree. */
function bytesByFunction(profile) {
  const byFunction = new Map();
  let total = 0;
  const visit = (node, own) => {
    const frame = node.callFrame;
    const mine = /\/dist\/[^/]/.test(frame.url) && !frame.url.includes("node_modules");
    const here = mine
      ? `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*\/dist\//, "")}:${frame.lineNumber + 1}`
      : own;
    if (node.selfSize) {
      total += node.selfSize;
      const key = here ?? "(outside Promregator's code)";
      byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) visit(child, here);
  };
  visit(profile.head, undefined);
  return { total, byFunction };
}

/** The full collections of --trace-gc output, apart from the ones a forced gc() ran ("testing"). */
function fullCollections(output) {
  const found = [];
  for (const line of output.split("\n")) {
    const m = MARK_COMPACT.exec(line);
    if (!m || line.includes("testing")) continue;
    found.push({
      reducer: m[1] === "reduce",
      usedBeforeMB: Number(m[2]),
      committedBeforeMB: Number(m[3]),
      pauseMs: Number(m[6]),
    });
  }
  return found;
}

async function measure(cli) {
  process.env.HEAP_SAMPLING_SURVIVORS = "1";
  const file = (pid) => join(tmpdir(), `heap-sampling-${pid}.json`);
  const { sim, promregator } = await startRefreshing({
    cli,
    nodeOptions: ["--expose-gc", "--trace-gc", "--import", PROBE],
  }).finally(() => delete process.env.HEAP_SAMPLING_SURVIVORS);
  try {
    await new Promise((r) => setTimeout(r, REST_MS));
    rmSync(file(promregator.pid), { force: true });
    process.kill(promregator.pid, "SIGUSR2");
    const from = promregator.output().length;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const trace = promregator.output().slice(from);
    process.kill(promregator.pid, "SIGUSR2");
    while (!existsSync(file(promregator.pid))) {
      if (promregator.exited()) throw new Error(`Promregator exited:\n${promregator.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200));
    const profile = JSON.parse(readFileSync(file(promregator.pid), "utf8"));
    rmSync(file(promregator.pid), { force: true });
    if (profile.error) throw new Error(`heap sampling failed: ${profile.error}`);
    const { total, byFunction } = bytesByFunction(profile);
    const full = fullCollections(trace);
    const others = full.filter((c) => !c.reducer);
    return {
      promotedMB: round(total / 1e6, 2),
      fullCollections: others.length,
      fullPauseMs: round(
        others.reduce((a, c) => a + c.pauseMs, 0),
        1,
      ),
      reducerCollections: full.length - others.length,
      maxCommittedMB: Math.max(0, ...full.map((c) => c.committedBeforeMB)),
      top: [...byFunction]
        .sort((a, b) => b[1] - a[1])
        .slice(0, TOP_FUNCTIONS)
        .map(([fn, bytes]) => ({ function: fn, promotedMB: round(bytes / 1e6, 2) })),
    };
  } finally {
    await promregator.stop();
    await sim.stop();
  }
}

const names = builds.map(
  (cli) => commitOf(resolve(dirname(resolve(cli)), "..")) ?? relative(process.cwd(), cli),
);
const runs = [];
for (let r = 1; r <= rounds; r++) {
  const order = r % 2 === 1 ? builds.map((_, i) => i) : builds.map((_, i) => builds.length - 1 - i);
  for (const i of order) {
    const result = await measure(builds[i]);
    process.stdout.write(
      `  round ${r}: ${names[i]}: ${result.promotedMB} MB promoted, ${result.fullCollections} full collections (${result.fullPauseMs} ms), ${result.reducerCollections} by the memory reducer, committed <= ${result.maxCommittedMB} MB\n`,
    );
    runs.push({ round: r, build: names[i], ...result });
  }
}
for (const run of runs) printTable(`round ${run.round}, ${run.build}: promoted MB by function`, run.top);
const summary = names.map((build) => {
  const mine = runs.filter((r) => r.build === build);
  const med = (key) => round(median(mine.map((r) => r[key])), 2);
  return {
    build,
    promotedMB: med("promotedMB"),
    fullCollections: med("fullCollections"),
    fullPauseMs: med("fullPauseMs"),
    reducerCollections: med("reducerCollections"),
    maxCommittedMB: med("maxCommittedMB"),
  };
});
printTable(
  `Refreshes alone, 10,000 instances, ${seconds} s (medians of ${rounds} round${rounds === 1 ? "" : "s"}): bytes promoted to the old generation, full collections apart from the memory reducer's and their pauses, the most heap committed`,
  summary,
);
writeResult(
  "refresh-garbage",
  { command: shownCommand("bench/refresh-garbage.mjs"), builds: names },
  { seconds, rounds, summary, runs },
);
