// Where Promregator's resident memory lies at 10,000 instances, step by step: the simulated landscape of the
// memory bench (2,500 apps, 4 instances each, 20 KB bodies, gzip-compressed when asked), Promregator with the
// shipped heap options and environment, then discovery, three GETs of /discovery, /promregatorMetrics, and two
// passes scraping every instance once (20 at a time, an undici pool as the client). After each step it reads
// /proc/<pid>/smaps: the resident part of glibc's main malloc heap ([heap]), of anonymous mappings (V8's pages,
// other malloc arenas, mapped blocks) and of the 256 KiB mappings V8 gives its heap pages. Its garbage
// collections are counted over the scrape passes (lib/gc-count-probe.mjs). Where gdb is installed, it ends by
// asking glibc inside the process for malloc_info (system and free bytes per arena) and calling malloc_trim(0),
// which hands the free pages inside the heaps back to the system: what that gives back is the memory the
// allocator holds free (fragmentation), not memory Promregator uses. Node has no API for malloc_trim.
//
//   node bench/native-memory.mjs [--env "K=V ..."] [--node-options "..."] [--rounds 1] [-- <dist/cli.js> ...]
// Builds run one after the other in each round (default: dist/cli.js). --env replaces the shipped environment
// (SHIPPED_ENV; "" for none); --node-options adds node options after the shipped heap options. Results: bench/results/native-memory.json. Columns: brkHeapMB is glibc's main heap
// ([heap]); anonymousMB all anonymous mappings, of which v8PagesMB are V8's heap pages. The growth of the main
// heap over the first pass was measured on Node 24 (docs/performance.md, tenth round); Node 20 differs.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";
import { GC_COUNT_PROBE, gcCounts } from "./lib/gc-counts.mjs";
import {
  CLI,
  freePort,
  HEAP_OPTIONS,
  parseEnvList,
  refreshingRouterYaml,
  SHIPPED_ENV,
  startPromregatorProcess,
  startSimulatorProcess,
} from "./lib/processes.mjs";
import { commitOf, printTable, round, writeResult } from "./lib/report.mjs";
import { shownCommand } from "./lib/single-target.mjs";

const LANDSCAPE = { orgs: 2, spacesPerOrg: 5, appsPerSpace: 250, instances: 4, sizeBytes: 20_000 };
const INSTANCES = 10_000;
const CONCURRENCY = 20;
/** A V8 heap page (Node 20 to 24); glibc maps its blocks with a header, so none of them has this size. */
const V8_PAGE_KB = 256;

const USAGE =
  'usage: node bench/native-memory.mjs [--env "K=V ..."] [--node-options "..."] [--rounds N] [-- <dist/cli.js> ...]\n';

