// Slow targets: 100 instances scraped at a steady rate through Promregator and the simulated router;
// 10 of them answer after 8 s. Do the fast 90 keep their latency when the slow 10 are present?
import { steadyLoad } from "./lib/http-timing.mjs";
import { usage } from "./lib/proc.mjs";
import {
  freePort,
  promregatorYaml,
  routerTargetYaml,
  startPromregatorProcess,
  startSimulatorProcess,
} from "./lib/processes.mjs";
import { mb, percentile, printTable, printTargets, round, writeResult } from "./lib/report.mjs";

const APPS = 10;
const INSTANCES_PER_APP = 10;
const SLOW_INDEX = 9;
const SLOW_LATENCY_MS = 8_000;
const SCRAPE_INTERVAL_S = 2;
const WARMUP_S = 3;
const BODY_BYTES = 20_000;
/** Keep-alive of the simulated router, as long as a real foundation's (see simulator-process.mjs). */
const ROUTER_IDLE_TIMEOUT_MS = 90_000;
/** What Prometheus sends with scrape_timeout: 10s. */
const HEADERS = { "x-prometheus-scrape-timeout-seconds": "10", accept: "text/plain;version=0.0.4" };

const landscape = {
  domains: [{ name: "apps.example.org" }],
  orgs: [
    {
      name: "slow-org",
      spaces: [
        {
          name: "slow-space",
          apps: Array.from({ length: APPS }, (_, a) => ({
            name: `svc-${a}`,
            instances: INSTANCES_PER_APP,
            behaviour: { sizeBytes: BODY_BYTES },
          })),
        },
      ],
    },
  ],
};

function summarise(records, tag) {
  const mine = records.filter((r) => r.tag === tag);
  const ok = mine.filter((r) => r.status === 200);
  const latencies = ok.map((r) => r.latencyMs);
  const statuses = {};
  for (const r of mine) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    requests: mine.length,
    ok: ok.length,
    statuses,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: latencies.length > 0 ? round(Math.max(...latencies)) : undefined,
    // failures answer after the scrape budget; their time matters as much as that of the successes
    allP50Ms: round(
      percentile(
        mine.map((r) => r.latencyMs),
        50,
      ),
    ),
  };
}

export async function runSlow({ seconds = 25, ...context }) {
  const sim = await startSimulatorProcess({ landscape, idleTimeoutMs: ROUTER_IDLE_TIMEOUT_MS });
  let promregator;
  try {
    const port = await freePort();
    const yaml = promregatorYaml({
      sim,
      port,
      promregator: routerTargetYaml(sim, "orgName: slow-org"),
    });
    promregator = await startPromregatorProcess({ yaml, port, caPem: sim.caPem });
    const guids = [];
    for (let a = 0; a < APPS; a++) guids.push((await sim.findApp(`svc-${a}`)).guid);
    // index-major order spreads the slow instances evenly over the schedule
    const plan = [];
    for (let i = 0; i < INSTANCES_PER_APP; i++) {
      for (const guid of guids) {
        plan.push({ path: `/singleTargetMetrics/${guid}/${i}`, tag: i === SLOW_INDEX ? "slow" : "fast" });
      }
    }
    const rate = plan.length / SCRAPE_INTERVAL_S;
    const load = (durationMs) =>
      steadyLoad({ origin: promregator.url, plan, ratePerSecond: rate, durationMs, headers: HEADERS });

    await load(WARMUP_S * 1000);
    const phases = [];
    for (const slowPresent of [false, true]) {
      for (const guid of guids) {
        await sim.setInstanceBehaviour(guid, SLOW_INDEX, {
          sizeBytes: BODY_BYTES,
          ...(slowPresent ? { latencyMs: SLOW_LATENCY_MS } : {}),
        });
      }
      const before = usage([promregator.pid]);
      const records = await load(seconds * 1000);
      const after = usage([promregator.pid]);
      phases.push({
        phase: slowPresent ? "with 10 slow" : "all fast",
        fast: summarise(records, "fast"),
        tenth: summarise(records, "slow"),
        cpuSeconds: round(after.cpuSeconds - before.cpuSeconds),
        peakRssMB: mb(after.peakRssBytes),
      });
      process.stdout.write(`  ${phases.at(-1).phase}: fast p50 ${phases.at(-1).fast.p50Ms} ms\n`);
    }
    return report(phases, { rate, seconds, context });
  } finally {
    await promregator?.stop();
    await sim.stop();
  }
}

function report(phases, { rate, seconds, context }) {
  const [calm, slow] = phases;
  printTable(
    `Slow targets (${APPS * INSTANCES_PER_APP} instances, ${rate} scrapes/s, ${seconds} s per phase; "tenth" = instances ${SLOW_INDEX} of each app)`,
    phases.map((p) => ({
      phase: p.phase,
      "fast ok": `${p.fast.ok}/${p.fast.requests}`,
      "fast p50 ms": p.fast.p50Ms,
      "fast p99 ms": p.fast.p99Ms,
      "fast max ms": p.fast.maxMs,
      "tenth statuses": JSON.stringify(p.tenth.statuses),
      "tenth p50 ms": p.tenth.allP50Ms,
      "cpu s": p.cpuSeconds,
      "peak RSS MB": p.peakRssMB,
    })),
  );
  const ratios = {
    fastP50WithSlowVsWithout: round(slow.fast.p50Ms / calm.fast.p50Ms),
    fastP99WithSlowVsWithout: round(slow.fast.p99Ms / calm.fast.p99Ms),
  };
  printTable("Ratios (with slow / without)", [ratios]);
  const targets = printTargets([
    {
      name: "fast instances all answered 200 with slow ones present",
      goal: "100%",
      measured: `${slow.fast.ok}/${slow.fast.requests}`,
      met: slow.fast.ok === slow.fast.requests,
    },
    {
      name: "fast p99 with slow present vs without",
      goal: "< 1.5x",
      measured: `${ratios.fastP99WithSlowVsWithout}x`,
      met: ratios.fastP99WithSlowVsWithout < 1.5,
    },
  ]);
  return writeResult("slow", context, {
    setup: {
      instances: APPS * INSTANCES_PER_APP,
      slowInstances: APPS,
      slowLatencyMs: SLOW_LATENCY_MS,
      scrapesPerSecond: rate,
      secondsPerPhase: seconds,
      bodyBytes: BODY_BYTES,
      requestHeaders: HEADERS,
    },
    phases,
    ratios,
    targets,
  });
}
