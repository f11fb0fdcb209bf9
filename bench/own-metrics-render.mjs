// One /promregatorMetrics render of N instances, without load: how long it takes, the longest block of the
// event loop (the largest gap of a 1 ms interval timer), heap growth and RSS.
// Usage: node bench/own-metrics-render.mjs [dist directory, default dist] [instances, default 10000]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dist = resolve(process.argv[2] ?? "dist");
const n = Number(process.argv[3] ?? 10000);
const { createOwnMetrics } = await import(pathToFileURL(`${dist}/metrics/index.js`).href);
const m = createOwnMetrics({
  labelNamePrefix: "",
  requestLatency: false,
  internal: false,
  discovererTimeoutSeconds: 600,
  identity: { processId: "p" },
  version: "1",
});
for (let i = 0; i < n; i++) {
  const instance = {
    instanceId: `0b1c2d3e-1111-4a5b-9c8d-${String(i).padStart(12, "0")}:${i % 4}`,
    index: i % 4,
    orgName: `org-${i % 2}`,
    spaceName: `space-${i % 5}`,
    appName: `app-${Math.floor(i / 4)}`,
  };
  for (let k = 0; k < 3; k++) m.recordScrape({ instance, ok: true, bytes: 20000 + k, seconds: 0.002 });
}
const { monitorEventLoopDelay } = await import("node:perf_hooks");
const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
let longest = 0,
  last = performance.now();
const t = setInterval(() => {
  const now = performance.now();
  longest = Math.max(longest, now - last);
  last = now;
}, 1);
const heap0 = process.memoryUsage().heapUsed;
const started = performance.now();
let bytes = 0;
if (m.renderChunks) {
  for await (const c of m.renderChunks(undefined).chunks) bytes += c.length;
} else {
  bytes = (await m.render(undefined)).body.length;
}
const took = performance.now() - started;
await new Promise((r) => setTimeout(r, 20));
clearInterval(t);
h.disable();
console.log(
  JSON.stringify({
    build: dist,
    instances: n,
    chars: bytes,
    renderMs: Math.round(took),
    longestGapMs: Math.round(longest),
    loopMaxMs: Math.round(h.max / 1e6),
    heapGrowthMB: Math.round((process.memoryUsage().heapUsed - heap0) / 1e6),
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
  }),
);
m.stop();
process.exit(0);
