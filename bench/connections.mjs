// Sockets at 10,000 app routes scraped over plain HTTP without a proxy, as in Cloud Foundry: every route's
// name resolves to the same router address. Drives the scrape dispatcher (src/scrape/dispatcher.ts) of the
// current build and, with --baseline-cli, of another build, each in its own child process, against one HTTP
// server standing in for the router; every route is requested once per 15 s (open loop) for --seconds.
// Reports connections opened, the most open at once and those open at the end.
// Usage: node bench/connections.mjs [--routes N] [--seconds N] [--baseline-cli <checkout>/dist/cli.js]
import { fork } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { printTable, writeResult } from "./lib/report.mjs";

const ROOT = resolve(import.meta.dirname, "..");
const INTERVAL_S = 15;
const DOMAIN = "apps.bench.test";

async function child({ dist, routes, seconds }) {
  const { createScrapeDispatcher } = await import(join(dist, "scrape/dispatcher.js"));
  // Every route name resolves to the router's address (what the system resolver does for a CF domain).
  const { createRequire } = await import("node:module");
  const dns = createRequire(import.meta.url)("node:dns");
  const { syncBuiltinESMExports } = await import("node:module");
  const realLookup = dns.lookup;
  const forRoute = (name) => name.endsWith(`.${DOMAIN}`);
  dns.lookup = (name, options, callback) => {
    const cb = typeof options === "function" ? options : callback;
    const opts = typeof options === "object" ? options : {};
    if (!forRoute(name)) return realLookup(name, options, callback);
    if (opts.all) return process.nextTick(cb, null, [{ address: "127.0.0.1", family: 4 }]);
    return process.nextTick(cb, null, "127.0.0.1", 4);
  };
  const realPromise = dns.promises.lookup;
  dns.promises.lookup = async (name, options) =>
    forRoute(name) ? (options?.all ? [{ address: "127.0.0.1", family: 4 }] : { address: "127.0.0.1", family: 4 }) : realPromise(name, options);
  syncBuiltinESMExports();

  const http = await import("node:http");
  let opened = 0;
  let open = 0;
  let maxOpen = 0;
  const server = http.createServer({ keepAliveTimeout: 90_000 }, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end("a 1\n".repeat(500));
  });
  server.on("connection", (socket) => {
    opened++;
    maxOpen = Math.max(maxOpen, ++open);
    socket.on("close", () => open--);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  // the settings the dispatcher reads: defaults but for maxConcurrent, and no proxy
  const scraping = { connectionTimeout: 5000, maxConcurrent: 100 };
  const dispatcher = createScrapeDispatcher(scraping, {});
  const rate = routes / INTERVAL_S;
  const total = Math.floor(rate * seconds);
  const started = performance.now();
  let failed = 0;
  const inFlight = new Set();
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const origin = `http://app-${i % routes}.${DOMAIN}:${port}`;
    const p = dispatcher
      .request({ origin, path: "/metrics", method: "GET" })
      .then((res) => res.body.dump())
      .catch(() => failed++)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  const result = { requests: total, failed, connectionsOpened: opened, maxOpenAtOnce: maxOpen, openAtEnd: open };
  await dispatcher.destroy();
  server.closeAllConnections();
  server.close();
  return result;
}

if (process.argv[2] === "--child") {
  const options = JSON.parse(process.argv[3]);
  child(options).then((r) => process.send(r, () => process.exit(0)));
} else {
  const { values } = parseArgs({
    options: {
      routes: { type: "string", default: "10000" },
      seconds: { type: "string", default: "30" },
      "baseline-cli": { type: "string" },
    },
  });
  const routes = Number(values.routes);
  const seconds = Number(values.seconds);
  const contenders = [
    ...(values["baseline-cli"] ? [{ name: "baseline", dist: dirname(resolve(values["baseline-cli"])) }] : []),
    { name: "current", dist: join(ROOT, "dist") },
  ];
  const rows = [];
  for (const c of contenders) {
    const proc = fork(import.meta.filename, ["--child", JSON.stringify({ dist: c.dist, routes, seconds })]);
    const result = await new Promise((done, fail) => {
      proc.once("message", done);
      proc.once("exit", (code) => fail(new Error(`${c.name} exited with ${code}`)));
    });
    rows.push({ contender: c.name, ...result });
  }
  printTable(`Sockets: ${routes} plain-HTTP routes on one router address, each every ${INTERVAL_S} s, ${seconds} s`, rows);
  const command = `node bench/connections.mjs ${process.argv.slice(2).join(" ")}`.trim();
  writeResult(`connections-${routes}`, { command }, { setup: { routes, seconds, intervalSeconds: INTERVAL_S }, rows });
}
