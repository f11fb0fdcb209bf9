// The processes under test: the CF simulator, Promregator (dist/cli.js) and the exposition app.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Agent, request } from "undici";
import { startChild, waitFor } from "./child.mjs";

const ROOT = resolve(import.meta.dirname, "../..");
// PROMREGATOR_CLI: benchmark another build (e.g. a patched copy of dist/) with the same scripts.
/**
 * The heap options the Dockerfile, manifest.yml and README give Node (the limits in NODE_OPTIONS, the floor of
 * the old generation on the command line; docs/performance.md); `--baseline-node-options` of bench/run.mjs runs
 * the baseline with others.
 */
export const HEAP_OPTIONS = [
  "--max-old-space-size=160",
  "--max-semi-space-size=2",
  "--initial-old-space-size=32",
];

/**
 * The environment the Dockerfile and manifest.yml give Node besides NODE_OPTIONS (docs/performance.md);
 * `--baseline-env` of bench/run.mjs runs the baseline with another.
 */
export const SHIPPED_ENV = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" };

/** "K=V K2=V2" (words apart by white space) as an environment object; "" is none. Throws for a word without "=". */
export function parseEnvList(text) {
  const env = {};
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const at = word.indexOf("=");
    if (at <= 0) throw new Error(`--baseline-env: expected NAME=VALUE words, got ${word}`);
    env[word.slice(0, at)] = word.slice(at + 1);
  }
  return env;
}

export const CLI = process.env.PROMREGATOR_CLI ?? join(ROOT, "dist/cli.js");
const SIMULATOR_SCRIPT = join(import.meta.dirname, "simulator-process.mjs");
const APP_SCRIPT = join(import.meta.dirname, "exposition-app.mjs");

export const SIM_USER = { username: "bench", password: "bench-password" };

const tempDirs = new Set();
// Also when a run is interrupted: configs, CA files and nginx/Prometheus data do not outlive it.
process.on("exit", () => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `promregator-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export async function freePort() {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => done(port));
    });
  });
}

/** The simulator in a child process, with its admin API reached over HTTPS. */
export async function startSimulatorProcess(options) {
  const dir = tempDir("sim");
  const file = join(dir, "options.json");
  writeFileSync(file, JSON.stringify({ users: [SIM_USER], ...options }));
  const handle = await startChild(process.execPath, [SIMULATOR_SCRIPT, file], {
    firstLineJson: true,
    name: "simulator",
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
  const info = handle.info;
  const agent = new Agent({ connect: info.caPem ? { ca: info.caPem } : {} });
  async function admin(method, path, body) {
    const res = await request(`${info.apiUrl}/admin${path}`, {
      method,
      dispatcher: agent,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.body.json();
    if (res.statusCode !== 200) throw new Error(`simulator admin ${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  }
  return {
    ...info,
    pid: handle.pid,
    counters: () => admin("GET", "/counters"),
    resetCounters: () => admin("POST", "/counters/reset"),
    setListFaults: (faults) => admin("POST", "/list-faults", faults),
    findApp: (name) => admin("GET", `/apps?name=${encodeURIComponent(name)}`),
    setInstanceBehaviour: (guid, index, behaviour) =>
      admin("POST", `/apps/${guid}/instances/${index}/behaviour`, behaviour),
    async stop() {
      await agent.close();
      await handle.stop();
    },
  };
}

/** The exposition app (see exposition-app.mjs) in a child process. */
export async function startExpositionApp() {
  const handle = await startChild(process.execPath, [APP_SCRIPT], { firstLineJson: true, name: "app" });
  return { ...handle.info, pid: handle.pid, stop: () => handle.stop() };
}

/** The `cf:` and `server:` parts every benchmark config shares; logging at warn keeps log output out of the figures. */
export function promregatorYaml({ sim, port, promregator }) {
  return [
    "cf:",
    `  api_host: ${sim.apiUrl}`,
    `  username: ${SIM_USER.username}`,
    `  password: ${SIM_USER.password}`,
    "promregator:",
    promregator.trimEnd(),
    "server:",
    `  port: ${port}`,
    "  address: 127.0.0.1",
    "logging:",
    "  level:",
    "    root: warn",
    "",
  ].join("\n");
}

