// Child processes of a benchmark: started, waited for, and always stopped (also when the run fails).
import { spawn } from "node:child_process";
import { once } from "node:events";

const running = new Set();
const MAX_OUTPUT = 200_000;

/**
 * Starts a process with piped output (kept, truncated, for error messages). With `firstLineJson` it
 * resolves once the process printed a JSON line on stdout, and hands that over as `info`.
 */
export async function startChild(command, args, { env, firstLineJson = false, name = command } = {}) {
  const child = spawn(command, args, { env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (d) => {
    output += d;
    if (output.length > MAX_OUTPUT) output = output.slice(-MAX_OUTPUT / 2);
  };
  child.stderr.on("data", keep);
  const handle = {
    name,
    pid: child.pid,
    child,
    info: undefined,
    output: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: (signal = "SIGTERM") => stopChild(handle, signal),
  };
  running.add(handle);
  const spawned = new Promise((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", reject);
  });
  if (!firstLineJson) {
    child.stdout.on("data", keep);
    await spawned;
    return handle;
  }
  handle.info = await new Promise((resolve, reject) => {
    let buffer = "";
    const onData = (d) => {
      buffer += d;
      const newline = buffer.indexOf("\n");
      if (newline < 0) return;
      child.stdout.off("data", onData);
      child.stdout.on("data", keep);
      try {
        resolve(JSON.parse(buffer.slice(0, newline)));
      } catch {
        reject(new Error(`${name} printed no JSON line: ${buffer.slice(0, 500)}`));
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output}`)),
    );
    child.once("error", reject);
  }).catch(async (error) => {
    await stopChild(handle, "SIGKILL");
    throw error;
  });
  return handle;
}

/** SIGTERM (or the given signal), then SIGKILL after 10 s; resolves when the process has exited. */
export async function stopChild(handle, signal = "SIGTERM") {
  running.delete(handle);
  const { child } = handle;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, "exit");
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

/** Stops every child still running, newest first. */
export async function stopAllChildren() {
  for (const handle of [...running].reverse()) await stopChild(handle);
}

/** Polls `probe` until it returns something other than undefined; `gaveUp` ends the wait early with a reason. */
export async function waitFor(what, probe, { timeoutMs = 30_000, intervalMs = 50, gaveUp } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    const reason = gaveUp?.();
    if (reason) throw new Error(`stopped waiting for ${what}: ${reason}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ""}`);
}
