// A stand-in for an instrumented app: serves pre-rendered expositions from memory, so that what the
// benchmark measures is the proxy in front of it. Run as its own process; prints {"port": n} when ready.
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import { generateExposition } from "./exposition.mjs";
import { stopWithParent } from "./stop-with-parent.mjs";

export const EXPOSITIONS = {
  "/large": { families: 237, targetBytes: 190_000 },
  "/small": { families: 30, targetBytes: 20_000 },
  // Served gzip-compressed only (/huge.gz): a body that decodes past what a scrape holds before its status.
  "/huge": { families: 1_250, targetBytes: 1_000_000 },
};
const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const bodies = new Map(
  Object.entries(EXPOSITIONS).map(([path, spec]) => [path, Buffer.from(generateExposition(spec).text)]),
);
/** `<path>.gz`: the same exposition gzip-compressed once, sent with Content-Encoding: gzip whatever was asked. */
const gzipped = new Map([...bodies].map(([path, body]) => [`${path}.gz`, gzipSync(body)]));

const server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  const zipped = gzipped.get(path);
  const body = zipped ?? bodies.get(path);
  if (!body) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    return;
  }
  const encoding = zipped ? { "content-encoding": "gzip" } : {};
  res.writeHead(200, { "content-type": CONTENT_TYPE, "content-length": body.length, ...encoding });
  res.end(body);
});
// Longer than any pause between benchmark cases, so keep-alive connections of proxies are reused.
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  const sizes = Object.fromEntries([...bodies].map(([path, body]) => [path, body.length]));
  process.stdout.write(`${JSON.stringify({ port: server.address().port, sizes })}\n`);
});
function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
stopWithParent(stop);
