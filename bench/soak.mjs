#!/usr/bin/env node
// Soak test: Promregator (dist/cli.js, its own process) against the CF simulator under rolling faults,
// while a load generator scrapes every discovered instance and polls /discovery.
// Usage: npm run build && node bench/soak.mjs [--minutes 10] [--out bench/results/soak.json]
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "dist/cli.js");
if (!existsSync(cli)) {
  process.stderr.write("soak: dist/cli.js is missing; run `npm run build` first\n");
  process.exit(2);
}
const { generateLandscape, startSimulator } = await import(join(root, "dist/simulator/index.js"));

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    out: { type: "string", default: join(root, "bench/results/soak.json") },
    "scrape-interval": { type: "string", default: "5" },
  },
});
const minutes = Number(args.minutes);
const scrapeIntervalMs = Number(args["scrape-interval"]) * 1000;
if (!(minutes > 0) || !(scrapeIntervalMs > 0)) {
  process.stderr.write("soak: --minutes and --scrape-interval must be positive numbers\n");
  process.exit(2);
}
const durationMs = minutes * 60_000;
const FAULT_EVERY_MS = 20_000;
const FAULT_LENGTH_MS = 15_000;
const SCRAPE_TIMEOUT_MS = 10_000;
const USER = { username: "soak", password: "soak-password-not-logged" };

const log = (text) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

function rssMb(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

const count = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);

// --- the landscape: 2 orgs x 2 spaces x 5 apps x 3 instances = 60 instances
const landscape = generateLandscape({ orgs: 2, spacesPerOrg: 2, appsPerSpace: 5, instances: 3 });
const sim = await startSimulator({ landscape, users: [USER] });
const appNames = landscape.orgs.flatMap((o) => o.spaces.flatMap((s) => s.apps.map((a) => a.name)));
const appGuids = appNames.map((name) => sim.admin.findApp(name).guid);

const dir = mkdtempSync(join(tmpdir(), "promregator-soak-"));
const port = await freePort();
writeFileSync(join(dir, "ca.pem"), sim.caPem);
writeFileSync(
  join(dir, "promregator.yml"),
  `cf:
  api_host: ${sim.apiUrl}
  username: ${USER.username}
  cache:
    timeout: { org: 3, space: 3, application: 3, domain: 3, route: 3, process: 3, resolver: 3 }
  request:
    timeout: { org: 2500, space: 2500, appInSpace: 2500, domain: 2500, route: 2500, process: 2500 }
    backoff: 200
promregator:
  targets:
    - orgRegex: "org-.*"
      protocol: http
  scraping:
    maxProcessingTime: 4000
    proxy: { host: ${sim.routerAddress.host}, port: ${sim.routerAddress.port} }
server: { port: ${port}, address: 127.0.0.1 }
logging:
  level:
    org.cloudfoundry.promregator: info
`,
);

