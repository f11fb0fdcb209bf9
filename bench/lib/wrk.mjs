// Runs wrk and reads its summary: throughput, latency percentiles, errors.
import { spawn } from "node:child_process";
import { requireTool } from "./tools.mjs";

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`wrk: cannot read duration "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Parses the text wrk prints with --latency. */
export function parseWrkOutput(text) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  if (!rps) throw new Error(`wrk printed no Requests/sec:\n${text}`);
  const percentile = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(text);
    return m ? toMs(m[1]) : undefined;
  };
  const total = /(\d+) requests in ([\d.]+\w+), ([\d.]+)(\w+) read/.exec(text);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const sockets = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    requestsPerSecond: Number(rps[1]),
    requests: total ? Number(total[1]) : undefined,
    p50Ms: percentile(50),
    p75Ms: percentile(75),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sockets ? sockets.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/**
 * wrk -t<threads> -c<connections> -d<seconds>s --latency [headers] url. Runs asynchronously so that the
 * pipes of our other child processes keep draining meanwhile.
 */
export function runWrk({ url, seconds, connections = 50, threads = 2, headers = {}, timeoutSeconds = 10 }) {
  const wrk = requireTool("wrk");
  const args = [
    `-t${threads}`,
    `-c${connections}`,
    `-d${seconds}s`,
    `--timeout`,
    `${timeoutSeconds}s`,
    "--latency",
    ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(wrk, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}:\n${out}`));
      try {
        resolve({ ...parseWrkOutput(out), command: `wrk ${args.join(" ")}` });
      } catch (error) {
        reject(error);
      }
    });
  });
}
