#!/usr/bin/env node
/**
 * Time from spawning `node dist/cli.js` to the first 200 from /ready (first discovery done), on the demo landscape.
 *
 *   npm run build && node scripts/measure-startup.mjs [--runs 5]
 *
 * Two ways are measured:
 *   config  the production path: a simulator started by this script (not timed), then
 *           `node dist/cli.js --config promregator.yml` against it;
 *   demo    `node dist/cli.js demo`, which also starts the simulator (certificate generation included).
 * For each run it also notes when /health first answered (listening) and, for reference, how long a bare
 * `node -e ""` takes to start and exit on this machine.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli.js");
if (!existsSync(cli)) {
  console.error(`${cli} is missing: run \`npm run build\` first`);
  process.exit(2);
}
const runsArg = process.argv.indexOf("--runs");
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) {
  console.error("--runs needs a positive whole number");
  process.exit(2);
}

const { demoLandscape, startSimulator } = await import(join(root, "dist", "simulator", "index.js"));

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function answers(url) {
  try {
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Spawns the CLI and polls every 5 ms; resolves with ms to /health and to /ready. */
async function timeStartup(args, env, port) {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d.toString();
  });
  const exited = new Promise((r) => child.once("exit", r));
  let listening;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`promregator exited with ${child.exitCode}:\n${stderr}`);
      if (performance.now() - started > 30_000) throw new Error(`not ready after 30 s:\n${stderr}`);
      if (listening === undefined && (await answers(`http://127.0.0.1:${port}/health`))) {
        listening = performance.now() - started;
      }
      if (listening !== undefined && (await answers(`http://127.0.0.1:${port}/ready`))) {
        return { listening, ready: performance.now() - started };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

async function bareNode() {
  const started = performance.now();
  await new Promise((r) => spawn(process.execPath, ["-e", ""], { stdio: "ignore" }).once("exit", r));
  return performance.now() - started;
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const f = (v) => `${Math.round(v)} ms`;
  return `median ${f(median)}, min ${f(sorted[0])}, max ${f(sorted[sorted.length - 1])}`;
}

const user = { username: "measure", password: "measure-startup-password" };
const sim = await startSimulator({ landscape: demoLandscape(), users: [user] });
const dir = mkdtempSync(join(tmpdir(), "promregator-startup-"));
try {
  const caFile = join(dir, "ca.pem");
  writeFileSync(caFile, sim.caPem);
  const baseEnv = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir };
  const results = { config: [], configListening: [], demo: [], demoListening: [], node: [] };
  for (let i = 0; i < runs; i++) {
    const port = await freePort();
    const configFile = join(dir, "promregator.yml");
    writeFileSync(
      configFile,
      [
        "cf:",
        `  api_host: ${sim.apiUrl}`,
        `  username: ${user.username}`,
        "promregator:",
        "  targets:",
        "    - protocol: http",
        "server:",
        `  port: ${port}`,
        "  address: 127.0.0.1",
        "logging:",
        "  level:",
        "    root: warn",
        "",
      ].join("\n"),
    );
    const env = { ...baseEnv, CF_PASSWORD: user.password, NODE_EXTRA_CA_CERTS: caFile };
    const viaConfig = await timeStartup(["--config", configFile], env, port);
    results.config.push(viaConfig.ready);
    results.configListening.push(viaConfig.listening);

    const demoPort = await freePort();
    const viaDemo = await timeStartup(["demo", "--port", String(demoPort)], baseEnv, demoPort);
    results.demo.push(viaDemo.ready);
    results.demoListening.push(viaDemo.listening);
    results.node.push(await bareNode());
  }
  console.log(
    `Startup of node dist/cli.js to /ready = 200 on the demo landscape (${runs} runs, Node ${process.version})`,
  );
  console.log(`  --config (simulator already running): ready ${summary(results.config)}`);
  console.log(`                                         listening ${summary(results.configListening)}`);
  console.log(`  demo (starts its own simulator):       ready ${summary(results.demo)}`);
  console.log(`                                         listening ${summary(results.demoListening)}`);
  console.log(`  bare \`node -e ""\` for reference:       ${summary(results.node)}`);
  const worst = Math.max(...results.config, ...results.demo);
  console.log(
    worst < 2000 ? "  under 2 s in every run" : `  OVER 2 s in at least one run (${Math.round(worst)} ms)`,
  );
} finally {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
