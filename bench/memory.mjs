// Memory under steady scraping: N instances (--instances, default 3,000) each scraped every 15 s plus the own
// metrics endpoint and /discovery, by the built-in load generator or by a real Prometheus (--prometheus), while
// discovery refreshes every minute. Promregator's RSS is sampled every 10 s; its V8 heap comes from --trace-gc
// (live heap after the last full GC), its event-loop delay from a preloaded monitorEventLoopDelay probe. The
// cores each process used (Promregator, simulator, load generator) and the time Promregator's main thread waited
// for a core (schedstat) show how much of that delay the machine's sharing accounts for.
// With --baseline-cli <dist/cli.js of another build> that build runs first, the same way, in the same run.
import { join } from "node:path";
import { culpritsFromDir } from "./lib/cpuprofile.mjs";
import { steadyLoad } from "./lib/http-timing.mjs";
import {
  cpuSeconds,
  mainThreadRunQueueSeconds,
  otherCpuMeter,
  peakRssBytes,
  rssBytes,
  rssParts,
} from "./lib/proc.mjs";
import {
  freePort,
  HEAP_OPTIONS,
  SHIPPED_ENV,
  refreshingRouterYaml,
  startPromregatorProcess,
  startSimulatorProcess,
  tempDir,
} from "./lib/processes.mjs";
import { startPrometheus } from "./lib/prometheus.mjs";
import { mb, mean, percentile, printTable, printTargets, round, slope, writeResult } from "./lib/report.mjs";

