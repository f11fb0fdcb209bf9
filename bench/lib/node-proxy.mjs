// The smallest useful Node.js proxy for the same job (node:http server, undici keep-alive pool, header
// added, body written through as it arrives). It shows what the runtime itself costs, so that Promregator's
// own overhead can be told apart from Node's. argv[2]: upstream origin; argv[3]: X-CF-APP-INSTANCE value.
// The body is copied with a loop of write() and "drain", not stream.pipeline: on Node 20 pipeline's
// per-request set-up cost this proxy 17-33 % of its throughput at 20 KB, which would flatter Promregator beside it.
import { once } from "node:events";
import { createServer } from "node:http";
import { Agent } from "undici";
import { stopWithParent } from "./stop-with-parent.mjs";

const [origin, instance] = process.argv.slice(2);
const agent = new Agent({ keepAliveTimeout: 30_000 });

async function relay(req, res) {
  const { statusCode, headers, body } = await agent.request({
    origin,
    path: req.url,
    method: "GET",
    headers: { accept: req.headers.accept ?? "*/*", "x-cf-app-instance": instance },
  });
  res.writeHead(statusCode, { "content-type": headers["content-type"] ?? "text/plain" });
  for await (const chunk of body) {
    if (!res.write(chunk)) await once(res, "drain");
  }
  res.end();
}

const server = createServer((req, res) => {
  relay(req, res).catch(() => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
stopWithParent(stop);
