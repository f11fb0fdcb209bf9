import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { InboundRequest, InboundResponse } from "../../http-exchange.js";
import { parseHostHeader } from "../request-origin.js";
import { Connection, type ConnectionOwner } from "./connection.js";
import { llhttp, METHOD_GET, type RequestHead } from "./request-parser.js";

export { closeLingering } from "./lingering-close.js";

/** How often idle connections and slow request heads are looked for. */
const SWEEP_MS = 1000;
/**
 * A path of letters, digits, "/", "-", "_" and "~" only, then the end or a query. Anything else in a path (a dot,
 * "%", "\\", which WHATWG URL reads as "/" and so may resolve "/x\\..\\discovery" to "/discovery", ";", "#")
 * goes to node:http, which refuses a path that is not in normal form (request-path.ts); a scrape path never
 * needs more.
 */
const PLAIN_PATH = /^[A-Za-z0-9/_~-]*(?:\?|$)/;

export interface SocketLevelOptions {
  /** Requests whose path starts with this are answered on the socket level. */
  pathPrefix: string;
  answer(req: InboundRequest, res: InboundResponse): void;
}

/**
 * Answers GET requests for one path prefix (the scrape endpoint) on the socket level, in front of a plain
 * node:http server: the connection's bytes go to llhttp (see request-parser.ts) and the answer straight to the
 * socket, without node:http's request and response objects, which cost a scrape about a third of its CPU time
 * (docs/performance.md). Everything else (another path or method, HTTP/1.0, a request with a body, Expect or
 * Upgrade, not exactly one valid Host line, a head over 16 KiB, bytes llhttp rejects) goes to node:http with the
 * connection, from that request on, and is answered there as before. A request line over 16 KiB is answered
 * here, with 414 (RFC 9112 §3), where node:http would answer 431.
 *
 * One difference remains, on purpose: bytes that follow a request on its connection are read once that request
 * is answered, where node:http reads them at once. A request followed by bytes llhttp rejects so gets its answer
 * and then node:http's 400, where node:http alone drops the request and answers only the 400.
 *
 * The server's keepAliveTimeout (idle connections closed) and headersTimeout (408 for a head that does not
 * complete) apply here too; closeIdleConnections() and closeAllConnections() reach these connections as well,
 * so server.close() ends them as it ends node:http's.
 */
export function answerOnSockets(server: Server, options: SocketLevelOptions): void {
  const [nodeHttp, ...others] = server.listeners("connection") as ((socket: Socket) => void)[];
  if (!nodeHttp || others.length > 0) return;
  // Now, so that a parser that cannot be loaded fails the start, not a connection.
  llhttp();
  const connections = new Set<Connection>();
  let closing = false;
  let sweep: NodeJS.Timeout | undefined;

  const owner: ConnectionOwner = {
    accepts: (head: RequestHead) =>
      head.method === METHOD_GET &&
      head.httpVersion === "1.1" &&
      head.url.startsWith(options.pathPrefix) &&
      // A path that may lead elsewhere once resolved ("/x/../discovery", "/x\\..\\discovery"): node:http refuses it.
      PLAIN_PATH.test(head.url) &&
      // node:http answers 400 to an HTTP/1.1 request without Host (its requireHostHeader), and the handler to one
      // with two Host lines or an invalid one (RFC 9112 §3.2): it sees them all there.
      head.hostLines === 1 &&
      parseHostHeader(head.headers.host ?? "") !== undefined &&
      head.headers["content-length"] === undefined &&
      head.headers["transfer-encoding"] === undefined &&
      head.headers.expect === undefined &&
      head.headers.upgrade === undefined,
    answer: (req, res) => options.answer(req, res),
    handOver(socket, raw) {
      socket.unshift(raw);
      nodeHttp.call(server, socket);
      socket.resume();
    },
    get keepAliveSeconds() {
      return Math.floor(server.keepAliveTimeout / 1000);
    },
    get closing() {
      return closing;
    },
    forget(connection) {
      connections.delete(connection);
      if (connections.size === 0 && sweep) {
        clearInterval(sweep);
        sweep = undefined;
      }
    },
  };

  function sweepConnections(): void {
    const now = performance.now();
    for (const c of connections) {
      if (c.state === "idle" && server.keepAliveTimeout > 0 && now - c.since > server.keepAliveTimeout) {
        c.socket.destroy();
      } else if (
        c.state === "reading" &&
        server.headersTimeout > 0 &&
        now - c.since > server.headersTimeout
      ) {
        c.timeOutHead();
      }
    }
  }

  server.removeListener("connection", nodeHttp);
  server.on("connection", (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    connections.add(new Connection(socket, owner));
    sweep ??= setInterval(sweepConnections, SWEEP_MS).unref();
  });

  const closeIdle = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {
    closing = true;
    closeIdle();
    for (const c of connections) c.closeIfIdle();
  };
  const closeAll = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closing = true;
    closeAll();
    for (const c of connections) c.socket.destroy();
  };
}
