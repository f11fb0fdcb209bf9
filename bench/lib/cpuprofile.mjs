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

/** The newest .cpuprofile in a directory. */
export function readNewestProfile(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  if (files.length === 0) throw new Error(`no .cpuprofile written in ${dir}`);
  files.sort();
  return JSON.parse(readFileSync(join(dir, files.at(-1)), "utf8"));
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
