// Discovery at scale: cold resolution of simulated landscapes with 20 ms Cloud Controller latency, the
// CF requests it took, and how fast /discovery is served from the result. Then the first discovery of the
// largest landscape against a CC whose 5,000-item pages take 3.5 s, with the default cf.request settings.
import { gzipSync } from "node:zlib";
import { profilePromregator, selfTimeByArea, topSelfTime } from "./lib/cpuprofile.mjs";
import { sequentialGets } from "./lib/http-timing.mjs";
import { peakRssBytes, rssBytes } from "./lib/proc.mjs";
import {
  freePort,
  promregatorYaml,
  startPromregatorProcess,
  startSimulatorProcess,
} from "./lib/processes.mjs";
import { mb, percentile, printTable, printTargets, round, writeResult } from "./lib/report.mjs";
import { runWrk } from "./lib/wrk.mjs";

const APP_COUNTS = [100, 1_000, 10_000];
const INSTANCES = 3;
const CC_LATENCY_MS = 20;
const GETS = 200;
const GZIP = { "accept-encoding": "gzip" };
/** 0.7 ms per requested per_page item: a page of 5,000 takes 3.5 s (as on real CCs), one of 1,000 0.7 s. */
const SLOW_PAGE_MS_PER_ITEM = 0.7;

/** 10 orgs x 10 spaces, apps spread evenly: the shape of a mid-size foundation. */
function landscapeFor(apps) {
  return { orgs: 10, spacesPerOrg: 10, appsPerSpace: apps / 100, instances: INSTANCES };
}

const TARGETS = ["  targets:", "    - orgRegex: org-.*", "      protocol: http"].join("\n");

async function measureSize(apps, { profile }) {
  const sim = await startSimulatorProcess({ generate: landscapeFor(apps), latencyMs: CC_LATENCY_MS });
  try {
    const port = await freePort();
    const startOptions = {
      yaml: promregatorYaml({ sim, port, promregator: TARGETS }),
      port,
      caPem: sim.caPem,
    };
    await sim.resetCounters();
    const promregator = await startPromregatorProcess(startOptions);
    let result;
    try {
      const counters = await sim.counters();
      const rssAfterReady = rssBytes(promregator.pid);
      const url = `${promregator.url}/discovery`;
      const plain = await sequentialGets(url, { count: GETS });
      const gzip = await sequentialGets(url, { count: GETS, headers: GZIP });
      const documentText = await (await fetch(url)).text();
      const targets = JSON.parse(documentText).length - 1;
      const wrk = await runWrk({ url, seconds: 5, connections: 4, threads: 1, headers: GZIP });
      result = {
        apps,
        instances: apps * INSTANCES,
        targets,
        listeningMs: round(promregator.listeningMs, 0),
        coldReadyMs: round(promregator.readyMs, 0),
        // everything sent to the Cloud Controller and UAA, the API root and token requests included
        cfRequests: Object.values(counters.byPath).reduce((a, b) => a + b, 0),
        cfRequestsByPath: counters.byPath,
        documentBytes: plain.bytes,
        documentGzipBytes: gzip.bytes,
        plainP50Ms: round(percentile(plain.latencies, 50)),
        plainP99Ms: round(percentile(plain.latencies, 99)),
        gzipP50Ms: round(percentile(gzip.latencies, 50)),
        gzipP99Ms: round(percentile(gzip.latencies, 99)),
        wrkGzipRps: wrk.requestsPerSecond,
        wrkGzipP50Ms: wrk.p50Ms,
        wrkGzipP99Ms: wrk.p99Ms,
        gzipLevel1Ms: gzipCost(documentText),
        rssAfterReadyMB: mb(rssAfterReady),
        peakRssMB: mb(peakRssBytes(promregator.pid)),
      };
    } finally {
      await promregator.stop();
    }
    if (profile) {
      const raw = await profilePromregator(startOptions, async (p) => {
        await sequentialGets(`${p.url}/discovery`, { count: 100, headers: GZIP });
      });
      result.profile = { byArea: selfTimeByArea(raw), topFunctions: topSelfTime(raw, 15) };
      printTable(
        `Promregator CPU profile, ${apps} apps: cold start + 100 gzip GETs of /discovery`,
        result.profile.topFunctions,
      );
    }
    return result;
  } finally {
    await sim.stop();
  }
}

