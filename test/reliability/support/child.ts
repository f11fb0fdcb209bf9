import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const CLI = resolve(import.meta.dirname, "../../../dist/cli.js");

export { freePort } from "../../support/free-port.js";

/**
 * A scratch folder for config files, created on first use (so that a file whose tests are all filtered out
 * leaves nothing behind) and removed by remove().
 */
export function scratchDir(): { file(name: string, content: string): string; remove(): void } {
  let dir: string | undefined;
  return {
    file(name, content) {
      dir ??= mkdtempSync(join(tmpdir(), "promregator-rel-"));
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    remove: () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ChildPromregator {
  url: string;
  pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resident set size from /proc/<pid>/status, in MB. */
  rssMb(): number;
  stop(): Promise<number | null>;
}

/**
 * Runs dist/cli.js with a config file as its own process (as operators do), and waits until `waitPath`
 * answers 200 (or, with `waitForLog`, until that text shows up in its output).
 */
export async function startChild(opts: {
  configFile: string;
  url: string;
  env?: Record<string, string>;
  waitPath?: string;
  waitForLog?: RegExp;
  fetchInit?: RequestInit;
}): Promise<ChildPromregator> {
  let output = "";
  const child: ChildProcess = spawn(process.execPath, [CLI, "--config", opts.configFile], {
    env: { ...(process.env as Record<string, string>), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (d: Buffer) => {
    output += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 8000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`promregator exited with ${child.exitCode}:\n${output}`);
    if (opts.waitForLog?.test(output)) break;
    if (!opts.waitForLog) {
      const ok = await fetch(`${opts.url}${opts.waitPath ?? "/ready"}`, opts.fetchInit).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`promregator did not get ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: opts.url,
    pid: child.pid!,
    output: () => output,
    rssMb() {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      if (!match) throw new Error(`no VmRSS for pid ${child.pid}`);
      return Number(match[1]) / 1024;
    },
    stop,
  };
}

/** Runs `node dist/cli.js <args>` to completion; for check-config. */
export function runCli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { ...(process.env as Record<string, string>), ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
