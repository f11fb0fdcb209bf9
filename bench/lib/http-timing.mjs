// Sequential and steady-rate HTTP requests with per-request latency (time to the last body byte).
import { Agent, Pool } from "undici";

/** `count` GETs one after another over one keep-alive connection. */
export async function sequentialGets(url, { count, headers = {} }) {
  const { origin, pathname, search } = new URL(url);
  const pool = new Pool(origin, { connections: 1 });
  const latencies = [];
  let bytes = 0;
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const res = await pool.request({ path: `${pathname}${search}`, method: "GET", headers });
      const body = Buffer.from(await res.body.arrayBuffer());
      latencies.push(performance.now() - started);
      if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}`);
      bytes = body.length;
    }
  } finally {
    await pool.close();
  }
  return { latencies, bytes };
}

/**
 * Sends GETs on a fixed schedule (open loop: a slow answer does not delay the next request), like a
 * scraper with many targets. `plan` gives, per request slot, the path, a tag and optionally the slot's own
 * headers (instead of `headers`). Resolves with one record per request once all have finished.
 */
export async function steadyLoad({
  origin,
  plan,
  ratePerSecond,
  durationMs,
  headers = {},
  timeoutMs = 30_000,
}) {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: null });
  const records = [];
  const inFlight = new Set();
  const started = performance.now();
  const total = Math.floor((durationMs / 1000) * ratePerSecond);
  try {
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / ratePerSecond;
      const wait = due - performance.now();
      // Behind schedule, still give the event loop a turn now and then: a loop that only creates requests
      // never sends them (and a burst of thousands would measure the generator, not the server).
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      else if (i % 16 === 0) await new Promise((r) => setImmediate(r));
      const slot = plan[i % plan.length];
      const sent = performance.now();
      const request = agent
        .request({
          origin,
          path: slot.path,
          method: "GET",
          headers: slot.headers ?? headers,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        })
        .then(async (res) => {
          await res.body.dump({ limit: Number.POSITIVE_INFINITY });
          return res.statusCode;
        })
        .catch((error) => `error: ${error.code ?? error.message}`)
        .then((status) => {
          records.push({
            tag: slot.tag,
            sentAtMs: sent - started,
            latencyMs: performance.now() - sent,
            status,
          });
          inFlight.delete(request);
        });
      inFlight.add(request);
    }
    await Promise.all(inFlight);
  } finally {
    await agent.close();
  }
  return records;
}
