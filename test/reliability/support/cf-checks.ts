import { expect } from "vitest";
import { eventually, type Harness } from "./harness.js";

/** The cache layers that talk to the Cloud Controller (the resolver only combines them). */
const CF_LAYERS = new Set(["org", "space", "application", "domain", "route", "process"]);

interface CacheStatus {
  cache: string;
  loads?: number;
  loadFailures?: number;
}

/** Loader calls and failed loader calls of the CF layers so far, from /status.json. */
export async function cfLoads(h: Harness): Promise<{ loads: number; failures: number }> {
  const answer = await h.get("/status.json");
  expect(answer.status).toBe(200);
  const caches = (JSON.parse(answer.text) as { caches: CacheStatus[] }).caches;
  let loads = 0;
  let failures = 0;
  for (const c of caches) {
    if (!CF_LAYERS.has(c.cache)) continue;
    loads += c.loads ?? 0;
    failures += c.loadFailures ?? 0;
  }
  return { loads, failures };
}

/** The CF connection state as the status page shows it. */
export async function cfHealth(h: Harness): Promise<{ ok: boolean; lastError?: string }> {
  const answer = await h.get("/status.json");
  return (JSON.parse(answer.text) as { cf: { health: { ok: boolean; lastError?: string } } }).cf.health;
}

/** Waits until at least `n` more CF cache loads failed than `since`, i.e. several refreshes ran into the fault. */
export async function waitForFailedLoads(h: Harness, since: number, n: number): Promise<void> {
  await eventually(`${n} failed cache loads`, async () =>
    (await cfLoads(h)).failures - since >= n ? true : undefined,
  );
}

/** The landscape stays as it was: same targets, and an instance still scrapes through the router. */
export async function expectLastGoodLandscape(h: Harness, known: string[]): Promise<void> {
  expect(await h.discoveryTargets()).toEqual(known);
  const scrape = await h.get(known[0]);
  expect(scrape.status).toBe(200);
  expect(scrape.text).toContain("promregator_up 1");
}

/** After the fault is gone, a change made during it shows up within a refresh or two. */
export async function expectRecovery(h: Harness, expectedTargets: number): Promise<void> {
  await eventually(
    `${expectedTargets} targets in /discovery`,
    async () => ((await h.discoveryTargets()).length === expectedTargets ? true : undefined),
    // cache timeout (1 s) + a tick + a request: a few seconds even on a busy machine
    6000,
  );
}
