// The CF simulator in its own process, so its CPU does not mix with the load generator's or Promregator's.
// argv[2]: a JSON file with SimulatorOptions, where `landscape` may instead be `generate` (generateLandscape
// input), plus `idleTimeoutMs`. Prints {apiUrl, routerUrl, routerAddress, caPem} as one JSON line when listening.
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { syncBuiltinESMExports } from "node:module";
import { stopWithParent } from "./stop-with-parent.mjs";

const options = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { generate, idleTimeoutMs, ...rest } = options;

// Node's default keep-alive idle timeout is 5 s; gorouter and the load balancers in front of it keep idle
// client connections far longer (gorouter: 900 s). Without this, every 15 s scrape of an app would open
// a new connection (and CONNECT tunnel), and every discovery refresh a new TLS connection to the Cloud
// Controller and UAA (reached through gorouter too), which a real foundation does not force.
if (idleTimeoutMs !== undefined) {
  for (const module of [http, https]) {
    const createServer = module.createServer;
    module.createServer = (...args) => {
      const server = createServer(...args);
      server.keepAliveTimeout = idleTimeoutMs;
      return server;
    };
  }
  syncBuiltinESMExports();
}
const { generateLandscape, startSimulator } = await import("../../dist/simulator/index.js");
const landscape = generate ? generateLandscape(generate) : options.landscape;
const sim = await startSimulator({ ...rest, landscape });
process.stdout.write(
  `${JSON.stringify({
    apiUrl: sim.apiUrl,
    routerUrl: sim.routerUrl,
    routerAddress: sim.routerAddress,
    caPem: sim.caPem,
  })}\n`,
);

let closing = false;
function stop() {
  if (closing) return;
  closing = true;
  sim.close().then(() => process.exit(0));
}
stopWithParent(stop);
