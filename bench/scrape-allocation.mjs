// JS heap allocated per scrape: the same scrapes (10 at a time, an undici pool as the client) through each given
// build of Promregator in turn, with V8's sampling heap profiler on (lib/heap-sampling-probe.mjs). Bytes
// allocated per scrape depend on the code path, not on the machine's load, so they compare builds on a noisy
// machine; each allocated byte costs a share of a scavenge later. Lists the functions that allocate most.
//
//   node bench/scrape-allocation.mjs [--path /small] [--scrapes 5000] [-- <dist/cli.js of a build> ...]
// Without builds: the current one (dist/cli.js). --path: /small (20 KB), /large (190 KB) of
// lib/exposition-app.mjs. Results: bench/results/scrape-allocation.json. Promregator runs without the heap limits:
// the profile lists every sample (about 90 per 20 KB scrape), and turned into JSON inside the process it needs
// far more heap than the limits leave.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CLI, startExpositionApp, startSimulatorProcess } from "./lib/processes.mjs";
import { commitOf, printTable, round, writeResult } from "./lib/report.mjs";
import {
  SINGLE_APP_LANDSCAPE,
  scrapeMany,
  shownCommand,
  startSingleTargetPromregator,
} from "./lib/single-target.mjs";

const PROBE = join(import.meta.dirname, "lib/heap-sampling-probe.mjs");
const CONCURRENCY = 10;
const WARM_UP_SCRAPES = 5_000;
const TOP_FUNCTIONS = 25;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    path: { type: "string", default: "/small" },
    scrapes: { type: "string", default: "5000" },
  },
});
const scrapes = Number(values.scrapes);
const builds = positionals.length > 0 ? positionals : [CLI];

/** Self bytes per function (name and place), summed over the profile's call tree. */
function bytesByFunction(profile) {
  const byFunction = new Map();
  const visit = (node) => {
    const frame = node.callFrame;
    const place = frame.url ? `${frame.url.replace(/^file:\/\//, "")}:${frame.lineNumber + 1}` : "(native)";
    const key = `${frame.functionName || "(anonymous)"} ${place.startsWith("/") ? relative(process.cwd(), place) : place}`;
    if (node.selfSize) byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  return byFunction;
}

async function profileOf(promregator, url, count) {
  const file = join(tmpdir(), `heap-sampling-${promregator.pid}.json`);
  rmSync(file, { force: true });
  process.kill(promregator.pid, "SIGUSR2");
  // The inspector session starts sampling on the process's own loop: give it a moment before the load.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await scrapeMany(url, count, CONCURRENCY);
  process.kill(promregator.pid, "SIGUSR2");
  while (!existsSync(file)) {
    if (promregator.exited())
      throw new Error(
        `Promregator exited while writing its heap profile:\n${promregator.output().slice(-2000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  const profile = JSON.parse(readFileSync(file, "utf8"));
  rmSync(file, { force: true });
  if (profile.error) throw new Error(`heap sampling failed: ${profile.error}`);
  return profile;
}

const app = await startExpositionApp();
const sim = await startSimulatorProcess({ landscape: SINGLE_APP_LANDSCAPE });
const results = [];
try {
  for (const cli of builds) {
    const { promregator, url } = await startSingleTargetPromregator({
      sim,
      appPort: app.port,
      path: values.path,
      nodeOptions: ["--import", PROBE],
      cli,
    });
    try {
      await scrapeMany(url, WARM_UP_SCRAPES, CONCURRENCY);
      const byFunction = bytesByFunction(await profileOf(promregator, url, scrapes));
      const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
      results.push({
        // The commit of the build's checkout (dist/ is not tracked): a local path would mean nothing elsewhere.
        build: commitOf(resolve(dirname(resolve(cli)), "..")) ?? relative(process.cwd(), cli),
        bytesPerScrape: Math.round(total / scrapes),
        top: [...byFunction]
          .sort((a, b) => b[1] - a[1])
          .slice(0, TOP_FUNCTIONS)
          .map(([fn, bytes]) => ({ function: fn, bytesPerScrape: round(bytes / scrapes, 0) })),
      });
    } finally {
      await promregator.stop();
    }
  }
} finally {
  await sim.stop();
  await app.stop();
}
for (const r of results)
  printTable(`${r.build}: JS heap allocated per scrape of ${values.path}, by function`, r.top);
printTable(
  `JS heap allocated per scrape of ${values.path} (${scrapes} scrapes, ${CONCURRENCY} at a time)`,
  results.map((r) => ({ build: r.build, bytesPerScrape: r.bytesPerScrape })),
);
writeResult(
  "scrape-allocation",
  {
    command: shownCommand("bench/scrape-allocation.mjs"),
  },
  { path: values.path, scrapes, concurrency: CONCURRENCY, results },
);
process.exit(0);
