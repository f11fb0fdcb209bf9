// Resource readings of other processes from /proc (Linux only), so each process is measured on its own.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid) {
  const f = statFields(pid);
  // utime and stime are fields 14 and 15 of the whole line; the slice starts at field 3.
  return (Number(f[11]) + Number(f[12])) / clockTicks();
}

/**
 * Seconds the process's main thread has spent runnable but waiting for a core (the second field of
 * /proc/<pid>/task/<pid>/schedstat, in ns; Linux scheduler statistics). Time its event loop was late
 * because other threads of the machine held the cores, not because it was busy itself.
 */
export function mainThreadRunQueueSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").trim().split(" ");
  return Number(fields[1]) / 1e9;
}

function statusKb(pid, key) {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) : 0;
}

/** Current resident set size, bytes. */
export function rssBytes(pid) {
  return statusKb(pid, "VmRSS") * 1024;
}

/**
 * The resident set split by kind (RssAnon: heap, stacks, malloc; RssFile: mapped files such as the node binary's
 * code; RssShmem), bytes: tells a runtime's native memory from pages of its executable.
 */
export function rssParts(pid) {
  return {
    anonBytes: statusKb(pid, "RssAnon") * 1024,
    fileBytes: statusKb(pid, "RssFile") * 1024,
  };
}

/** Peak resident set size since the process started (VmHWM), bytes. */
export function peakRssBytes(pid) {
  return statusKb(pid, "VmHWM") * 1024;
}

/** pid -> parent pid of every process now running. */
function parentMap() {
  const parents = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parents.set(Number(entry), Number(statFields(entry)[1]));
    } catch {
      // the process ended while we looked
    }
  }
  return parents;
}

/** Direct children of a process (e.g. nginx workers under their master). */
export function childPids(pid) {
  return [...parentMap()].filter(([, parent]) => parent === pid).map(([child]) => child);
}

/** A process and all its descendants. */
export function descendantsAndSelf(root) {
  const parents = parentMap();
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (!tree.has(pid) && tree.has(parent)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree];
}

/**
 * CPU seconds of a process tree, including children that already ended and were reaped inside it
 * (cutime/cstime), so that short-lived tools such as wrk are counted too.
 */
export function treeCpuSeconds(root) {
  let total = 0;
  for (const pid of descendantsAndSelf(root)) {
    try {
      const f = statFields(pid);
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / clockTicks();
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

/** CPU seconds the whole machine has been busy (all cores, from /proc/stat). */
export function machineBusySeconds() {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user + nice + system + irq + softirq + steal) / clockTicks();
}

/**
 * Measures how much CPU processes other than ours use: the machine's busy time minus our process
 * tree's. Benchmarks on a shared machine report it so that a disturbed figure can be recognised.
 */
export function otherCpuMeter(root = process.pid) {
  const busy = machineBusySeconds();
  const ours = treeCpuSeconds(root);
  const started = performance.now();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const others = Math.max(0, machineBusySeconds() - busy - (treeCpuSeconds(root) - ours));
    return { seconds, otherCpuSeconds: others, otherCores: seconds > 0 ? others / seconds : 0 };
  };
}

/** A process and its children, measured together. */
export function processGroup(pid) {
  return [pid, ...childPids(pid)];
}

export function sumOver(pids, read) {
  return pids.reduce((total, pid) => total + read(pid), 0);
}

/** Snapshot used before and after a load: CPU seconds and RSS of the given processes. */
export function usage(pids) {
  return {
    cpuSeconds: sumOver(pids, cpuSeconds),
    rssBytes: sumOver(pids, rssBytes),
    peakRssBytes: sumOver(pids, peakRssBytes),
  };
}

/** One-minute load average, to show how quiet the machine was. */
export function loadAverage() {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/**
 * Waits until other processes use less than `maxCores` of CPU (checked over 3 s windows), at most
 * `maxWaitSeconds`. Resolves with the last reading; a busy machine delays the run but does not stop it.
 */
export async function waitForQuietMachine({ maxCores = 0.25, maxWaitSeconds = 180, log = () => {} } = {}) {
  const deadline = Date.now() + maxWaitSeconds * 1000;
  for (;;) {
    const meter = otherCpuMeter();
    await new Promise((r) => setTimeout(r, 3000));
    const reading = meter();
    if (reading.otherCores < maxCores) return reading;
    if (Date.now() > deadline) {
      log(`other processes still use ${reading.otherCores.toFixed(2)} cores; measuring anyway`);
      return reading;
    }
    log(`other processes use ${reading.otherCores.toFixed(2)} cores; waiting for a quieter machine`);
  }
}