/** 2 orgs x 5 spaces; 3 instances per app up to 3,000 instances, 4 above (10,000 = 2,500 apps). */
function landscapeFor(instances) {
  const perApp = instances > 3_000 ? 4 : 3;
  const appsPerSpace = Math.ceil(instances / perApp / 10);
  if (appsPerSpace * perApp * 10 !== instances)
    throw new Error(`--instances must be a multiple of ${perApp * 10}`);
  return { orgs: 2, spacesPerOrg: 5, appsPerSpace, instances: perApp, sizeBytes: 20_000 };
}
const SCRAPE_INTERVAL_S = 15;
/** Prometheus re-reads http_sd every 60 s by default; here every 30 s, to see it under load more often. */
const DISCOVERY_EVERY_S = 30;
/** Cache timeouts (s) that make Promregator refresh its discovery about once a minute during the run. */
const REFRESH_EVERY_S = 60;
/** Windows of the time series of latency, failures and event-loop delay. */
const WINDOW_S = 30;
const SAMPLE_EVERY_MS = 10_000;
const RSS_LIMIT_MB = 150;
/** Growth of the last quarter's mean RSS over the second quarter's that still counts as flat. */
const FLAT_TOLERANCE = 0.05;
/** Keep-alive of the simulated router, as long as a real foundation's (see simulator-process.mjs). */
const ROUTER_IDLE_TIMEOUT_MS = 90_000;
const FULL_GC = /Mark-Compact (?:\(reduce\) )?[\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/g;
const OWN_METRICS = "/promregatorMetrics";
const LOOP_DELAY = /LOOP_DELAY (\{.*\})/g;
const LOOP_STALL = /LOOP_STALL (\{.*\})/g;
const PROBE = join(import.meta.dirname, "lib/loop-delay-probe.mjs");

/** A --trace-gc line of a collection: milliseconds since the isolate started, and its pause in ms. */
const GC_PAUSE = /(\d+) ms: (?:Scavenge|Mark-Compact)[^,]*, ([\d.]+) \/ [\d.]+ ms/g;

/**
 * The garbage-collection pauses (--trace-gc) inside an event-loop block that ended `sinceStartMs` after the
 * process started (the probe's performance.now(), the clock --trace-gc counts from): their sum in ms and the
 * longest, so that a block's table row says how much of it the collector took.
 */
function gcInside(output, stall) {
  const from = stall.sinceStartMs - stall.ms;
  let sum = 0;
  let longest = 0;
  for (const [, at, pause] of output.matchAll(GC_PAUSE)) {
    if (Number(at) < from || Number(at) > stall.sinceStartMs) continue;
    sum += Number(pause);
    longest = Math.max(longest, Number(pause));
  }
  return { gcPauseMs: round(sum, 1), longestGcPauseMs: round(longest, 1) };
}

/** The probe's latest window (see lib/loop-delay-probe.mjs). */
function lastLoopDelay(output) {
  const last = [...output.matchAll(LOOP_DELAY)].at(-1);
  return last ? JSON.parse(last[1]) : {};
}

/** Live heap after the most recent full GC, and the heap V8 had reserved then (MB). */
function lastFullGc(output) {
  const all = [...output.matchAll(FULL_GC)];
  const last = all.at(-1);
  return last ? { heapLiveMB: Number(last[1]), heapCommittedMB: Number(last[2]) } : {};
}

/** Monotonic clock in microseconds, as in the probe's LOOP_STALL lines and --cpu-prof timestamps. */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function startSampler(promregator, sim) {
  const samples = [];
  /** Blocks of the event loop by the time they ended (the process's output is read every sample). */
  const stalls = new Map();
  const started = performance.now();
  const startedUs = nowUs();
  let others;
  const sample = () => {
    if (promregator.exited()) return;
    const ownCpu = process.cpuUsage();
    for (const [, json] of promregator.output().matchAll(LOOP_STALL)) {
      const stall = JSON.parse(json);
      if (stalls.has(stall.endUs)) continue;
      stalls.set(stall.endUs, {
        ...stall,
        atSeconds: round((stall.endUs - startedUs) / 1e6, 1),
        ...gcInside(promregator.output(), stall),
      });
    }
    samples.push({
      tSeconds: round((performance.now() - started) / 1000, 0),
      rssMB: mb(rssBytes(promregator.pid)),
      rssAnonMB: mb(rssParts(promregator.pid).anonBytes),
      rssFileMB: mb(rssParts(promregator.pid).fileBytes),
      ...lastFullGc(promregator.output()),
      loopDelay: lastLoopDelay(promregator.output()),
      cpuSeconds: round(cpuSeconds(promregator.pid)),
      // the simulator (CF API, router and apps) and this process (the load generator) share the cores
      simulatorCpuSeconds: round(cpuSeconds(sim.pid)),
      loadGeneratorCpuSeconds: round((ownCpu.user + ownCpu.system) / 1e6),
      mainThreadWaitSeconds: round(mainThreadRunQueueSeconds(promregator.pid), 3),
      // CPU of unrelated processes since the previous sample (none before the first)
      otherCores: others ? round(others().otherCores) : undefined,
    });
    others = otherCpuMeter();
  };
  sample();
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  return {
    samples,
    stalls: () => [...stalls.values()].sort((a, b) => a.endUs - b.endUs),
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}

/** Every target of the discovery document (instances and the own metrics), each once per interval. */
async function loadGenerator(promregator, durationMs, expected) {
  const discovery = await (await fetch(`${promregator.url}/discovery`)).json();
  const plan = discovery.map((group) => {
    const path = group.labels.__metrics_path__;
    return { path, tag: path === OWN_METRICS ? "own" : "instance" };
  });
  const instances = plan.filter((p) => p.tag === "instance").length;
  if (instances !== expected) throw new Error(`expected ${expected} targets, discovered ${instances}`);
  // /discovery as Prometheus' http_sd fetches it, spread evenly over the plan: without Accept-Encoding
  // (Prometheus 2.42 sends none for service discovery, as seen on the wire; vmagent asks for gzip).
  const every = Math.round((plan.length * DISCOVERY_EVERY_S) / SCRAPE_INTERVAL_S);
  for (let at = every; at < plan.length * 8; at += every) {
    plan.splice(at % plan.length, 0, { path: "/discovery", tag: "discovery", headers: {} });
  }
  const records = await steadyLoad({
    origin: promregator.url,
    plan,
    ratePerSecond: plan.length / SCRAPE_INTERVAL_S,
    durationMs,
    // what a Prometheus scrape sends
    headers: { "x-prometheus-scrape-timeout-seconds": "10", "accept-encoding": "gzip" },
  });
  const scrapes = records.filter((r) => r.tag === "instance");
  const ok = scrapes.filter((r) => r.status === 200).map((r) => r.latencyMs);
  // After the first interval every instance has been scraped once: no first-scrape set-up any more.
  const steady = scrapes.filter((r) => r.sentAtMs >= SCRAPE_INTERVAL_S * 1000);
  const steadyOk = steady.filter((r) => r.status === 200).map((r) => r.latencyMs);
  const own = records.filter((r) => r.tag === "own").map((r) => r.latencyMs);
  const discoveries = records.filter((r) => r.tag === "discovery").map((r) => r.latencyMs);
  return {
    driver: "load generator",
    scrapes: scrapes.length,
    ok: ok.length,
    failed: scrapes.length - ok.length,
    p50Ms: round(percentile(ok, 50)),
    p99Ms: round(percentile(ok, 99)),
    // (a spread of every latency would overflow the stack on a long run: 400,000 scrapes in 10 minutes)
    maxMs: round(percentile(ok, 100)),
    steadyFailed: steady.length - steadyOk.length,
    steadyP99Ms: round(percentile(steadyOk, 99)),
    ownMetricsScrapes: own.length,
    ownMetricsP50Ms: round(percentile(own, 50)),
    ownMetricsMaxMs: round(percentile(own, 100)),
    discoveryGets: discoveries.length,
    discoveryP50Ms: round(percentile(discoveries, 50)),
    windows: windowsOf(scrapes),
  };
}

/** Scrapes per WINDOW_S window by send time: count, failures, p50 and p99 latency. */
function windowsOf(scrapes) {
  const windows = [];
  for (const r of scrapes) {
    const i = Math.floor(r.sentAtMs / 1000 / WINDOW_S);
    windows[i] ??= { fromS: i * WINDOW_S, latencies: [], failed: 0 };
    if (r.status === 200) windows[i].latencies.push(r.latencyMs);
    else windows[i].failed++;
  }
  return windows.filter(Boolean).map((w) => ({
    fromS: w.fromS,
    scrapes: w.latencies.length + w.failed,
    failed: w.failed,
    p50Ms: round(percentile(w.latencies, 50)),
    p99Ms: round(percentile(w.latencies, 99)),
  }));
}

async function prometheusDriver(promregator, durationMs) {
  const prometheus = await startPrometheus({
    promregatorUrl: promregator.url,
    intervalSeconds: SCRAPE_INTERVAL_S,
  });
  try {
    await new Promise((r) => setTimeout(r, durationMs));
    return { driver: "prometheus", ...(await prometheus.scrapeSummary()) };
  } finally {
    await prometheus.stop();
  }
}

export async function runMemory({
  minutes = 10,
  prometheus = false,
  instances = 3_000,
  baselineCli,
  baselineHeapLimits = false,
  baselineNodeOptions,
  baselineEnv,
  profile = false,
  ...context
}) {
  // A baseline build (--baseline-cli) runs as it ran before: without the heap limits (builds before them need
  // the room for their one-string render), unless --baseline-heap-limits; the current build as the baseline
  // (--baseline-env alone) keeps them; --baseline-node-options replaces them. Every contender runs with the
  // shipped environment (SHIPPED_ENV: the deployment's allocator settings, not a build's), the baseline with
  // --baseline-env's instead when given.
  const baselineOptions = baselineNodeOptions ?? (baselineHeapLimits || !baselineCli ? HEAP_OPTIONS : []);
  const contenders = [
    ...(baselineCli || baselineNodeOptions || baselineEnv
      ? [{ name: "baseline", cli: baselineCli, nodeOptions: baselineOptions, env: baselineEnv ?? SHIPPED_ENV }]
      : []),
    { name: "current", cli: undefined, nodeOptions: HEAP_OPTIONS, env: SHIPPED_ENV },
  ];
  const runs = [];
  for (const contender of contenders) {
    process.stdout.write(`  -- ${contender.name}${contender.cli ? ` (${contender.cli})` : ""}\n`);
    const { cli, nodeOptions, env } = contender;
    runs.push({
      contender: contender.name,
      nodeOptions,
      env,
      ...(await runOnce({ minutes, prometheus, instances, cli, nodeOptions, env, profile })),
    });
  }
  return report(runs, { minutes, instances, context });
}

async function runOnce({ minutes, prometheus, instances, cli, nodeOptions, env, profile }) {
  // With --profile: a CPU profile of the whole run, cut at the event-loop blocks to name what blocked.
  const cpuProfDir = profile ? tempDir("cpuprof") : undefined;
  const sim = await startSimulatorProcess({
    generate: landscapeFor(instances),
    idleTimeoutMs: ROUTER_IDLE_TIMEOUT_MS,
  });
  let promregator;
  let result;
  try {
    const port = await freePort();
    const yaml = refreshingRouterYaml({ sim, port, refreshSeconds: REFRESH_EVERY_S });
    promregator = await startPromregatorProcess({
      yaml,
      port,
      caPem: sim.caPem,
      nodeOptions: [...nodeOptions, "--trace-gc", "--import", PROBE],
      env,
      readyTimeoutMs: 120_000,
      cpuProfDir,
      ...(cli ? { cli } : {}),
    });
    process.stdout.write(
      `  scraping ${instances} instances every ${SCRAPE_INTERVAL_S} s for ${minutes} min...\n`,
    );
    const cfBefore = await sim.counters();
    const sampler = startSampler(promregator, sim);
    const durationMs = minutes * 60_000;
    // The event-loop figures start after the first interval of load (see lib/loop-delay-probe.mjs).
    const warm = setTimeout(() => process.kill(promregator.pid, "SIGUSR2"), SCRAPE_INTERVAL_S * 1000);
    const load = prometheus
      ? await prometheusDriver(promregator, durationMs)
      : await loadGenerator(promregator, durationMs, instances);
    clearTimeout(warm);
    sampler.stop();
    const cfAfter = await sim.counters();
    result = {
      load,
      samples: sampler.samples,
      stalls: sampler.stalls(),
      peakMB: promregator.exited() ? undefined : mb(peakRssBytes(promregator.pid)),
      exited: promregator.exited(),
      cfRequestsDuringRun: cfRequests(cfAfter) - cfRequests(cfBefore),
    };
  } finally {
    await promregator?.stop();
    await sim.stop();
  }
  return { ...result, stallCulprits: cpuProfDir ? culpritsFromDir(cpuProfDir, result.stalls) : undefined };
}

/** Cloud Controller requests in the simulator's counters. */
function cfRequests(counters) {
  return counters.ccRequests ?? 0;
}

/**
 * How the cores were shared from the first sample to the last: cores used by Promregator, by the simulator
 * and by the load generator, and how long Promregator's main thread waited for a core per second (a wait
 * the event-loop probe counts as delay).
 */
function sharedCores(samples) {
  const [first, last] = [samples[0], samples.at(-1)];
  const seconds = last.tSeconds - first.tSeconds;
  if (!(seconds > 0) || first.mainThreadWaitSeconds === undefined) return {};
  const cores = (key) => round((last[key] - first[key]) / seconds);
  return {
    promregatorCores: cores("cpuSeconds"),
    simulatorCores: cores("simulatorCpuSeconds"),
    loadGeneratorCores: cores("loadGeneratorCpuSeconds"),
    mainThreadWaitMsPerS: round(
      (1000 * (last.mainThreadWaitSeconds - first.mainThreadWaitSeconds)) / seconds,
      1,
    ),
  };
}

/** Summary of one contender's run. */
function summarize(
  { load: { windows, ...load }, samples, stalls, peakMB, exited, cfRequestsDuringRun },
  minutes,
) {
  const n = samples.length;
  const quarter = (q) =>
    samples.slice(Math.floor((q * n) / 4), Math.floor(((q + 1) * n) / 4)).map((s) => s.rssMB);
  const q2 = mean(quarter(1));
  const q4 = mean(quarter(3));
  const secondHalf = samples.slice(Math.floor(n / 2));
  const delays = samples.map((s) => s.loopDelay ?? {});
  const last = delays.at(-1) ?? {};
  return {
    minutes,
    ...load,
    samples: n,
    maxRssMB: Math.max(...samples.map((s) => s.rssMB)),
    peakRssMB: peakMB,
    secondQuarterMeanMB: round(q2, 1),
    lastQuarterMeanMB: round(q4, 1),
    lastVsSecondQuarter: round(q4 / q2, 3),
    secondHalfSlopeMBPerMin: round(
      slope(
        secondHalf.map((s) => s.tSeconds / 60),
        secondHalf.map((s) => s.rssMB),
      ),
      2,
    ),
    maxHeapLiveMB: Math.max(...samples.map((s) => s.heapLiveMB ?? 0)),
    maxHeapCommittedMB: Math.max(...samples.map((s) => s.heapCommittedMB ?? 0)),
    // The probe samples every 10 ms; its figures include those 10 ms (an idle loop reads about 10 ms).
    loopDelayP99Ms: last.totalP99Ms,
    loopDelayMaxMs: last.totalMaxMs,
    worstWindowLoopDelayP99Ms: Math.max(...delays.map((d) => d.p99Ms ?? 0)),
    // blocks of the loop over the probe's LOOP_STALL_MS once the load runs (the first interval included)
    loopStallsDuringLoad: stalls.filter((s) => s.atSeconds >= 0).length,
    longestStallDuringLoadMs: Math.max(0, ...stalls.filter((s) => s.atSeconds >= 0).map((s) => s.ms)),
    cfRequestsDuringRun,
    exitedDuringRun: exited,
    meanOtherCores: round(mean(samples.slice(1).map((s) => s.otherCores))),
    ...sharedCores(samples),
  };
}

function report(runs, { minutes, instances, context }) {
  const summaries = runs.map((run) => ({ contender: run.contender, ...summarize(run, minutes) }));
  for (const run of runs) {
    const n = run.samples.length;
    const every = Math.max(1, Math.round(n / 20));
    printTable(
      `${run.contender}: samples (a selection)`,
      run.samples
        .filter((_, i) => i % every === 0 || i === n - 1)
        .map(({ loopDelay, ...s }) => ({ ...s, loopP99Ms: loopDelay?.p99Ms, loopMaxMs: loopDelay?.maxMs })),
    );
    if (run.load.windows) printTable(`${run.contender}: scrapes per ${WINDOW_S} s window`, run.load.windows);
    const longest = [...run.stalls].sort((a, b) => b.ms - a.ms).slice(0, 15);
    if (longest.length > 0) {
      printTable(`${run.contender}: longest event-loop blocks (atSeconds: since the load started)`, longest);
    }
    if (run.stallCulprits) printTable(`${run.contender}: what ran during the blocks`, run.stallCulprits);
  }
  printTable(`Memory (${instances} instances every ${SCRAPE_INTERVAL_S} s, ${minutes} min)`, summaries);
  const current = summaries.at(-1);
  const targets = printTargets([
    {
      name: "RSS stays below",
      goal: `< ${RSS_LIMIT_MB} MB`,
      measured: `${current.maxRssMB} MB`,
      met: current.maxRssMB < RSS_LIMIT_MB,
    },
    {
      name: "no growth: last-quarter mean RSS vs second-quarter mean",
      goal: `<= ${1 + FLAT_TOLERANCE}x`,
      measured: `${current.lastVsSecondQuarter}x (slope ${current.secondHalfSlopeMBPerMin} MB/min)`,
      met: current.lastVsSecondQuarter <= 1 + FLAT_TOLERANCE,
    },
    {
      name: "scrapes answered 200",
      goal: "all",
      measured: `${current.ok}/${current.scrapes}`,
      met: current.ok === current.scrapes,
    },
    {
      name: "scrape p99",
      goal: "< 100 ms",
      measured: `${current.p99Ms} ms (after the first interval: ${current.steadyP99Ms} ms, ${current.steadyFailed} failed)`,
      met: current.p99Ms < 100,
    },
    {
      name: "event-loop delay p99 / max (incl. the probe's 10 ms)",
      goal: "< 20 ms / < 50 ms",
      measured: `${current.loopDelayP99Ms} / ${current.loopDelayMaxMs} ms`,
      met: current.loopDelayP99Ms < 20 && current.loopDelayMaxMs < 50,
    },
  ]);
  return writeResult(`memory-${instances}`, context, {
    setup: {
      instances,
      scrapeIntervalSeconds: SCRAPE_INTERVAL_S,
      landscape: landscapeFor(instances),
      routerIdleTimeoutMs: ROUTER_IDLE_TIMEOUT_MS,
      discoveryEverySeconds: DISCOVERY_EVERY_S,
      refreshEverySeconds: REFRESH_EVERY_S,
      nodeOptions: Object.fromEntries(runs.map((r) => [r.contender, r.nodeOptions])),
      env: Object.fromEntries(runs.map((r) => [r.contender, r.env])),
    },
    summaries,
    runs: runs.map((r) => ({
      contender: r.contender,
      windows: r.load.windows,
      samples: r.samples,
      stalls: r.stalls,
      stallCulprits: r.stallCulprits,
    })),
    targets,
  });
}