/** The `promregator:` block for one target scraped through the simulated router (plain HTTP, as instances speak). */
export function routerTargetYaml(sim, targetLine) {
  return [
    "  targets:",
    `    - ${targetLine}`,
    "      protocol: http",
    "  scraping:",
    "    proxy:",
    `      host: ${sim.routerAddress.host}`,
    `      port: ${sim.routerAddress.port}`,
  ].join("\n");
}

/**
 * The config of the memory-style runs: every org's apps scraped through the simulated router, with the apps,
 * routes and processes caches timing out after `refreshSeconds` (the discovery loop refreshes what is older).
 */
export function refreshingRouterYaml({ sim, port, refreshSeconds }) {
  const refresh = ["application", "route", "process"].map((l) => `      ${l}: ${refreshSeconds}`);
  return promregatorYaml({
    sim,
    port,
    promregator: routerTargetYaml(sim, "orgRegex: org-.*"),
  }).replace("promregator:\n", `  cache:\n    timeout:\n${refresh.join("\n")}\npromregator:\n`);
}

/**
 * Runs dist/cli.js with a config file in a temp dir. Resolves once /ready answers 200, with the times
 * from spawn to the first HTTP answer (listening) and to ready.
 */
export async function startPromregatorProcess({
  yaml,
  port,
  caPem,
  cpuProfDir,
  nodeOptions = [],
  env: extraEnv = SHIPPED_ENV,
  readyTimeoutMs = 60_000,
  cli = CLI,
}) {
  const dir = tempDir("promregator");
  const configFile = join(dir, "promregator.yml");
  writeFileSync(configFile, yaml);
  // The given settings replace the shipped ones, also those the shell exports (README): "" means none of them.
  const env = { ...process.env };
  for (const name of Object.keys(SHIPPED_ENV)) delete env[name];
  Object.assign(env, extraEnv);
  if (caPem) {
    writeFileSync(join(dir, "ca.pem"), caPem);
    env.NODE_EXTRA_CA_CERTS = join(dir, "ca.pem");
  }
  const nodeArgs = [...nodeOptions, ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : [])];
  const started = performance.now();
  const handle = await startChild(process.execPath, [...nodeArgs, cli, "--config", configFile], {
    env,
    name: "promregator",
  });
  const url = `http://127.0.0.1:${port}`;
  let listeningMs;
  const stop = async () => {
    await handle.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "promregator /ready",
      async () => {
        const res = await fetch(`${url}/ready`);
        await res.arrayBuffer();
        listeningMs ??= performance.now() - started;
        return res.ok ? true : undefined;
      },
      {
        timeoutMs: readyTimeoutMs,
        intervalMs: 10,
        gaveUp: () => (handle.exited() ? "promregator exited" : undefined),
      },
    );
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n${handle.output().slice(-3000)}`);
  }
  return {
    url,
    port,
    pid: handle.pid,
    listeningMs,
    readyMs: performance.now() - started,
    output: handle.output,
    exited: handle.exited,
    stop,
  };
}

/** The minimal Node.js proxy (see node-proxy.mjs) in a child process. */
export async function startNodeProxy({ appPort, instance }) {
  return startProxyScript("node-proxy.mjs", { appPort, instance });
}

/** Promregator's parts without its work (see parts-proxy.mjs) in a child process. */
export async function startPartsProxy({ appPort, instance }) {
  return startProxyScript("parts-proxy.mjs", { appPort, instance });
}

async function startProxyScript(file, { appPort, instance }) {
  const script = join(import.meta.dirname, file);
  const handle = await startChild(process.execPath, [script, `http://127.0.0.1:${appPort}`, instance], {
    firstLineJson: true,
    name: file.replace(/\.mjs$/, ""),
  });
  return { url: `http://127.0.0.1:${handle.info.port}`, pid: handle.pid, stop: () => handle.stop() };
}
