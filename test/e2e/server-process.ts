import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../support/free-port.js";

export { freePort };

/**
 * Asks `probe` every 250 ms until it answers something other than undefined (errors count as not yet); on
 * timeout fails with the last error and the tail of `log()`.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  log: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out waiting for ${what}${last ? ` (last error: ${last})` : ""}\n${log().slice(-3000)}`,
  );
}

/** A server that could not bind the free port it was given, because another process took it first. */
class PortTakenError extends Error {}

/** A server binary running on a loopback port, with a scratch directory and its output kept. */
export interface ServerProcess {
  url: string;
  output: () => string;
  /** The `data` of a Prometheus-style API answer (`{status, data, error}`) to GET <url><path>. */
  api<T>(path: string): Promise<T>;
  /** Ends the process (SIGTERM) and removes the scratch directory. */
  stop(): Promise<void>;
}

export interface ServerSpec {
  /** Name in error messages, e.g. "Prometheus". */
  name: string;
  bin: string;
  /** Files written into the scratch directory before the start: name -> content. */
  files: Record<string, string>;
  /** Command-line arguments for the port to listen on (127.0.0.1) and the scratch directory. */
  args: (port: number, dir: string) => string[];
  /** Answers 200 once the server is ready. */
  readyPath: string;
}

/**
 * Starts the server on a free loopback port and waits until `readyPath` answers 200. The port is free when
 * chosen; should another process take it before the server binds it (test files run in parallel), it starts
 * again on another one.
 */
export async function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(spec);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === 3) throw error;
    }
  }
}

async function launch(spec: ServerSpec): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "promregator-e2e-"));
  const port = await freePort();
  for (const [name, content] of Object.entries(spec.files)) writeFileSync(join(dir, name), content);
  let output = "";
  const child: ChildProcess = spawn(spec.bin, spec.args(port, dir), { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    url,
    output: () => output,
    async api<T>(path: string): Promise<T> {
      const res = await fetch(`${url}${path}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (body.status !== "success") throw new Error(`${spec.name} ${path}: ${body.error}`);
      return body.data;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      const message = `${spec.name} exited with ${child.exitCode}:\n${output.slice(-3000)}`;
      throw /address already in use/.test(output) ? new PortTakenError(message) : new Error(message);
    }
    try {
      if ((await fetch(`${url}${spec.readyPath}`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${spec.name} did not become ready:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
