// Scrape proxy overhead: the same exposition fetched (a) directly from the app, (b) through nginx adding
// X-CF-APP-INSTANCE, (c) through a minimal Node.js proxy doing the same, (d) through the parts Promregator's
// scrape path is made of with none of its work (lib/parts-proxy.mjs), (e) through Promregator's
// /singleTargetMetrics, under wrk load. (c) separates what Node.js costs from what Promregator adds; (d) what
// its choice of parts costs from what its own checks, timeouts and samples cost.
// The contenders run interleaved (A B C D E, E D C B A, ... for --rounds rounds), each proxy as a fresh
// process per round. Each figure is the median of its rounds (the mean of the two middle ones for an even
// count); each ratio is the median of the per-round ratios, so that a change in the machine's load hits both
// sides of a ratio alike. With --baseline-cli another build of Promregator runs as a sixth contender. "20KB gzip" is a target that answers gzip-compressed;
// "1MB gzip" (only with --sizes) one whose body decodes past what a scrape holds before its status.
import { profilePromregator, selfTimeByArea, topSelfTime } from "./lib/cpuprofile.mjs";
import { startNginx } from "./lib/nginx.mjs";
import { otherCpuMeter, usage } from "./lib/proc.mjs";
import {
  freePort,
  HEAP_OPTIONS,
  SHIPPED_ENV,
  promregatorYaml,
  startExpositionApp,
  startNodeProxy,
  startPartsProxy,
  startPromregatorProcess,
  startSimulatorProcess,
} from "./lib/processes.mjs";
import { mb, median, printTable, printTargets, round, writeResult } from "./lib/report.mjs";
import { runWrk } from "./lib/wrk.mjs";

const SIZES = [
  { name: "20KB", path: "/small", app: "bench-small" },
  { name: "190KB", path: "/large", app: "bench-large" },
  { name: "20KB gzip", path: "/small.gz", app: "bench-small-gz" },
  // Only with --sizes: about 85 KB compressed, 1 MB decoded.
  { name: "1MB gzip", path: "/huge.gz", app: "bench-huge-gz" },
];

const landscape = {
  domains: [{ name: "apps.example.org" }],
  orgs: [
    {
      name: "bench",
      spaces: [{ name: "bench", apps: SIZES.map((s) => ({ name: s.app, instances: 1 })) }],
    },
  ],
};

/** One target per size; overrideRouteAndPath sends Promregator straight to the app, with no router. */
function targetsYaml(appPort) {
  return [
    "  targets:",
    ...SIZES.flatMap((s) => [
      "    - orgName: bench",
      "      spaceName: bench",
      `      applicationName: ${s.app}`,
      "      protocol: http",
      `      overrideRouteAndPath: 127.0.0.1:${appPort}`,
      `      path: ${s.path}`,
    ]),
  ].join("\n");
}

/** wrk against url while measuring the CPU and memory of the proxy processes. */
async function measure({ url, proxyPids, seconds, warmupSeconds, connections, threads }) {
  if (warmupSeconds > 0) await runWrk({ url, seconds: warmupSeconds, connections, threads });
  const before = usage(proxyPids());
  const others = otherCpuMeter();
  const wrk = await runWrk({ url, seconds, connections, threads });
  const after = usage(proxyPids());
  const proxyCpu = after.cpuSeconds - before.cpuSeconds;
  return {
    ...wrk,
    proxyCpuSeconds: round(proxyCpu),
    proxyCpuUsPerRequest: wrk.requests ? round((proxyCpu * 1e6) / wrk.requests, 1) : undefined,
    proxyRssBeforeMB: mb(before.rssBytes),
    proxyRssAfterMB: mb(after.rssBytes),
    proxyPeakRssMB: mb(after.peakRssBytes),
    otherCores: round(others().otherCores),
  };
}

/** A round whose unrelated processes used more than this many cores is flagged busy. */
const BUSY_CORES = 0.25;