let values;
let positionals;
try {
  ({ values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      env: { type: "string" },
      "node-options": { type: "string", default: "" },
      rounds: { type: "string", default: "1" },
      help: { type: "boolean", default: false },
    },
  }));
} catch (error) {
  process.stderr.write(`${error.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write(`--rounds must be a whole number of at least 1, not ${values.rounds}\n${USAGE}`);
  process.exit(2);
}
const builds = (positionals.length > 0 ? positionals : [CLI]).map((b) => resolve(b));
const env = values.env === undefined ? SHIPPED_ENV : parseEnvList(values.env);
const nodeOptions = [...HEAP_OPTIONS, ...values["node-options"].split(/\s+/).filter(Boolean)];
const gdb = hasGdb();

/** Resident kB of glibc's main heap, of anonymous mappings, and of V8's page-sized mappings. */
function residentParts(pid) {
  const parts = { brkHeapMB: 0, anonymousMB: 0, v8PagesMB: 0 };
  let name;
  let sizeKb = 0;
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      name = mapping[3];
      sizeKb = (Number.parseInt(mapping[2], 16) - Number.parseInt(mapping[1], 16)) / 1024;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const mb = Number(rss[1]) / 1024;
    if (name === "[heap]") parts.brkHeapMB += mb;
    else if (name === "") {
      parts.anonymousMB += mb;
      if (sizeKb === V8_PAGE_KB) parts.v8PagesMB += mb;
    }
  }
  for (const key of Object.keys(parts)) parts[key] = round(parts[key], 1);
  return parts;
}

function hasGdb() {
  try {
    execFileSync("gdb", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * malloc_info (glibc's XML: per arena the bytes in free chunks and the bytes taken from the system) and the
 * resident parts after malloc_trim(0), read through gdb attached to the process for a moment.
 */
function mallocInfoAndTrim(pid) {
  const file = join(tmpdir(), `malloc-info-${pid}.xml`);
  execFileSync(
    "gdb",
    [
      "-p",
      String(pid),
      "-batch",
      "-ex",
      `call (int)malloc_info(0, (void*)fopen("${file}", "w"))`,
      "-ex",
      "call (int)fflush(0)",
      "-ex",
      "call (int)malloc_trim(0)",
    ],
    { stdio: "ignore", timeout: 60_000 },
  );
  const xml = readFileSync(file, "utf8");
  rmSync(file, { force: true });
  const arenas = [
    ...xml.matchAll(
      /<heap nr="\d+">[\s\S]*?<total type="rest" count="\d+" size="(\d+)"\/>[\s\S]*?<system type="current" size="(\d+)"\/>/g,
    ),
  ].map((m, i) => ({
    // glibc lists its main arena (the [heap] of brk) first.
    arena: i === 0 ? "main" : `other ${i}`,
    freeMB: round(Number(m[1]) / 2 ** 20, 1),
    systemMB: round(Number(m[2]) / 2 ** 20, 1),
  }));
  return { arenas, afterTrim: residentParts(pid) };
}

async function scrapeEach(dispatcher, url, paths) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < paths.length) {
        const res = await request(`${url}${paths[next++]}`, { dispatcher });
        await res.body.arrayBuffer();
        if (res.statusCode !== 200) throw new Error(`scrape answered ${res.statusCode}`);
      }
    }),
  );
}

async function measure(cli) {
  const sim = await startSimulatorProcess({ generate: LANDSCAPE, idleTimeoutMs: 90_000 });
  const dispatcher = new Agent({ connections: CONCURRENCY });
  let promregator;
  try {
    const port = await freePort();
    promregator = await startPromregatorProcess({
      yaml: refreshingRouterYaml({ sim, port, refreshSeconds: 3600 }),
      port,
      caPem: sim.caPem,
      nodeOptions: [...nodeOptions, "--import", GC_COUNT_PROBE],
      env,
      readyTimeoutMs: 120_000,
      cli,
    });
    const { url, pid } = promregator;
    const steps = [];
    const passes = [];
    const step = (what, parts = residentParts(pid)) => steps.push({ step: what, ...parts });
    step("ready");
    let targets = [];
    while (targets.length < INSTANCES) {
      targets = await (await fetch(`${url}/discovery`)).json();
      if (targets.length < INSTANCES) await new Promise((r) => setTimeout(r, 200));
    }
    step("discovery complete");
    for (let i = 0; i < 3; i++) await (await fetch(`${url}/discovery`)).arrayBuffer();
    step("3 x /discovery");
    await (await fetch(`${url}/promregatorMetrics`)).arrayBuffer();
    step("/promregatorMetrics");
    const paths = targets.map((t) => t.labels.__metrics_path__);
    for (const pass of ["first", "second"]) {
      const before = await gcCounts(promregator);
      const started = performance.now();
      await scrapeEach(dispatcher, url, paths);
      const seconds = (performance.now() - started) / 1000;
      const after = await gcCounts(promregator);
      step(`${pass} scrape of each`);
      passes.push({
        pass,
        scrapes: paths.length,
        scrapesPerS: Math.round(paths.length / seconds),
        minorGCs: after.minor - before.minor,
        majorGCs: after.major - before.major,
      });
    }
    const malloc = gdb ? mallocInfoAndTrim(pid) : undefined;
    if (malloc) step("after malloc_trim(0)", malloc.afterTrim);
    return { steps, passes, arenas: malloc?.arenas };
  } finally {
    await promregator?.stop();
    await dispatcher.close();
    await sim.stop();
  }
}

process.stdout.write(
  `Node ${process.version}, environment ${JSON.stringify(env)}, node options ${nodeOptions.join(" ")}\n`,
);
const runs = [];
for (let r = 0; r < rounds; r++) {
  for (const cli of builds) {
    // A build copied into a folder of a checkout (a baseline) is named by its path (see commitOf).
    const build = commitOf(resolve(cli, "../..")) ?? relative(process.cwd(), cli);
    process.stdout.write(`  round ${r + 1}: ${build}\n`);
    const run = await measure(cli);
    runs.push({ round: r + 1, build, ...run });
    printTable(`${build}, round ${r + 1}: resident MB after each step`, run.steps);
    printTable("garbage collections while scraping", run.passes);
    if (run.arenas) printTable("malloc arenas before malloc_trim(0) (MB)", run.arenas);
  }
}
if (!gdb) process.stdout.write("\n(no gdb: malloc_info and malloc_trim left out)\n");
writeResult(
  "native-memory",
  { command: shownCommand("bench/native-memory.mjs") },
  { instances: INSTANCES, concurrency: CONCURRENCY, env, nodeOptions, runs },
);
process.exit(0);
