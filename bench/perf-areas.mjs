// Where a process's CPU goes per request, from Linux perf samples: each sample is put in one area (a system
// call, garbage collection, llhttp, undici, Node's core, Promregator, other native code) by its call stack,
// JavaScript frames named through node's --perf-basic-prof map. Unlike the V8 profiler, perf sees the kernel
// side of a system call, the garbage collector's helper threads and every native frame, so two processes doing
// the same job (Promregator and bench/lib/parts-proxy.mjs) can be compared area by area.
//
//   node --perf-basic-prof --interpreted-frames-native-stack <proxy> ...      # the process to look at
//   perf record -g -F 1999 -p <pid> -o perf.data -- sleep 4 & wrk -t2 -c50 -d4s <url>
//   perf script -i perf.data -F ip,sym > perf.txt
//   node bench/perf-areas.mjs perf.txt <requests wrk counted> [--hz 1999] [--top 30]
//
// Prints µs of CPU per request by area and, with --top, the JavaScript functions with most samples (a
// function's samples include the builtins and runtime calls below it, not the system calls or collections).
// The kernel, collector and native areas are exact; JavaScript frames are named from node's perf map, whose
// entries go stale when V8 frees or moves code, so the split among the JavaScript areas is approximate (the
// V8 profiler of `npm run bench -- scrape --profile` names JavaScript functions reliably).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { printTable, round } from "./lib/report.mjs";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { hz: { type: "string", default: "1999" }, top: { type: "string", default: "0" } },
});
const [file, requestsArg] = positionals;
if (!file || !requestsArg) {
  process.stderr.write(
    "usage: node bench/perf-areas.mjs <perf script output> <requests> [--hz N] [--top N]\n",
  );
  process.exit(2);
}
const requests = Number(requestsArg);
const hz = Number(values.hz);

/** Stacks of `perf script -F ip,sym`: one frame per line, a blank line between samples. */
function stacks(text) {
  const out = [];
  let stack = [];
  for (const line of text.split("\n")) {
    const frame = line.trim();
    if (frame === "") {
      if (stack.length > 0) out.push(stack);
      stack = [];
    } else stack.push(frame.replace(/^[0-9a-f]+ /, ""));
  }
  if (stack.length > 0) out.push(stack);
  return out;
}

const SYSCALL = /^(do_syscall_64|entry_SYSCALL)/;
const GC = /Scaveng|MarkCompact|ConcurrentMarking|Heap::Collect|Sweep|IncrementalMarking|MarkingVisitor/;

/** The area of one sample, and the JavaScript frame nearest its leaf (if any). */
function areaOf(stack) {
  if (stack.some((f) => SYSCALL.test(f))) return { area: "system calls" };
  if (stack.some((f) => GC.test(f))) return { area: "garbage collection" };
  const js = stack.find((f) => f.startsWith("JS:"));
  if (!js) return { area: "other native" };
  if (/JS:(wasm-function|wasm-to-js|js-to-wasm)/.test(js)) return { area: "llhttp (wasm)", js };
  if (/node_modules\/undici\//.test(js)) return { area: "undici", js };
  if (/ node:/.test(js)) return { area: "node core (JS)", js };
  if (/\/dist\//.test(js)) return { area: "promregator", js };
  return { area: "other JS", js };
}

const areas = new Map();
const functions = new Map();
const samples = stacks(readFileSync(file, "utf8"));
for (const stack of samples) {
  const { area, js } = areaOf(stack);
  areas.set(area, (areas.get(area) ?? 0) + 1);
  if (js) functions.set(js, (functions.get(js) ?? 0) + 1);
}
const usPerRequest = (n) => round(((n / hz) * 1e6) / requests, 1);
printTable(`CPU per request by area (${samples.length} samples at ${hz} Hz, ${requests} requests)`, [
  ...[...areas].sort((a, b) => b[1] - a[1]).map(([area, n]) => ({ area, "µs/request": usPerRequest(n) })),
  { area: "total", "µs/request": usPerRequest(samples.length) },
]);
const top = Number(values.top);
if (top > 0) {
  printTable(
    "JavaScript functions",
    [...functions]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, n]) => ({
        "µs/request": usPerRequest(n),
        function: fn.replace(/^JS:[*+~^']*/, "").slice(0, 100),
      })),
  );
}
