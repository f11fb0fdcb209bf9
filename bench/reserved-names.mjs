// The reserved-name scan alone: microseconds per body for the 190 KB exposition of the scrape benchmark, in
// 64 KB chunks, for one build's dist/ or two (the second as the baseline, interleaved in the same process).
// Usage: node bench/reserved-names.mjs [dist directory, default dist] [baseline dist directory]
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { generateExposition } from "./lib/exposition.mjs";

const builds = [process.argv[2] ?? "dist", process.argv[3]].filter(Boolean).map((d) => resolve(d));
const scanners = await Promise.all(
  builds.map(async (dist) => (await import(pathToFileURL(`${dist}/scrape/reserved-names.js`).href)).ReservedNameScanner),
);
const body = Buffer.from(generateExposition({ families: 237, targetBytes: 190_000 }).text);
const chunks = [];
for (let at = 0; at < body.length; at += 65_536) chunks.push(body.subarray(at, at + 65_536));
const RUNS = 3000;
for (let round = 1; round <= 3; round++) {
  const row = { round, bytes: body.length };
  scanners.forEach((Scanner, i) => {
    const started = process.hrtime.bigint();
    for (let k = 0; k < RUNS; k++) {
      const scanner = new Scanner();
      for (const chunk of chunks) scanner.push(chunk);
      scanner.finish();
    }
    row[i === 0 ? "microsecondsPerBody" : "baselineMicrosecondsPerBody"] = Number(
      (Number(process.hrtime.bigint() - started) / 1e3 / RUNS).toFixed(1),
    );
  });
  console.log(JSON.stringify(row));
}
