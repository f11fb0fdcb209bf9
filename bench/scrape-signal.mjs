// What the scrape's abort signal costs per scrape: an AbortController (what the scrape path used before) against
// ScrapeBudget (dist/scrape/budget.js), each created with its budget timer, given one "abort" listener that is
// removed again (as undici's request does), and disposed. Interleaved rounds (A B A B ...), medians.
//
//   npm run build && node bench/scrape-signal.mjs [rounds]      (default 9 rounds of 200,000 each)
import { ScrapeBudget } from "../dist/scrape/budget.js";
import { median } from "./lib/report.mjs";

const PER_ROUND = 200_000;
const rounds = Number(process.argv[2] ?? 9);
const listener = () => {};

function withAbortController() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("budget")), 5000);
  controller.signal.addEventListener("abort", listener, { once: true });
  controller.signal.removeEventListener("abort", listener);
  clearTimeout(timer);
}

function withScrapeBudget() {
  const budget = new ScrapeBudget(5000);
  budget.signal.addEventListener("abort", listener, { once: true });
  budget.signal.removeEventListener("abort", listener);
  budget.dispose();
}

const contenders = { AbortController: withAbortController, ScrapeBudget: withScrapeBudget };
const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, run] of Object.entries(contenders)) {
    const start = performance.now();
    for (let i = 0; i < PER_ROUND; i++) run();
    samples[name].push(((performance.now() - start) * 1000) / PER_ROUND);
  }
}
const base = median(samples.AbortController);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  console.log(`${name.padEnd(16)} ${m.toFixed(2)} µs per scrape (median of ${rounds} rounds), ${(m / base).toFixed(2)} x AbortController`);
}
