// Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time.
import { cpSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { startPromregatorProcess, tempDir } from "./processes.mjs";

const ROOT = resolve(import.meta.dirname, "../..");

function where(frame) {
  if (!frame.url) return "(native)";
  const path = frame.url.startsWith("file://") ? new URL(frame.url).pathname : frame.url;
  const shown = path.startsWith(ROOT) ? relative(ROOT, path) : path;
  return `${shown}:${frame.lineNumber + 1}`;
}

/** Self time per function (same name and place merged), largest first. */
export function topSelfTime(profile, limit = 15) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const merged = new Map();
  for (const [id, us] of selfUs) {
    const frame = byNode.get(id).callFrame;
    const key = `${frame.functionName || "(anonymous)"} ${where(frame)}`;
    merged.set(key, (merged.get(key) ?? 0) + us);
  }
  return [...merged]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([fn, us]) => ({
      function: fn,
      selfMs: Math.round(us / 1000),
      selfPct: Number(((100 * us) / total).toFixed(1)),
    }));
}

/** Which part of the process a frame belongs to: a Promregator module, a package, Node's core, or native. */
function areaOf(frame) {
  const url = frame.url;
  if (!url) {
    const name = (frame.functionName || "(anonymous)").slice(0, 40);
    return name.startsWith("(") ? name : `native ${name}`;
  }
  if (url.startsWith("node:")) return "node core (JS)";
  if (url.startsWith("wasm://")) return "undici (llhttp wasm)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/dist\/([^/]+)\//.exec(url);
  return own ? `promregator ${own[1]}/` : "other";
}

/** Self time summed by area (see areaOf), largest first; shows where a request's CPU goes in aggregate. */
export function selfTimeByArea(profile, limit = 12) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const areas = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const area = areaOf(byNode.get(id).callFrame);
    areas.set(area, (areas.get(area) ?? 0) + us);
  });
  return [...areas]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([area, us]) => ({
      area,
      selfMs: Math.round(us / 1000),
      selfPct: Number(((100 * us) / total).toFixed(1)),
    }));
}

const NOT_A_CULPRIT = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

/**
 * What ran during each block of the event loop: `stalls` are `{ endUs, ms }` (the monotonic clock of the
 * profile's timestamps, see lib/loop-delay-probe.mjs). For each, the samples inside the block give the frames
 * that at least `share` of them have on their stack (the deepest few are the culprit), the share of garbage
 * collection, and the top self-time functions. Blocks with the same culprit are summed.
 */
export function stallCulprits(profile, stalls, { share = 0.6, depth = 4 } = {}) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const times = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) times.push((t += d));
  const name = (id) => {
    const f = byNode.get(id).callFrame;
    return `${f.functionName || "(anonymous)"} ${where(f)}`;
  };
  const groups = new Map();
  for (const stall of stalls) {
    const from = stall.endUs - stall.ms * 1000;
    const inclusive = new Map();
    const self = new Map();
    let n = 0;
    let gc = 0;
    for (let i = 0; i < times.length; i++) {
      if (times[i] < from || times[i] > stall.endUs) continue;
      n++;
      const leaf = profile.samples[i];
      if (byNode.get(leaf).callFrame.functionName === "(garbage collector)") gc++;
      self.set(name(leaf), (self.get(name(leaf)) ?? 0) + 1);
      const seen = new Set();
      for (let id = leaf, d = 0; id !== undefined; id = parent.get(id), d++) {
        const key = name(id);
        if (seen.has(key)) continue;
        seen.add(key);
        const depthOf = inclusive.get(key)?.depth ?? 0;
        inclusive.set(key, { count: (inclusive.get(key)?.count ?? 0) + 1, depth: Math.max(depthOf, d) });
      }
    }
    if (n === 0) continue;
    // frames on most stacks, the one nearest the leaves first ("f < g": f called by g)
    const common = [...inclusive]
      .filter(([key, v]) => v.count >= share * n && !NOT_A_CULPRIT.has(key.split(" ")[0]))
      .sort((a, b) => a[1].depth - b[1].depth)
      .map(([key]) => key);
    const culprit =
      gc >= share * n
        ? "(garbage collector)"
        : common.length > 0
          ? common.slice(0, depth).join(" < ")
          : "(mixed)";
    const g = groups.get(culprit) ?? {
      culprit,
      stalls: 0,
      totalMs: 0,
      maxMs: 0,
      gcPct: 0,
      topSelf: new Map(),
    };
    g.stalls++;
    g.totalMs += stall.ms;
    g.maxMs = Math.max(g.maxMs, stall.ms);
    g.gcPct += (100 * gc) / n;
    for (const [k, c] of self) g.topSelf.set(k, (g.topSelf.get(k) ?? 0) + c);
    groups.set(culprit, g);
  }
  return [...groups.values()]
    .sort((a, b) => b.totalMs - a.totalMs)
    .map((g) => ({
      culprit: g.culprit,
      stalls: g.stalls,
      totalMs: g.totalMs,
      maxMs: g.maxMs,
      gcPct: Math.round(g.gcPct / g.stalls),
      topSelf: [...g.topSelf]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([k]) => k)
        .join(" | "),
    }));
}

/** The newest .cpuprofile in a directory. */
export function readNewestProfile(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${dir}`);
  files.sort();
  return JSON.parse(readFileSync(join(dir, files.at(-1)), "utf8"));
}

/**
 * What ran during each block (stallCulprits) in the newest profile of `dir`, which is then removed; with
 * PROMREGATOR_BENCH_PROFILES set to a directory, the raw .cpuprofile files are kept there first.
 */
export function culpritsFromDir(dir, stalls) {
  try {
    const keep = process.env.PROMREGATOR_BENCH_PROFILES;
    if (keep) cpSync(dir, keep, { recursive: true });
    return stallCulprits(readNewestProfile(dir), stalls);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts Promregator under --cpu-prof with the given options, runs `load(promregator)`, stops it (the
 * profile is written on exit) and returns the parsed profile. With PROMREGATOR_BENCH_PROFILES set to a
 * directory, the raw .cpuprofile files are kept there (they open in Chrome DevTools).
 */
export async function profilePromregator(startOptions, load) {
  const dir = tempDir("cpuprof");
  try {
    const promregator = await startPromregatorProcess({ ...startOptions, cpuProfDir: dir });
    try {
      await load(promregator);
    } finally {
      await promregator.stop();
    }
    const profile = readNewestProfile(dir);
    const keep = process.env.PROMREGATOR_BENCH_PROFILES;
    if (keep) {
      cpSync(dir, keep, { recursive: true });
      process.stdout.write(`cpu profile kept in ${keep}\n`);
    }
    return profile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node bench/lib/cpuprofile.mjs <file.cpuprofile> [n]` prints the top functions of any profile.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: node bench/lib/cpuprofile.mjs <file.cpuprofile> [count]\n");
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8"));
  console.table(selfTimeByArea(profile, 20));
  console.table(topSelfTime(profile, Number(n) || 20));
}
