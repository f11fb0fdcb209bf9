// One app with one instance behind Promregator, scraped as fast as a pool allows: the set-up of the benchmarks
// that compare Promregator processes on the scrape path alone (heap-limits.mjs, scrape-allocation.mjs).
import { Pool } from "undici";
import { freePort, promregatorYaml, startPromregatorProcess } from "./processes.mjs";

export const SINGLE_APP = "bench-app";

/** The simulator's landscape: one org, space and app with one instance. */
export const SINGLE_APP_LANDSCAPE = {
  domains: [{ name: "apps.example.org" }],
  orgs: [{ name: "bench", spaces: [{ name: "bench", apps: [{ name: SINGLE_APP, instances: 1 }] }] }],
};

/** The `targets` of promregator.yml that send the app's scrapes straight to the exposition app's `path`. */
export function singleTargetYaml(appPort, path) {
  return [
    "  targets:",
    "    - orgName: bench",
    "      spaceName: bench",
    `      applicationName: ${SINGLE_APP}`,
    "      protocol: http",
    `      overrideRouteAndPath: 127.0.0.1:${appPort}`,
    `      path: ${path}`,
  ].join("\n");
}

/**
 * Starts Promregator (`cli`, with `nodeOptions`) on the simulator `sim` with the single target on the exposition
 * app's `path`; `url` is that target's /singleTargetMetrics address.
 */
export async function startSingleTargetPromregator({ sim, appPort, path, nodeOptions, cli }) {
  const port = await freePort();
  const yaml = promregatorYaml({ sim, port, promregator: singleTargetYaml(appPort, path) });
  const promregator = await startPromregatorProcess({
    yaml,
    port,
    caPem: sim.caPem,
    nodeOptions,
    ...(cli ? { cli } : {}),
  });
  const guid = (await sim.findApp(SINGLE_APP)).guid;
  return { promregator, url: `${promregator.url}/singleTargetMetrics/${guid}/0` };
}

/** GETs `url` `count` times, `concurrency` at a time over an undici pool; throws on an answer other than 200. */
export async function scrapeMany(url, count, concurrency) {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: concurrency });
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started++ < count) {
        const res = await pool.request({ path: target.pathname, method: "GET" });
        await res.body.arrayBuffer();
        if (res.statusCode !== 200) throw new Error(`scrape answered ${res.statusCode}`);
      }
    }),
  );
  await pool.close();
}

/** The command line of this benchmark as its results show it (arguments with blanks quoted). */
export function shownCommand(script) {
  const args = process.argv.slice(2).map((a) => (/^[\w=/.-]+$/.test(a) ? a : JSON.stringify(a)));
  return ["node", script, ...args].join(" ");
}
