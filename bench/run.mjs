// `npm run bench [-- name...] [--seconds N] [--minutes N] [--profile] [--prometheus]`
// Runs the benchmarks one after another (never two at once: they would share the two cores).

import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stopAllChildren } from "./lib/child.mjs";
import { waitForQuietMachine } from "./lib/proc.mjs";
import { parseEnvList } from "./lib/processes.mjs";
import { commitOf, machine } from "./lib/report.mjs";

const BENCHMARKS = {
  scrape: async (o) => (await import("./scrape.mjs")).runScrape(o),
  discovery: async (o) => (await import("./discovery.mjs")).runDiscovery(o),
  slow: async (o) => (await import("./slow.mjs")).runSlow(o),
  memory: async (o) => (await import("./memory.mjs")).runMemory(o),
  "stalled-callers": async (o) => (await import("./stalled-callers.mjs")).runStalledCallers(o),
  "refresh-blocks": async (o) => (await import("./refresh-blocks.mjs")).runRefreshBlocks(o),
};

const USAGE = `usage: node bench/run.mjs [${Object.keys(BENCHMARKS).join("|")} ...] [options]
  --seconds N    scrape: seconds per wrk case and round (default 6); slow: seconds per phase (default 25);
                 refresh-blocks: seconds watched after the first discovery (default 62)
  --rounds N     scrape: interleaved rounds of all contenders, each proxy a fresh process per round;
                 figures are their medians, ratios the medians of per-round ratios (default 3);
                 stalled-callers and refresh-blocks: alternating rounds of the baseline and the current build (default 3)
  --sizes LIST   scrape: only these body sizes, comma-separated (20KB,190KB,20KB gzip; default all; 1MB gzip
                 only when named), written to bench/results/scrape-<sizes>.json instead of scrape.json
  --minutes N    memory: duration in minutes (default 10)
  --profile      also profile Promregator (node --cpu-prof) and list the top self-time functions;
                 memory and refresh-blocks: what ran during each block of its event loop (refresh-blocks'
                 figures are then those of a profiled process)
  --prometheus   memory: scrape with a real Prometheus instead of the built-in load generator
  --instances N  memory: instances scraped (default 3000; multiples of 30, or of 40 above 3000)
  --baseline-cli PATH   memory, scrape, stalled-callers and refresh-blocks: also run this build's dist/cli.js, in the same run, as the baseline
  --baseline-heap-limits  memory: run the baseline build of --baseline-cli with the heap limits the current
                 build ships with (by default it runs without, as builds before those limits did; the current
                 build as the baseline always has them)
  --baseline-node-options="OPTS"  memory and scrape: run the baseline with these node options instead; without
                 --baseline-cli the baseline is the current build, so the run compares node options alone
  --baseline-env="K=V ..."  memory and scrape: run the baseline with these environment variables instead of the
                 ones the Dockerfile and manifest set (SHIPPED_ENV of lib/processes.mjs; "" for none); without
                 --baseline-cli the baseline is the current build
  --max-wait N   seconds to wait for other processes to calm down before each benchmark (default 180)
`;

function parse() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seconds: { type: "string" },
      rounds: { type: "string" },
      sizes: { type: "string" },
      minutes: { type: "string" },
      profile: { type: "boolean", default: false },
      prometheus: { type: "boolean", default: false },
      instances: { type: "string" },
      "baseline-cli": { type: "string" },
      "baseline-heap-limits": { type: "boolean", default: false },
      "baseline-node-options": { type: "string" },
      "baseline-env": { type: "string" },
      "max-wait": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const unknown = positionals.filter((p) => !(p in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(", ")}\n${USAGE}`);
  const number = (name, min = Number.MIN_VALUE) => {
    if (values[name] === undefined) return undefined;
    const n = Number(values[name]);
    if (!(n >= min)) throw new Error(`--${name} must be a number >= ${min}, got ${values[name]}`);
    return n;
  };
  return {
    names: positionals.length > 0 ? positionals : Object.keys(BENCHMARKS),
    seconds: number("seconds"),
    rounds: number("rounds", 1),
    sizes: values.sizes?.split(",").map((size) => size.trim()),
    minutes: number("minutes"),
    profile: values.profile,
    prometheus: values.prometheus,
    instances: number("instances", 1),
    baselineCli: values["baseline-cli"],
    baselineHeapLimits: values["baseline-heap-limits"],
    baselineNodeOptions: values["baseline-node-options"]?.split(" ").filter(Boolean),
    baselineEnv: values["baseline-env"] === undefined ? undefined : parseEnvList(values["baseline-env"]),
    maxWaitSeconds: number("max-wait", 0) ?? 180,
  };
}

async function main() {
  const options = parse();
  if (!existsSync(resolve(import.meta.dirname, "../dist/cli.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (npm run bench does it for you)");
  }
  const m = machine();
  process.stdout.write(`machine: ${m.nproc} cores, ${m.cpuModel}, Node ${m.node}, load ${m.loadAverage1m}\n`);
  for (const name of options.names) {
    const current = commitOf(resolve(import.meta.dirname, ".."));
    const builds = {
      current,
      // With node options alone the baseline is the current build.
      ...(options.baselineCli
        ? // The checkout the build was made from: its dist/ is ignored by git, its sources are not.
          { baseline: commitOf(resolve(dirname(resolve(options.baselineCli)), "..")) }
        : options.baselineNodeOptions || options.baselineEnv
          ? { baseline: current }
          : {}),
    };
    const flags = process.argv
      .slice(2)
      .filter((a) => !(a in BENCHMARKS))
      .map((a) => shownFlag(a, options.baselineCli, builds.baseline))
      .map((a) => (a.includes(" ") ? JSON.stringify(a) : a));
    const command = ["npm run bench --", name, ...flags].join(" ");
    process.stdout.write(`\n=== ${name} ===\n`);
    const quiet = await waitForQuietMachine({
      maxWaitSeconds: options.maxWaitSeconds,
      log: (text) => process.stdout.write(`  ${text}\n`),
    });
    const started = Date.now();
    await BENCHMARKS[name]({
      ...options,
      command,
      builds,
      otherCoresBefore: Number(quiet.otherCores.toFixed(2)),
    });
    process.stdout.write(`${name} took ${Math.round((Date.now() - started) / 1000)} s\n`);
  }
}

/** A flag as the results show it: a local path to the baseline build becomes the commit it was built from. */
function shownFlag(arg, baselineCli, baselineCommit) {
  if (baselineCli === undefined || baselineCommit === undefined) return arg;
  const shown = `<checkout of ${baselineCommit}>/dist/cli.js`;
  return arg === baselineCli
    ? shown
    : arg.replace(`--baseline-cli=${baselineCli}`, `--baseline-cli=${shown}`);
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    process.stderr.write(`\n${signal}: stopping the benchmark processes\n`);
    stopAllChildren().finally(() => process.exit(130));
  });
}

main().then(
  () => stopAllChildren(),
  async (error) => {
    process.stderr.write(`bench: ${error.message}\n`);
    await stopAllChildren();
    process.exitCode = 1;
  },
);
