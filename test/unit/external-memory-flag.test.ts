import { describe, expect, it } from "vitest";
import { accountExternalMemoryInGlobalLimit } from "../../src/external-memory-flag.js";
import { assertBuilt, runCli } from "../cli/run-cli.js";

function attempt(v8Version: string, execArgv: string[] = []): string[] {
  const set: string[] = [];
  accountExternalMemoryInGlobalLimit(v8Version, execArgv, (flags) => set.push(flags));
  return set;
}

describe("accountExternalMemoryInGlobalLimit", () => {
  it("sets the flag on V8 13 (Node 24)", () => {
    expect(attempt("13.6.233.17-node.37")).toEqual(["--external-memory-accounted-in-global-limit"]);
  });

  it("leaves V8 versions without the flag alone (Node 20, 22), and later ones not measured", () => {
    expect(attempt("11.3.244.8-node.33")).toEqual([]);
    expect(attempt("12.4.254.21-node.33")).toEqual([]);
    expect(attempt("14.1.146.11-node.14")).toEqual([]);
  });

  it("leaves the operator's own choice on the node command line alone, in any spelling", () => {
    for (const arg of [
      "--no-external-memory-accounted-in-global-limit",
      "--external-memory-accounted-in-global-limit",
      "--external_memory_accounted_in_global_limit",
      "--no_external_memory_accounted_in_global_limit",
      "--noexternal-memory-accounted-in-global-limit",
      "-no-external-memory-accounted-in-global-limit",
      "-external-memory-accounted-in-global-limit",
    ]) {
      expect(attempt("13.6.233.17-node.37", ["--max-old-space-size=160", arg]), arg).toEqual([]);
    }
  });

  it("is not confused by other flags", () => {
    expect(
      attempt("13.6.233.17-node.37", ["--external-memory-something", "--initial-old-space-size=32"]),
    ).toEqual(["--external-memory-accounted-in-global-limit"]);
  });

  it("prints nothing on the runtime running this suite (stderr carries log lines only)", async () => {
    assertBuilt();
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
  });
});
