// CF API cost of one Promregator replica: the requests of its first discovery and of each background refresh,
// at a few landscape sizes. Every replica pays this on its own (no shared cache), so N replicas cost N times it.
//
//   npm run build && node bench/refresh-cost.mjs [apps ...]      (default: 100 1000 10000)
//
// On a loaded machine, pages of 1,000 can take longer than cf.request.timeout.* and are then read again in pages
// of 200, which costs more requests: CF_REQUEST_TIMEOUT_APPINSPACE=60000 (and _PROCESS, _ROUTE, _ORG, _SPACE,
// _DOMAIN) in the environment, which Promregator inherits, keeps them from timing out.
//
// The 5-minute layers (apps, routes, processes, target resolution) are set to refresh every REFRESH_S seconds so
// that several refreshes fit in a short run; orgs, spaces and domains keep their hourly default. Reloads are
// counted per cache (status.json), the CF requests per list by the simulator.
import { stopAllChildren, waitFor } from "./lib/child.mjs";
import {
  freePort,
  promregatorYaml,
  startPromregatorProcess,
  startSimulatorProcess,
} from "./lib/processes.mjs";
import { printTable } from "./lib/report.mjs";

const INSTANCES = 3;
const REFRESH_S = 2;
/** The discovery loop runs every 10 s and reloads what is older than REFRESH_S, so each run is a refresh. */
const REFRESHES = 3;
const QUIET_MS = 2_000;
const FIVE_MINUTE_LAYERS = ["application", "route", "process", "resolver"];
/** The layers that keep their hourly default: one reload of each per hour, as in the first discovery. */
const HOURLY_PATHS = ["/v3/organizations", "/v3/spaces", "/v3/domains"];

const TARGETS = ["  targets:", "    - orgRegex: org-.*", "      protocol: http"].join("\n");

function cacheYaml() {
  return ["  cache:", "    timeout:", ...FIVE_MINUTE_LAYERS.map((l) => `      ${l}: ${REFRESH_S}`)].join(
    "\n",
  );
}

/** Loader calls per cache so far (status.json). */
async function cacheLoads(url) {
  const status = await (await fetch(`${url}/status.json`)).json();
  return Object.fromEntries(status.caches.map((c) => [c.cache, c.loads]));
}

/** The CF list each 5-minute layer reloads with. */
const LAYER_PATHS = { application: "/v3/apps", process: "/v3/processes", route: "/v3/routes" };

function total(counters) {
  return counters.ccRequests + counters.uaaRequests;
}

async function measure(apps) {
  const sim = await startSimulatorProcess({
    generate: { orgs: 10, spacesPerOrg: 10, appsPerSpace: apps / 100, instances: INSTANCES },
  });
  try {
    const port = await freePort();
    const yaml = promregatorYaml({ sim, port, promregator: TARGETS }).replace(
      /^cf:\n/,
      `cf:\n${cacheYaml()}\n`,
    );
    await sim.resetCounters();
    const promregator = await startPromregatorProcess({
      yaml,
      port,
      caPem: sim.caPem,
      readyTimeoutMs: 600_000,
    });
    try {
      const cold = await sim.counters();
      const loadsBefore = await cacheLoads(promregator.url);
      await sim.resetCounters();
      // Until every layer has been reloaded REFRESHES times and the simulator has seen no request for QUIET_MS,
      // so that the counts hold whole reloads only. A layer whose reload takes longer than the loop's tick is
      // reloaded less often than the others: the cost of a refresh is the sum of each layer's cost per reload.
      const reloads = async () => {
        const now = await cacheLoads(promregator.url);
        return Object.fromEntries(Object.keys(LAYER_PATHS).map((l) => [l, now[l] - loadsBefore[l]]));
      };
      await waitFor(
        `${REFRESHES} reloads of every layer`,
        async () => (Object.values(await reloads()).every((n) => n >= REFRESHES) ? true : undefined),
        { timeoutMs: REFRESHES * 120_000, intervalMs: 200 },
      );
      let during = await sim.counters();
      for (;;) {
        await new Promise((r) => setTimeout(r, QUIET_MS));
        const now = await sim.counters();
        if (total(now) === total(during)) break;
        during = now;
      }
      const done = await reloads();
      const perReload = Object.fromEntries(
        Object.entries(LAYER_PATHS).map(([layer, path]) => [path, (during.byPath[path] ?? 0) / done[layer]]),
      );
      const others =
        total(during) - Object.values(LAYER_PATHS).reduce((n, p) => n + (during.byPath[p] ?? 0), 0);
      const hourly = HOURLY_PATHS.reduce((sum, path) => sum + (cold.byPath[path] ?? 0), 0);
      return {
        apps,
        instances: apps * INSTANCES,
        coldRequests: total(cold),
        hourlyLayerRequests: hourly,
        reloads: done,
        requestsPerRefresh: Math.round(Object.values(perReload).reduce((a, b) => a + b, 0) * 10) / 10,
        perRefreshByPath: Object.fromEntries(
          Object.entries(perReload).map(([p, n]) => [p, Math.round(n * 10) / 10]),
        ),
        otherRequestsInWindow: others,
        coldByPath: cold.byPath,
      };
    } finally {
      await promregator.stop();
    }
  } finally {
    await sim.stop();
  }
}

const sizes = process.argv.slice(2).map(Number);
const rows = [];
try {
  for (const apps of sizes.length > 0 ? sizes : [100, 1_000, 10_000]) {
    const r = await measure(apps);
    rows.push(r);
    process.stdout.write(`  ${apps} apps: ${JSON.stringify(r)}\n`);
  }
} finally {
  await stopAllChildren();
}
printTable(
  `CF requests of one replica (10 orgs x 10 spaces, ${INSTANCES} instances per app; CC + UAA)`,
  rows.map((r) => ({
    apps: r.apps,
    instances: r.instances,
    "first discovery": r.coldRequests,
    "per refresh": r.requestsPerRefresh,
    // twelve 5-minute refreshes and one reload of the hourly layers (token requests come on top)
    "per hour at default timeouts":
      r.requestsPerRefresh === undefined
        ? "-"
        : Math.round(12 * r.requestsPerRefresh + r.hourlyLayerRequests),
  })),
);
