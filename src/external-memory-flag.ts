import { setFlagsFromString } from "node:v8";

const FLAG = "external-memory-accounted-in-global-limit";
/** The flag as an operator may write it: V8 takes one or two dashes, `no`, `no-` or `no_`, `-` or `_`. */
const OPERATOR_CHOICE = new RegExp(`^--?(?:no[-_]?)?${FLAG.replaceAll("-", "[-_]")}$`);

/**
 * Sets V8's `--external-memory-accounted-in-global-limit`: external memory (the ArrayBuffers behind socket
 * reads) then counts against the heap's global limit instead of a limit of its own. Without it the read buffers
 * of large scrape bodies alone start a full collection every few hundred scrapes: at 190 KB bodies, with the
 * shipped heap options, Node 24 ran 16–26 full collections per 4,000 scrapes, with it 0–1, and the CPU per
 * scrape fell by a quarter to a third (docs/performance.md, bench/heap-limits.mjs).
 *
 * Node refuses the flag in NODE_OPTIONS, so it is set here, at start, before the server allocates. Only V8 13
 * (Node 24) is known to have it: Node 20 and 22 do not, and V8 prints an error line for a flag it does not know
 * while stderr carries log lines only. An operator's own `--[no-]external-memory-accounted-in-global-limit`
 * on the node command line wins.
 *
 * Returns whether the flag was set. `v8Version`, `execArgv` and `set` default to the running process's.
 */
export function accountExternalMemoryInGlobalLimit(
  v8Version: string = process.versions.v8,
  execArgv: readonly string[] = process.execArgv,
  set: (flags: string) => void = setFlagsFromString,
): boolean {
  if (v8Version.split(".")[0] !== "13") return false;
  if (execArgv.some((arg) => OPERATOR_CHOICE.test(arg))) return false;
  set(`--${FLAG}`);
  return true;
}