const child = spawn(process.execPath, [cli, "--config", join(dir, "promregator.yml")], {
  env: { ...process.env, CF_PASSWORD: USER.password, NODE_EXTRA_CA_CERTS: join(dir, "ca.pem") },
  stdio: ["ignore", "ignore", "pipe"],
});
// Interrupting the soak must not leave the Promregator process behind.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}
const logCounts = new Map(); // "level: msg" -> count
let partial = "";
child.stderr.on("data", (chunk) => {
  const lines = (partial + chunk.toString()).split("\n");
  partial = lines.pop() ?? "";
  for (const line of lines) {
    try {
      const entry = JSON.parse(line);
      if (entry.level !== "info" && entry.level !== "debug") count(logCounts, `${entry.level}: ${entry.msg}`);
    } catch {
      if (line.trim()) count(logCounts, `raw: ${line.slice(0, 120)}`);
    }
  }
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if (child.exitCode !== null) throw new Error(`promregator exited early with ${child.exitCode}`);
  const ok = await fetch(`${base}/ready`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  if (i > 200) throw new Error("promregator did not become ready within 20 s");
  await sleep(100);
}
log(`promregator ready on ${base} (pid ${child.pid}); soaking for ${minutes} min`);

// --- rolling faults; instance faults are remembered so scrape errors they cause are told apart
const instanceFaults = new Map(); // instanceId -> fault kind
const faultLog = [];
const ccTotals = { ccRequests: 0, uaaRequests: 0 };
// admin.reset() zeroes the simulator's counters; keep the running totals
function resetSim() {
  const c = sim.admin.counters();
  ccTotals.ccRequests += c.ccRequests;
  ccTotals.uaaRequests += c.uaaRequests;
  sim.admin.reset();
}
const pick = (n) =>
  Array.from({ length: n }, (_, i) => appGuids[(faultLog.length * 7 + i * 3) % appGuids.length]);
const FAULTS = [
  ["cc-5xx-burst", () => sim.admin.injectFailures({ count: 40, status: 502 }), () => resetSim()],
  [
    "cc-lb-503",
    () => sim.admin.injectFailures({ count: 40, status: 503, kind: "loadBalancer" }),
    () => resetSim(),
  ],
  ["cc-latency-spike", () => sim.admin.setLatency(3500), () => sim.admin.setLatency(0)],
  ["token-revoked", () => sim.admin.revokeTokens(), () => undefined],
  [
    "cc-rate-limited",
    () => sim.admin.setRateLimit({ limit: 5, windowSeconds: 10 }),
    () => sim.admin.setRateLimit(),
  ],
  [
    "cc-connection-reset",
    () => sim.admin.injectFailures({ count: 30, status: 500, kind: "reset" }),
    () => resetSim(),
  ],
  [
    "uaa-down",
    () => {
      sim.admin.revokeTokens();
      sim.admin.injectFailures({ count: 1000, status: 503, pathPrefix: "/uaa" });
    },
    () => resetSim(),
  ],
  ...[
    ["instances-crashed", { state: "CRASHED" }],
    ["targets-slow", { latencyMs: 6000 }],
  ].map(([kind, behaviour]) => [
    kind,
    (state) => {
      state.apps = pick(3);
      for (const guid of state.apps) {
        sim.admin.setInstanceBehaviour(guid, 1, behaviour);
        instanceFaults.set(`${guid}:1`, kind);
      }
    },
    (state) => {
      for (const guid of state.apps) sim.admin.setInstanceBehaviour(guid, 1, {});
      // a scrape started just before the end may still fail because of the fault
      setTimeout(() => {
        for (const g of state.apps) instanceFaults.delete(`${g}:1`);
      }, SCRAPE_TIMEOUT_MS).unref();
    },
  ]),
];

// --- load: one loop per target, phases spread over the interval like Prometheus does
const scrapes = { total: 0, ok: 0, errorsByClass: new Map(), errorsDuringInstanceFault: new Map() };
const running = new Map();
let stopping = false;

async function scrapeOnce(path, instanceId) {
  const started = performance.now();
  let cls;
  try {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    await res.arrayBuffer();
    cls = res.status === 200 ? "ok" : `http_${res.status}`;
  } catch (err) {
    cls = err.name === "TimeoutError" ? "client_timeout" : `network_${err.cause?.code ?? err.name}`;
  }
  scrapes.total++;
  if (cls === "ok") scrapes.ok++;
  else if (instanceFaults.has(instanceId))
    count(scrapes.errorsDuringInstanceFault, `${instanceFaults.get(instanceId)} ${cls}`);
  else count(scrapes.errorsByClass, cls);
  return performance.now() - started;
}

function scrapeLoop(path, instanceId, phase) {
  const loop = (async () => {
    await sleep(phase);
    while (!stopping && running.get(path)?.alive) {
      const took = await scrapeOnce(path, instanceId);
      await sleep(Math.max(0, scrapeIntervalMs - took));
    }
  })();
  running.set(path, { alive: true, loop });
}

const discovery = { polls: 0, ok: 0, errorsByClass: new Map(), expectedTargets: undefined };
async function pollDiscovery() {
  discovery.polls++;
  let cls;
  try {
    const res = await fetch(`${base}/discovery`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) cls = `http_${res.status}`;
    else {
      const doc = await res.json();
      discovery.expectedTargets ??= doc.length;
      cls = doc.length === discovery.expectedTargets ? "ok" : `targets_${doc.length}`;
      for (const t of doc) {
        const path = t.labels.__metrics_path__;
        if (!running.has(path)) {
          scrapeLoop(
            path,
            t.labels.__meta_promregator_target_instanceId ?? path,
            Math.random() * scrapeIntervalMs,
          );
        }
      }
    }
  } catch (err) {
    cls = `network_${err.cause?.code ?? err.name}`;
  }
  if (cls === "ok") discovery.ok++;
  else count(discovery.errorsByClass, cls);
}

const rss = [];
const startedAt = Date.now();
const elapsedS = () => Math.round((Date.now() - startedAt) / 1000);
rss.push({ s: 0, mb: rssMb(child.pid) });
const timers = [
  setInterval(() => void pollDiscovery(), 1000),
  setInterval(() => rss.push({ s: elapsedS(), mb: rssMb(child.pid) }), 10_000),
];
await pollDiscovery();

let faultIndex = 0;
while (Date.now() - startedAt < durationMs - FAULT_EVERY_MS) {
  await sleep(FAULT_EVERY_MS - FAULT_LENGTH_MS);
  const [kind, begin, end] = FAULTS[faultIndex++ % FAULTS.length];
  const state = {};
  faultLog.push({ kind, atS: elapsedS(), lengthS: FAULT_LENGTH_MS / 1000 });
  log(`fault ${kind}`);
  begin(state);
  await sleep(FAULT_LENGTH_MS);
  end(state);
}
await sleep(Math.max(0, durationMs - (Date.now() - startedAt)));

stopping = true;
for (const t of timers) clearInterval(t);
await Promise.all([...running.values()].map((r) => r.loop));
rss.push({ s: elapsedS(), mb: rssMb(child.pid) });
const exited = new Promise((r) => child.once("exit", (code) => r(code)));
child.kill("SIGTERM");
const exitCode = await exited;
resetSim();
const { ccRequests, uaaRequests } = ccTotals;
await sim.close();
rmSync(dir, { recursive: true, force: true });

const mbs = rss.map((r) => r.mb).filter((m) => m !== undefined);
// growth: last minute's average against the first minute after warm-up (samples 1..6)
const avg = (xs) => Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 10) / 10;
const result = {
  startedAt: new Date(startedAt).toISOString(),
  minutes,
  node: process.version,
  landscape: { apps: appGuids.length, instances: appGuids.length * 3 },
  scrapeIntervalSeconds: scrapeIntervalMs / 1000,
  faults: faultLog,
  simulator: { ccRequests, uaaRequests },
  scrapes: {
    total: scrapes.total,
    ok: scrapes.ok,
    errorsOutsideInstanceFaults: Object.fromEntries(scrapes.errorsByClass),
    errorsCausedByInstanceFaults: Object.fromEntries(scrapes.errorsDuringInstanceFault),
  },
  discovery: {
    polls: discovery.polls,
    ok: discovery.ok,
    availability: Math.round((discovery.ok / Math.max(1, discovery.polls)) * 100_000) / 1000,
    expectedTargets: discovery.expectedTargets,
    errorsByClass: Object.fromEntries(discovery.errorsByClass),
  },
  rssMb: {
    start: mbs[0],
    max: Math.max(...mbs),
    end: mbs[mbs.length - 1],
    firstMinuteAvg: avg(mbs.slice(1, 7)),
    lastMinuteAvg: avg(mbs.slice(-6)),
    samples: rss,
  },
  warningsAndErrorsLogged: Object.fromEntries([...logCounts].sort((a, b) => b[1] - a[1])),
  exitCode,
};
mkdirSync(dirname(args.out), { recursive: true });
writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
log(
  `done: ${scrapes.ok}/${scrapes.total} scrapes ok, /discovery availability ${result.discovery.availability} %, RSS ${result.rssMb.start} -> ${result.rssMb.end} MB (max ${result.rssMb.max}); wrote ${args.out}`,
);
