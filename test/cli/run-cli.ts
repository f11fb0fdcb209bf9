import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const CLI = resolve(import.meta.dirname, "../../dist/cli.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Fails with a clear message when the suite runs without `npm run build` first. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before these tests`);
}

/**
 * Runs `node dist/cli.js <args>` with a minimal environment (only PATH and HOME from ours, so that a CF_PASSWORD
 * or PROMREGATOR_* variable of the machine cannot change the outcome) plus `env`.
 */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? tmpdir(),
    ...options.env,
  };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`promregator ${args.join(" ")} did not finish:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** A scratch folder for config files; remove() deletes it. */
export function scratchDir(): {
  path: (name: string) => string;
  write: (name: string, text: string) => string;
  remove: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "promregator-cli-"));
  return {
    path: (name) => join(dir, name),
    write(name, text) {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
