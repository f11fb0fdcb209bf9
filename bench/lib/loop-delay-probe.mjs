// Preloaded into the process under test (node --import): measures its event-loop delay with
// perf_hooks.monitorEventLoopDelay and prints one line per window to stderr:
//   LOOP_DELAY {"p50Ms":..,"p99Ms":..,"maxMs":..,"totalP99Ms":..,"totalMaxMs":..}
// The window histogram is reset after each line; the total one covers the time since the last SIGUSR2 (the
// benchmark sends it once the load has run for a scrape interval, so start-up and warm-up are left out).
// Every block of the loop longer than LOOP_STALL_MS (default 30) is also printed when it ends, with the
// monotonic clock in microseconds (the clock of a --cpu-prof profile's timestamps), so that the profile's
// samples inside the block show what blocked, and with the milliseconds since the process started (the clock of
// --trace-gc's lines), so that the collections inside it show:
//   LOOP_STALL {"endUs":..,"ms":..,"sinceStartMs":..}
import { monitorEventLoopDelay } from "node:perf_hooks";

const WINDOW_MS = Number(process.env.LOOP_DELAY_WINDOW_MS ?? 10_000);
const STALL_MS = Number(process.env.LOOP_STALL_MS ?? 30);
const TICK_MS = 5;
const window = monitorEventLoopDelay({ resolution: 10 });
const total = monitorEventLoopDelay({ resolution: 10 });
window.enable();
total.enable();
process.on("SIGUSR2", () => {
  window.reset();
  total.reset();
});
const ms = (ns) => Math.round(ns / 1e4) / 100;
setInterval(() => {
  const line = {
    p50Ms: ms(window.percentile(50)),
    p99Ms: ms(window.percentile(99)),
    maxMs: ms(window.max),
    totalP99Ms: ms(total.percentile(99)),
    totalMaxMs: ms(total.max),
  };
  window.reset();
  process.stderr.write(`LOOP_DELAY ${JSON.stringify(line)}\n`);
}, WINDOW_MS).unref();

let last = process.hrtime.bigint();
setInterval(() => {
  const now = process.hrtime.bigint();
  const gapMs = Number(now - last) / 1e6 - TICK_MS;
  last = now;
  if (gapMs >= STALL_MS) {
    process.stderr.write(
      `LOOP_STALL ${JSON.stringify({ endUs: Number(now / 1000n), ms: Math.round(gapMs), sinceStartMs: Math.round(performance.now()) })}\n`,
    );
  }
}, TICK_MS).unref();
