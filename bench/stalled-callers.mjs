// Memory held for callers that do not read: 100 scrapes of a target whose gzip body (about 10 KB) decodes to
// 4 MiB, each from a connection that sends its request and then never reads. Promregator's RSS growth over
// an idle baseline, 4 s after the requests, is what those scrapes hold. With --baseline-cli the two builds
// alternate (baseline, current, baseline, ...) for --rounds rounds; each figure is the median of its rounds.
//
//   npm run build && node bench/run.mjs stalled-callers [--rounds N] [--baseline-cli <other build>/dist/cli.js]
import { createServer } from "node:http";
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { rssBytes } from "./lib/proc.mjs";
import {
  freePort,
  HEAP_OPTIONS,
  promregatorYaml,
  startPromregatorProcess,
  startSimulatorProcess,
} from "./lib/processes.mjs";
import { mb, median, printTable, writeResult } from "./lib/report.mjs";

const CALLERS = 100;
const DECODED_BYTES = 4 * 1024 * 1024;
const SETTLE_MS = 4_000;
const LINE = "# a comment line that compresses very well\n";

const landscape = {
  domains: [{ name: "apps.example.org" }],
  orgs: [{ name: "bench", spaces: [{ name: "bench", apps: [{ name: "a", instances: 1 }] }] }],
};

/** An app that answers every request with the same gzip body. */
async function startGzipTarget() {
  const body = gzipSync(Buffer.from(LINE.repeat(Math.floor(DECODED_BYTES / LINE.length))));
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      "content-type": "text/plain; version=0.0.4",
      "content-encoding": "gzip",
      "content-length": body.length,
    });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: server.address().port, compressedBytes: body.length, stop: () => server.close() };
}

/** Opens CALLERS connections that each ask for one scrape and never read; returns a function closing them. */
function stalledCallers(port, path) {
  const sockets = Array.from({ length: CALLERS }, () => {
    const socket = connect(port, "127.0.0.1");
    socket.pause();
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: promregator\r\nX-Prometheus-Scrape-Timeout-Seconds: 60\r\n\r\n`,
    );
    return socket;
  });
  return () => {
    for (const socket of sockets) socket.destroy();
  };
}

async function measure({ sim, guid, target, cli }) {
  const port = await freePort();
  const yaml = promregatorYaml({
    sim,
    port,
    promregator: [
      "  targets:",
      "    - orgName: bench",
      "      spaceName: bench",
      "      applicationName: a",
      "      protocol: http",
      `      overrideRouteAndPath: 127.0.0.1:${target.port}`,
      "      path: /metrics",
    ].join("\n"),
  });
  const promregator = await startPromregatorProcess({
    yaml,
    port,
    caPem: sim.caPem,
    nodeOptions: HEAP_OPTIONS,
    ...(cli ? { cli } : {}),
  });
  try {
    const path = `/singleTargetMetrics/${guid}/0`;
    // One scrape read to the end first, so that start-up allocations are not counted.
    const first = await fetch(`${promregator.url}${path}`);
    await first.arrayBuffer();
    if (first.status !== 200) throw new Error(`the warm-up scrape answered ${first.status}`);
    const idle = rssBytes(promregator.pid);
    const close = stalledCallers(port, path);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const held = rssBytes(promregator.pid);
    close();
    return { idleMB: mb(idle), stalledMB: mb(held), growthMB: mb(held - idle) };
  } finally {
    await promregator.stop();
  }
}

export async function runStalledCallers({ rounds = 3, baselineCli, ...context }) {
  const target = await startGzipTarget();
  const sim = await startSimulatorProcess({ landscape });
  try {
    const guid = (await sim.findApp("a")).guid;
    const contenders = [
      ...(baselineCli ? [{ name: "baseline", cli: baselineCli }] : []),
      { name: "current" },
    ];
    const runs = [];
    for (let round = 1; round <= rounds; round++) {
      for (const { name, cli } of contenders) {
        const result = await measure({ sim, guid, target, cli });
        process.stdout.write(`  round ${round}: ${name}: +${result.growthMB} MB\n`);
        runs.push({ round, contender: name, ...result });
      }
    }
    const summary = contenders.map(({ name }) => {
      const mine = runs.filter((r) => r.contender === name);
      return {
        contender: name,
        idleMB: median(mine.map((r) => r.idleMB)),
        stalledMB: median(mine.map((r) => r.stalledMB)),
        growthMB: median(mine.map((r) => r.growthMB)),
        perCallerKB: Math.round((median(mine.map((r) => r.growthMB)) * 1024) / CALLERS),
      };
    });
    printTable(
      `RSS with ${CALLERS} callers that do not read (gzip body of ${target.compressedBytes} bytes decoding to ${DECODED_BYTES} bytes; medians of ${rounds} rounds)`,
      summary,
    );
    return writeResult("stalled-callers", context, {
      callers: CALLERS,
      compressedBytes: target.compressedBytes,
      decodedBytes: DECODED_BYTES,
      summary,
      runs,
    });
  } finally {
    await sim.stop();
    target.stop();
  }
}
