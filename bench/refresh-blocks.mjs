// Event-loop blocks of the discovery refresh alone: 2,500 apps with 4 instances each (10,000 instances, the
// memory benchmark's landscape), no scrapes, the apps, routes and processes layers refreshed every 10 s (the
// discovery loop's period). Without scrape load the blocks are the refresh's own, not a share of the cores.
// Each contender is a fresh simulator and Promregator, watched for --seconds after its first discovery; with
// --baseline-cli the builds alternate (baseline, current, current, baseline, ...) for --rounds rounds. The loop
// runs 10 s after its previous run ended, so --seconds 10 k + 2 watches about k refreshes (the default 62: six;
// ccRequests / 28 counts them). The garbage collections of the watched time are counted too
// (lib/gc-count-probe.mjs): full ones, young-generation ones and their summed pauses.
//
// With --profile every contender runs under --cpu-prof (which slows it: the figures are then not comparable with
// runs without), and the report names what ran during its blocks.
//
//   npm run build && node bench/run.mjs refresh-blocks [--rounds N] [--seconds N] [--profile] [--baseline-cli <build>/dist/cli.js]
import { join } from "node:path";
import { culpritsFromDir } from "./lib/cpuprofile.mjs";
import { GC_COUNT_PROBE, gcCounts } from "./lib/gc-counts.mjs";
import { cpuSeconds } from "./lib/proc.mjs";
import {
  freePort,
  HEAP_OPTIONS,
  refreshingRouterYaml,
  startPromregatorProcess,
  startSimulatorProcess,
  tempDir,
} from "./lib/processes.mjs";
import { median, printTable, round, writeResult } from "./lib/report.mjs";

const PROBE = join(import.meta.dirname, "lib/loop-delay-probe.mjs");
/** Blocks of at least this many ms are counted (the probe's LOOP_STALL_MS). */
const BLOCK_MS = 8;
/** Cache timeout of the three 5-minute layers, below the loop's 10 s: every run of the loop is a refresh. */
const REFRESH_S = 2;
/** The pause between two runs of Promregator's discovery loop (DEFAULT_TICK_MS, src/discovery/service.ts). */
const LOOP_S = 10;
const LANDSCAPE = { orgs: 2, spacesPerOrg: 5, appsPerSpace: 250, instances: 4, sizeBytes: 20_000 };
/** Keep-alive of the simulated CC, as long as a real foundation's router (see memory.mjs). */
const IDLE_TIMEOUT_MS = 90_000;
const LOOP_STALL = /LOOP_STALL (\{.*\})/g;

/**
 * A simulator with this benchmark's landscape and a Promregator (`cli`, else the current build) refreshing it on
 * every run of its discovery loop, with the shipped heap options and `nodeOptions`; resolves after the first
 * discovery. Also used by refresh-garbage.mjs.
 */
export async function startRefreshing({ cli, nodeOptions = [], cpuProfDir }) {
  const sim = await startSimulatorProcess({ generate: LANDSCAPE, idleTimeoutMs: IDLE_TIMEOUT_MS });
  try {
    const port = await freePort();
    const promregator = await startPromregatorProcess({
      yaml: refreshingRouterYaml({ sim, port, refreshSeconds: REFRESH_S }),
      port,
      caPem: sim.caPem,
      nodeOptions: [...HEAP_OPTIONS, ...nodeOptions],
      readyTimeoutMs: 120_000,
      cpuProfDir,
      ...(cli ? { cli } : {}),
    });
    return { sim, promregator };
  } catch (error) {
    await sim.stop();
    throw error;
  }
}