/** The median of each numeric field over the rounds of one case, and the per-round figures the ratios pair. */
function medianOf(results) {
  const out = { rounds: results.length };
  for (const key of Object.keys(results[0])) {
    const values = results.map((r) => r[key]).filter((v) => typeof v === "number");
    out[key] = values.length === results.length ? round(median(values), 2) : results[0][key];
  }
  out.roundsRequestsPerSecond = results.map((r) => r.requestsPerSecond);
  out.roundsCpuUsPerRequest = results.map((r) => r.proxyCpuUsPerRequest);
  out.busyRounds = results.filter((r) => r.otherCores > BUSY_CORES).length;
  return out;
}

/**
 * The median over the rounds of a/b, each round's a paired with the same round's b (measured minutes apart
 * at most), so that a slow round of the machine cancels out instead of skewing one side's median.
 */
function pairedRatio(a, b, field) {
  const ratios = a[field].map((v, i) => v / b[field][i]).filter((v) => Number.isFinite(v));
  return ratios.length === 0 ? undefined : round(median(ratios));
}

export async function runScrape({
  seconds = 6,
  rounds = 3,
  profile = false,
  baselineCli,
  baselineNodeOptions,
  baselineEnv,
  sizes,
  ...context
}) {
  const unknown = (sizes ?? []).filter((name) => !SIZES.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(`--sizes: unknown ${unknown.join(", ")}; known: ${SIZES.map((s) => s.name).join(", ")}`);
  }
  const chosen = (names) =>
    sizes ? names.filter((name) => sizes.includes(name)) : names.filter((name) => name !== "1MB gzip");
  const warmupSeconds = Math.min(3, Math.ceil(seconds / 5));
  const loads = [
    {
      name: "50 conns",
      connections: 50,
      threads: 2,
      seconds,
      warmupSeconds,
      sizes: chosen(["20KB", "190KB", "20KB gzip", "1MB gzip"]),
    },
    // One connection, no queueing: the latency one scrape pays for the extra hop.
    {
      name: "1 conn",
      connections: 1,
      threads: 1,
      seconds: Math.max(3, Math.round(seconds / 3)),
      warmupSeconds: 1,
      sizes: chosen(["20KB"]),
    },
  ].filter((load) => load.sizes.length > 0);
  const cleanup = [];
  try {
    const app = await startExpositionApp();
    cleanup.push(app.stop);
    const sim = await startSimulatorProcess({ landscape });
    cleanup.push(sim.stop);
    const port = await freePort();
    // Both builds run with the heap options Promregator ships with (Dockerfile, manifest.yml), as in production,
    // unless --baseline-node-options gives the baseline others.
    const startOptions = {
      yaml: promregatorYaml({ sim, port, promregator: targetsYaml(app.port) }),
      port,
      caPem: sim.caPem,
      nodeOptions: HEAP_OPTIONS,
    };
    const startFresh = async (cli, nodeOptions = HEAP_OPTIONS, env = SHIPPED_ENV) => {
      const freshPort = await freePort();
      return startPromregatorProcess({
        ...startOptions,
        nodeOptions,
        env,
        yaml: promregatorYaml({ sim, port: freshPort, promregator: targetsYaml(app.port) }),
        port: freshPort,
        ...(cli ? { cli } : {}),
      });
    };
    const guids = {};
    for (const s of SIZES) guids[s.name] = (await sim.findApp(s.app)).guid;
    const instance = `${guids["20KB"]}:0`;

    // Every proxy (not the app itself) runs as a fresh process in every round, started when its turn comes:
    // two processes of the same build, each kept for a whole run, differed by up to 2.3 times in CPU per
    // scrape (`--baseline-cli dist/cli.js`), so a process kept for the run would compare processes, not builds.
    const proxies = [
      { name: "direct", url: (s) => `http://127.0.0.1:${app.port}${s.path}`, pids: () => [app.pid] },
      {
        name: "nginx",
        start: () => startNginx({ appPort: app.port, instance }),
        url: (s, p) => `${p.url}${s.path}`,
        pids: (p) => p.pids(),
      },
      {
        name: "node-proxy",
        start: () => startNodeProxy({ appPort: app.port, instance }),
        url: (s, p) => `${p.url}${s.path}`,
        pids: (p) => [p.pid],
      },
      {
        name: "parts-proxy",
        start: () => startPartsProxy({ appPort: app.port, instance }),
        url: (s, p) => `${p.url}${s.path}`,
        pids: (p) => [p.pid],
      },
      {
        name: "promregator",
        start: () => startFresh(undefined),
        url: (s, p) => `${p.url}/singleTargetMetrics/${guids[s.name]}/0`,
        pids: (p) => [p.pid],
      },
      ...(baselineCli || baselineNodeOptions || baselineEnv
        ? [
            {
              name: "baseline",
              start: () => startFresh(baselineCli, baselineNodeOptions, baselineEnv),
              url: (s, p) => `${p.url}/singleTargetMetrics/${guids[s.name]}/0`,
              pids: (p) => [p.pid],
            },
          ]
        : []),
    ];
    const cases = [];
    for (const load of loads) {
      for (const size of SIZES.filter((s) => load.sizes.includes(s.name))) {
        const results = new Map(proxies.map((p) => [p.name, []]));
        for (let r = 0; r < rounds; r++) {
          // Every other round runs the contenders in reverse, so that none always follows the same one.
          for (const proxy of r % 2 === 0 ? proxies : [...proxies].reverse()) {
            const running = proxy.start ? await proxy.start() : undefined;
            let result;
            try {
              result = await measure({
                url: proxy.url(size, running),
                proxyPids: () => proxy.pids(running),
                ...load,
                warmupSeconds: running || r === 0 ? load.warmupSeconds : 0,
              });
            } finally {
              await running?.stop();
            }
            results.get(proxy.name).push(result);
            process.stdout.write(
              `  round ${r + 1}: ${size.name} ${load.name} ${proxy.name}: ${result.requestsPerSecond} req/s\n`,
            );
          }
        }
        for (const proxy of proxies) {
          cases.push({
            size: size.name,
            bytes: app.sizes[size.path.replace(/\.gz$/, "")],
            load: load.name,
            proxy: proxy.name,
            ...medianOf(results.get(proxy.name)),
          });
        }
      }
    }

    const profiles = profile ? await profileSizes(startOptions, guids, sizes) : undefined;
    return report(cases, profiles, { baselineNodeOptions, baselineEnv }, context, sizes);
  } finally {
    for (const stop of cleanup.reverse()) await stop();
  }
}