/**
 * First discovery (time from spawn to /ready, i.e. a first landscape) and the CF requests it took, with
 * `latencyMs` on every CC answer and `pageDelayMsPerItem` per requested per_page item on list pages.
 */
export async function measureFirstDiscovery(apps, { latencyMs = 0, pageDelayMsPerItem = 0 } = {}) {
  const sim = await startSimulatorProcess({ generate: landscapeFor(apps), latencyMs });
  try {
    if (pageDelayMsPerItem > 0) await sim.setListFaults({ pageDelayMsPerItem });
    const port = await freePort();
    await sim.resetCounters();
    const promregator = await startPromregatorProcess({
      yaml: promregatorYaml({ sim, port, promregator: TARGETS }),
      port,
      caPem: sim.caPem,
      readyTimeoutMs: 600_000,
    });
    try {
      const counters = await sim.counters();
      const targets = JSON.parse(await (await fetch(`${promregator.url}/discovery`)).text()).length - 1;
      return {
        apps,
        instances: apps * INSTANCES,
        targets,
        latencyMs,
        pageDelayMsPer5000: pageDelayMsPerItem * 5000,
        coldReadyMs: round(promregator.readyMs, 0),
        cfRequests: Object.values(counters.byPath).reduce((a, b) => a + b, 0),
        cfRequestsByPath: counters.byPath,
      };
    } finally {
      await promregator.stop();
    }
  } finally {
    await sim.stop();
  }
}

export async function runDiscovery({ profile = false, ...context }) {
  const sizes = [];
  for (const apps of APP_COUNTS) {
    sizes.push(await measureSize(apps, { profile }));
    process.stdout.write(`  ${apps} apps: ready after ${sizes.at(-1).coldReadyMs} ms\n`);
  }
  const slow = await measureFirstDiscovery(APP_COUNTS.at(-1), { pageDelayMsPerItem: SLOW_PAGE_MS_PER_ITEM });
  printTable(
    `First discovery with ${slow.pageDelayMsPer5000} ms per 5,000-item page, default cf.request settings`,
    [
      {
        apps: slow.apps,
        targets: slow.targets,
        "ready ms": slow.coldReadyMs,
        "CF requests": slow.cfRequests,
      },
    ],
  );
  printTable(
    `Discovery (simulated CC with ${CC_LATENCY_MS} ms latency per request; ${GETS} sequential GETs each)`,
    sizes.map((s) => ({
      apps: s.apps,
      targets: s.targets,
      "cold ready ms": s.coldReadyMs,
      "CF requests": s.cfRequests,
      "doc KB": round(s.documentBytes / 1024, 0),
      "gzip KB": round(s.documentGzipBytes / 1024, 0),
      "p50 ms": s.plainP50Ms,
      "p99 ms": s.plainP99Ms,
      "gzip p50": s.gzipP50Ms,
      "gzip p99": s.gzipP99Ms,
      "wrk gzip req/s": s.wrkGzipRps,
      "gzip cost ms": s.gzipLevel1Ms,
      "RSS MB": s.rssAfterReadyMB,
    })),
  );
  const largest = sizes.at(-1);
  const targets = printTargets([
    {
      name: `cold discovery of ${largest.apps} apps`,
      goal: "< 5000 ms",
      measured: `${largest.coldReadyMs} ms`,
      met: largest.coldReadyMs < 5000,
    },
    {
      name: `CF requests for ${largest.apps} apps`,
      goal: "< 50",
      measured: largest.cfRequests,
      met: largest.cfRequests < 50,
    },
    {
      name: `/discovery p99 at ${largest.targets} targets, gzip (vmagent)`,
      goal: "< 20 ms",
      measured: `${largest.gzipP99Ms} ms`,
      met: largest.gzipP99Ms < 20,
    },
    {
      name: `/discovery p99 at ${largest.targets} targets, identity (Prometheus' http_sd)`,
      goal: "< 20 ms",
      measured: `${largest.plainP99Ms} ms`,
      met: largest.plainP99Ms < 20,
    },
  ]);
  return writeResult("discovery", context, {
    ccLatencyMs: CC_LATENCY_MS,
    sequentialGets: GETS,
    sizes,
    slowPages: slow,
    targets,
  });
}

/** Median time of gzip level 1 over the document in this process: the share of gzip in a gzip GET. */
function gzipCost(text) {
  const body = Buffer.from(text);
  const times = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    gzipSync(body, { level: 1 });
    times.push(performance.now() - started);
  }
  return round(percentile(times, 50));
}
