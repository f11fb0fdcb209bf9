// The parts Promregator's scrape path is built from, and nothing else: the request head read on the socket
// with Promregator's own llhttp request parser (dist/server/socket-level/request-parser.js), the upstream request
// sent with undici's dispatch() through an Agent, the X-CF-APP-INSTANCE header added, and the answer (head with
// Content-Length and the body) written corked in one go. No checks of the request or the answer, no timeouts, no
// own samples, no metrics. What this proxy costs per scrape is what the parts cost; what Promregator costs
// beyond it is its own work. argv[2]: upstream origin; argv[3]: X-CF-APP-INSTANCE value.
import { createServer } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Agent } from "undici";
import { stopWithParent } from "./stop-with-parent.mjs";

const [origin, instance] = process.argv.slice(2);
const dist = process.env.PROMREGATOR_CLI
  ? join(process.env.PROMREGATOR_CLI, "..")
  : join(import.meta.dirname, "../../dist");
const { RequestParser } = await import(
  pathToFileURL(join(dist, "server/socket-level/request-parser.js")).href
);
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 100 });

/** Fetches one answer and writes it to `socket`; `next` runs when the answer has been handed to the socket. */
function relay(socket, head, next) {
  const parts = [];
  let status = 502;
  let contentType = "text/plain";
  agent.dispatch(
    {
      origin,
      path: head.url,
      method: "GET",
      headers: { accept: head.headers.accept ?? "*/*", "x-cf-app-instance": instance },
    },
    {
      onRequestStart() {},
      onResponseStart(_controller, statusCode, headers) {
        status = statusCode;
        contentType = headers["content-type"] ?? contentType;
      },
      onResponseData(_controller, chunk) {
        parts.push(chunk);
      },
      onResponseEnd() {
        let length = 0;
        for (const part of parts) length += part.length;
        socket.cork();
        socket.write(
          `HTTP/1.1 ${status} OK\r\ncontent-type: ${contentType}\r\ncontent-length: ${length}\r\nconnection: keep-alive\r\n\r\n`,
          "latin1",
        );
        for (const part of parts) socket.write(part);
        socket.uncork();
        next();
      },
      onResponseError() {
        socket.destroy();
      },
    },
  );
}

const server = createServer((socket) => {
  socket.setNoDelay(true);
  const parser = new RequestParser(() => true);
  const onBytes = (chunk) => {
    const result = parser.execute(chunk);
    if (result.kind === "more") return;
    if (result.kind !== "request") return socket.destroy();
    // One request at a time per connection, as wrk and Prometheus send them.
    socket.pause();
    relay(socket, result.head, () => {
      parser.resume();
      socket.resume();
      if (result.rest.length > 0) onBytes(result.rest);
    });
  };
  socket.on("data", onBytes);
  socket.on("error", () => socket.destroy());
  socket.on("close", () => parser.free?.());
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
stopWithParent(() => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
});