async function measure({ cli, seconds, profile }) {
  const cpuProfDir = profile ? tempDir("cpuprof") : undefined;
  let result;
  process.env.LOOP_STALL_MS = String(BLOCK_MS);
  const { sim, promregator } = await startRefreshing({
    cli,
    nodeOptions: ["--import", PROBE, "--import", GC_COUNT_PROBE],
    cpuProfDir,
  }).catch((error) => {
    delete process.env.LOOP_STALL_MS;
    throw error;
  });
  try {
    const from = promregator.output().length;
    const cpuBefore = cpuSeconds(promregator.pid);
    const ccBefore = (await sim.counters()).ccRequests;
    const gcBefore = await gcCounts(promregator);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const cpu = cpuSeconds(promregator.pid) - cpuBefore;
    const ccRequests = (await sim.counters()).ccRequests - ccBefore;
    const gcAfter = await gcCounts(promregator);
    const stalls = [...promregator.output().slice(from).matchAll(LOOP_STALL)].map((m) => JSON.parse(m[1]));
    const blocks = stalls.map((s) => s.ms).sort((a, b) => b - a);
    result = {
      blocks: blocks.length,
      blockMsSum: blocks.reduce((a, b) => a + b, 0),
      longestMs: blocks[0] ?? 0,
      longestFive: blocks.slice(0, 5),
      cpuSeconds: Number(cpu.toFixed(2)),
      ccRequests,
      // collections in the watched time: full (major) and young-generation (minor) ones, all pauses summed
      fullGcs: gcAfter.major - gcBefore.major,
      youngGcs: gcAfter.minor - gcBefore.minor,
      gcPauseMs: Math.round(gcAfter.ms - gcBefore.ms),
      stalls,
    };
  } finally {
    await promregator.stop();
    await sim.stop();
    delete process.env.LOOP_STALL_MS;
  }
  const { stalls, ...figures } = result;
  return cpuProfDir ? { ...figures, culprits: culpritsFromDir(cpuProfDir, stalls) } : figures;
}

export async function runRefreshBlocks({
  rounds = 3,
  seconds = 62,
  profile = false,
  baselineCli,
  ...context
}) {
  const contenders = [...(baselineCli ? [{ name: "baseline", cli: baselineCli }] : []), { name: "current" }];
  const runs = [];
  for (let round = 1; round <= rounds; round++) {
    // A B, B A, A B, ...: neither build always runs first.
    const order = round % 2 === 1 ? contenders : [...contenders].reverse();
    for (const { name, cli } of order) {
      const result = await measure({ cli, seconds, profile });
      process.stdout.write(
        `  round ${round}: ${name}: ${result.blocks} blocks >= ${BLOCK_MS} ms, ${result.blockMsSum} ms in all, longest ${result.longestMs} ms; ${result.fullGcs} full and ${result.youngGcs} young collections, ${result.gcPauseMs} ms of pauses\n`,
      );
      if (result.culprits) printTable(`round ${round}, ${name}: what ran during the blocks`, result.culprits);
      runs.push({ round, contender: name, ...result });
    }
  }
  const summary = contenders.map(({ name }) => {
    const mine = runs.filter((r) => r.contender === name);
    const med = (key) => round(median(mine.map((r) => r[key])));
    return {
      contender: name,
      blocks: med("blocks"),
      blockMsSum: med("blockMsSum"),
      longestMs: med("longestMs"),
      cpuSeconds: med("cpuSeconds"),
      ccRequests: med("ccRequests"),
      fullGcs: med("fullGcs"),
      youngGcs: med("youngGcs"),
      gcPauseMs: med("gcPauseMs"),
    };
  });
  printTable(
    `Discovery refreshes alone, 10,000 instances, ${seconds} s after the first discovery (medians of ${rounds} round${rounds === 1 ? "" : "s"}; blocks of the event loop >= ${BLOCK_MS} ms; Promregator's CPU; Cloud Controller requests; garbage collections and their summed pauses)`,
    summary,
  );
  return writeResult("refresh-blocks", context, {
    seconds,
    profiled: profile,
    blockMs: BLOCK_MS,
    cacheTimeoutSeconds: REFRESH_S,
    discoveryLoopSeconds: LOOP_S,
    instances: LANDSCAPE.orgs * LANDSCAPE.spacesPerOrg * LANDSCAPE.appsPerSpace * LANDSCAPE.instances,
    /** The simulator's generated landscape; `instances` there is per app. */
    landscape: LANDSCAPE,
    summary,
    runs,
  });
}
