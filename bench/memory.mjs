// Memory under steady scraping: 3,000 instances each scraped every 15 s (200 scrapes/s) plus the own
// metrics endpoint, by the built-in load generator or by a real Prometheus (--prometheus). Promregator's
// RSS is sampled every 10 s; its V8 heap comes from --trace-gc (live heap after the last full GC).
import { steadyLoad } from "./lib/http-timing.mjs";
import { cpuSeconds, otherCpuMeter, peakRssBytes, rssBytes } from "./lib/proc.mjs";
import {
  freePort,
  promregatorYaml,
  routerTargetYaml,
  startPromregatorProcess,
  startSimulatorProcess,
} from "./lib/processes.mjs";
import { startPrometheus } from "./lib/prometheus.mjs";
import { mb, mean, percentile, printTable, printTargets, round, slope, writeResult } from "./lib/report.mjs";

const LANDSCAPE = { orgs: 2, spacesPerOrg: 5, appsPerSpace: 100, instances: 3, sizeBytes: 20_000 };
const INSTANCES = 3_000;
const SCRAPE_INTERVAL_S = 15;
const SAMPLE_EVERY_MS = 10_000;
const RSS_LIMIT_MB = 150;
/** Growth of the last quarter's mean RSS over the second quarter's that still counts as flat. */
const FLAT_TOLERANCE = 0.05;
/** Keep-alive of the simulated router, as long as a real foundation's (see simulator-process.mjs). */
const ROUTER_IDLE_TIMEOUT_MS = 90_000;
const FULL_GC = /Mark-Compact (?:\(reduce\) )?[\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/g;
const OWN_METRICS = "/promregatorMetrics";

/** Live heap after the most recent full GC, and the heap V8 had reserved then (MB). */
function lastFullGc(output) {
  const all = [...output.matchAll(FULL_GC)];
  const last = all.at(-1);
  return last ? { heapLiveMB: Number(last[1]), heapCommittedMB: Number(last[2]) } : {};
}

function startSampler(promregator) {
  const samples = [];
  const started = performance.now();
  let others;
  const sample = () => {
    samples.push({
      tSeconds: round((performance.now() - started) / 1000, 0),
      rssMB: mb(rssBytes(promregator.pid)),
      ...lastFullGc(promregator.output()),
      cpuSeconds: round(cpuSeconds(promregator.pid)),
      // CPU of unrelated processes since the previous sample (none before the first)
      otherCores: others ? round(others().otherCores) : undefined,
    });
    others = otherCpuMeter();
  };
  sample();
  const timer = setInterval(sample, SAMPLE_EVERY_MS);
  return {
    samples,
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}

/** Every target of the discovery document (instances and the own metrics), each once per interval. */
async function loadGenerator(promregator, durationMs) {
  const discovery = await (await fetch(`${promregator.url}/discovery`)).json();
  const plan = discovery.map((group) => {
    const path = group.labels.__metrics_path__;
    return { path, tag: path === OWN_METRICS ? "own" : "instance" };
  });
  const instances = plan.filter((p) => p.tag === "instance").length;
  if (instances !== INSTANCES) throw new Error(`expected ${INSTANCES} targets, discovered ${instances}`);
  const records = await steadyLoad({
    origin: promregator.url,
    plan,
    ratePerSecond: plan.length / SCRAPE_INTERVAL_S,
    durationMs,
    // what Prometheus sends (Go's HTTP client asks for gzip on its own)
    headers: { "x-prometheus-scrape-timeout-seconds": "10", "accept-encoding": "gzip" },
  });
  const scrapes = records.filter((r) => r.tag === "instance");
  const ok = scrapes.filter((r) => r.status === 200).map((r) => r.latencyMs);
  const own = records.filter((r) => r.tag === "own").map((r) => r.latencyMs);
  return {
    driver: "load generator",
    scrapes: scrapes.length,
    ok: ok.length,
    p50Ms: round(percentile(ok, 50)),
    p99Ms: round(percentile(ok, 99)),
    ownMetricsScrapes: own.length,
    ownMetricsP50Ms: round(percentile(own, 50)),
  };
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

export async function runMemory({ minutes = 10, prometheus = false, ...context }) {
  const sim = await startSimulatorProcess({ generate: LANDSCAPE, idleTimeoutMs: ROUTER_IDLE_TIMEOUT_MS });
  let promregator;
  try {
    const port = await freePort();
    const yaml = promregatorYaml({
      sim,
      port,
      promregator: routerTargetYaml(sim, "orgRegex: org-.*"),
    });
    promregator = await startPromregatorProcess({
      yaml,
      port,
      caPem: sim.caPem,
      nodeOptions: ["--trace-gc"],
    });
    process.stdout.write(
      `  scraping ${INSTANCES} instances every ${SCRAPE_INTERVAL_S} s for ${minutes} min...\n`,
    );
    const sampler = startSampler(promregator);
    const durationMs = minutes * 60_000;
    const load = prometheus
      ? await prometheusDriver(promregator, durationMs)
      : await loadGenerator(promregator, durationMs);
    sampler.stop();
    const peakMB = mb(peakRssBytes(promregator.pid));
    return report(sampler.samples, load, { minutes, peakMB, context });
  } finally {
    await promregator?.stop();
    await sim.stop();
  }
}

function report(samples, load, { minutes, peakMB, context }) {
  const n = samples.length;
  const quarter = (q) =>
    samples.slice(Math.floor((q * n) / 4), Math.floor(((q + 1) * n) / 4)).map((s) => s.rssMB);
  const q2 = mean(quarter(1));
  const q4 = mean(quarter(3));
  const secondHalf = samples.slice(Math.floor(n / 2));
  const maxRss = Math.max(...samples.map((s) => s.rssMB));
  const summary = {
    minutes,
    ...load,
    samples: n,
    maxRssMB: maxRss,
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
    lastHeapLiveMB: samples.at(-1).heapLiveMB,
    meanOtherCores: round(mean(samples.slice(1).map((s) => s.otherCores))),
  };
  const every = Math.max(1, Math.round(n / 20));
  printTable(
    "RSS samples (a selection)",
    samples.filter((_, i) => i % every === 0 || i === n - 1),
  );
  printTable(`Memory (${INSTANCES} instances every ${SCRAPE_INTERVAL_S} s, ${minutes} min, ${load.driver})`, [
    summary,
  ]);
  const targets = printTargets([
    {
      name: "RSS stays below",
      goal: `< ${RSS_LIMIT_MB} MB`,
      measured: `${maxRss} MB`,
      met: maxRss < RSS_LIMIT_MB,
    },
    {
      name: "no growth: last-quarter mean RSS vs second-quarter mean",
      goal: `<= ${1 + FLAT_TOLERANCE}x`,
      measured: `${summary.lastVsSecondQuarter}x (slope ${summary.secondHalfSlopeMBPerMin} MB/min)`,
      met: q4 <= q2 * (1 + FLAT_TOLERANCE),
    },
    {
      name: "scrapes answered 200",
      goal: "all",
      measured: `${load.ok}/${load.scrapes}`,
      met: load.ok === load.scrapes,
    },
  ]);
  return writeResult("memory", context, {
    setup: {
      instances: INSTANCES,
      scrapeIntervalSeconds: SCRAPE_INTERVAL_S,
      landscape: LANDSCAPE,
      routerIdleTimeoutMs: ROUTER_IDLE_TIMEOUT_MS,
    },
    summary,
    samples,
    targets,
  });
}
