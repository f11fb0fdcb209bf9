// The smallest useful Node.js proxy for the same job (node:http server, undici keep-alive pool, header
// added, body piped through). It shows what the runtime itself costs, so that Promregator's own overhead
// can be told apart from Node's. argv[2]: upstream origin; argv[3]: X-CF-APP-INSTANCE value.
import { createServer } from "node:http";
import { pipeline } from "node:stream";
import { Agent } from "undici";
import { stopWithParent } from "./stop-with-parent.mjs";

const [origin, instance] = process.argv.slice(2);
const agent = new Agent({ keepAliveTimeout: 30_000 });

const server = createServer((req, res) => {
  agent
    .request({
      origin,
      path: req.url,
      method: "GET",
      headers: { accept: req.headers.accept ?? "*/*", "x-cf-app-instance": instance },
    })
    .then(
      ({ statusCode, headers, body }) => {
        res.writeHead(statusCode, { "content-type": headers["content-type"] ?? "text/plain" });
        pipeline(body, res, () => {});
      },
      () => {
        res.writeHead(502).end();
      },
    );
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