/** A separate profiled run per size (profiling slows the process, so these are not the measured runs). */
async function profileSizes(startOptions, guids, sizes) {
  const profiles = {};
  for (const size of SIZES.filter((s) => !sizes || sizes.includes(s.name))) {
    const raw = await profilePromregator(startOptions, (p) =>
      runWrk({ url: `${p.url}/singleTargetMetrics/${guids[size.name]}/0`, seconds: 10 }),
    );
    profiles[size.name] = { byArea: selfTimeByArea(raw), topFunctions: topSelfTime(raw, 15) };
    printTable(
      `Promregator CPU profile, ${size.name}, 50 connections: self time by area`,
      profiles[size.name].byArea,
    );
    printTable(`... top functions`, profiles[size.name].topFunctions);
  }
  return profiles;
}

const RPS = "roundsRequestsPerSecond";
const CPU = "roundsCpuUsPerRequest";

function report(cases, profiles, { baselineNodeOptions, baselineEnv }, context, sizes) {
  const find = (size, load, proxy) =>
    cases.find((c) => c.size === size && c.load === load && c.proxy === proxy);
  const ratios = [];
  for (const load of ["50 conns", "1 conn"]) {
    for (const size of SIZES.map((s) => s.name)) {
      const direct = find(size, load, "direct");
      if (!direct) continue;
      const nginx = find(size, load, "nginx");
      const node = find(size, load, "node-proxy");
      const parts = find(size, load, "parts-proxy");
      const prom = find(size, load, "promregator");
      const base = find(size, load, "baseline");
      ratios.push({
        size,
        load,
        "prom/nginx req/s": pairedRatio(prom, nginx, RPS),
        ...(base ? { "baseline/nginx req/s": pairedRatio(base, nginx, RPS) } : {}),
        ...(base ? { "prom/baseline cpu per req": pairedRatio(prom, base, CPU) } : {}),
        "prom/node-proxy req/s": pairedRatio(prom, node, RPS),
        "prom/direct req/s": pairedRatio(prom, direct, RPS),
        "node-proxy/nginx req/s": pairedRatio(node, nginx, RPS),
        "parts-proxy/nginx req/s": pairedRatio(parts, nginx, RPS),
        "prom/parts-proxy cpu per req": pairedRatio(prom, parts, CPU),
        "prom p50 - direct ms": round(prom.p50Ms - direct.p50Ms),
        "nginx p50 - direct ms": round(nginx.p50Ms - direct.p50Ms),
        "prom/nginx cpu per req": pairedRatio(prom, nginx, CPU),
      });
    }
  }
  printTable(
    "Scrape proxy (wrk; medians of the rounds; CPU and RSS of the proxy process, for direct: of the app; others = cores used by unrelated processes)",
    cases.map((c) => ({
      size: c.size,
      load: c.load,
      proxy: c.proxy,
      "req/s": round(c.requestsPerSecond, 0),
      "p50 ms": round(c.p50Ms),
      "p99 ms": round(c.p99Ms),
      "rounds req/s": c.roundsRequestsPerSecond.map((v) => round(v, 0)).join(" "),
      "cpu s": c.proxyCpuSeconds,
      "cpu us/req": c.proxyCpuUsPerRequest,
      "peak RSS MB": c.proxyPeakRssMB,
      errors: c.non2xx + c.socketErrors,
      others: c.otherCores,
      "busy rounds": c.busyRounds,
    })),
  );
  printTable("Ratios", ratios);
  const ratio = (size, load) => ratios.find((r) => r.size === size && r.load === load);
  /** The p50-overhead target of a 20 KB case, if it ran (with --sizes it may not have). */
  const p50Target = (load, label) => {
    const r = ratio("20KB", load);
    if (!r) return [];
    const overhead = r["prom p50 - direct ms"];
    return [
      {
        name: `p50 overhead over direct, 20KB, ${label}`,
        goal: "< 2 ms",
        measured: `${overhead} ms`,
        met: overhead < 2,
      },
    ];
  };
  // With --sizes, only the targets of the sizes that ran.
  const targets = printTargets([
    ...SIZES.filter((s) => !s.name.endsWith("gzip") && ratio(s.name, "50 conns")).map((s) => ({
      name: `throughput vs nginx, ${s.name}, 50 connections`,
      goal: ">= 0.50",
      measured: ratio(s.name, "50 conns")["prom/nginx req/s"],
      met: ratio(s.name, "50 conns")["prom/nginx req/s"] >= 0.5,
    })),
    ...p50Target("50 conns", "50 connections"),
    ...p50Target("1 conn", "1 connection"),
  ]);
  const busy = cases.reduce((n, c) => n + c.busyRounds, 0);
  if (busy > 0) {
    process.stdout.write(
      `\nWARNING: in ${busy} of ${cases.length * cases[0].rounds} measurements unrelated processes used more than ${BUSY_CORES} cores; see "busy rounds"\n`,
    );
  }
  const errors = cases.reduce((n, c) => n + c.non2xx + c.socketErrors, 0);
  if (errors > 0) process.stdout.write(`\nWARNING: ${errors} failed requests; see the errors column\n`);
  const name = sizes ? `scrape-${sizes.map((size) => size.replace(/\s+/g, "-")).join("-")}` : "scrape";
  return writeResult(name, context, {
    promregatorNodeOptions: HEAP_OPTIONS,
    promregatorEnv: SHIPPED_ENV,
    ...(baselineNodeOptions ? { baselineNodeOptions } : {}),
    ...(baselineEnv ? { baselineEnv } : {}),
    cases,
    ratios,
    targets,
    profiles,
  });
}
