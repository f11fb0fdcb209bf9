// Statistics, console tables and the JSON result files.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { loadAverage } from "./proc.mjs";

export const RESULTS_DIR = resolve(import.meta.dirname, "../results");

/** Nearest-rank percentile of unsorted numbers (p in 0..100). */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** The median: the middle value, or the mean of the two middle values of an even count. */
export function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function mean(values) {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Least-squares slope of y over x. */
export function slope(xs, ys) {
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export const round = (value, digits = 2) =>
  value === undefined || value === null || Number.isNaN(value) ? undefined : Number(value.toFixed(digits));

export const mb = (bytes) => round(bytes / 1024 / 1024, 1);

function cpuModel() {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return match ? match[1].trim() : cpus()[0]?.model;
  } catch {
    return cpus()[0]?.model;
  }
}

function nproc() {
  try {
    return Number(execFileSync("nproc", { encoding: "utf8" }).trim());
  } catch {
    return cpus().length;
  }
}

export function machine() {
  return { nproc: nproc(), cpuModel: cpuModel(), node: process.version, loadAverage1m: loadAverage() };
}

/** Prints rows (objects with the same keys) as an aligned table. */
export function printTable(title, rows) {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]);
  const cell = (v) => (v === undefined || v === null ? "-" : String(v));
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => cell(r[k]).length)));
  const line = (values) => values.map((v, i) => v.padStart(widths[i])).join("  ");
  process.stdout.write(`\n${title}\n${line(keys)}\n${line(widths.map((w) => "-".repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(keys.map((k) => cell(row[k])))}\n`);
}

/** Prints the target checks and returns them. */
export function printTargets(targets) {
  printTable(
    "Targets",
    targets.map((t) => ({ target: t.name, goal: t.goal, measured: t.measured, met: t.met ? "yes" : "NO" })),
  );
  return targets;
}

/**
 * Writes bench/results/<name>.json with the command, the machine and how busy other processes kept it
 * just before the run (cores), next to the figures.
 */
export function writeResult(name, { command, builds, otherCoresBefore }, data) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const doc = {
    benchmark: name,
    command,
    // The commits the measured builds came from (a baseline's as a local path would mean nothing elsewhere).
    ...(builds ? { builds } : {}),
    date: new Date().toISOString(),
    machine: { ...machine(), otherCoresBefore },
    ...data,
  };
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  process.stdout.write(`\nwrote ${file}\n`);
  return doc;
}

/**
 * The commit checked out at `dir` (with "+changes" when its tree differs), or undefined when `dir` is not the top
 * of a checkout: a build copied into a folder of another checkout (e.g. an ignored one) is not that checkout's.
 */
export function commitOf(dir) {
  const git = (...args) =>
    execFileSync("git", ["-C", dir, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  try {
    if (realpathSync(git("rev-parse", "--show-toplevel")) !== realpathSync(dir)) return undefined;
    const commit = git("rev-parse", "--short", "HEAD");
    // Results written by earlier runs are not changes to the build.
    const changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results");
    return changed ? `${commit}+changes` : commit;
  } catch {
    return undefined;
  }
}
