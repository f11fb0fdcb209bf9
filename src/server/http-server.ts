import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { type KeyPath, readGuardedFile, type ServerConfig } from "../config/index.js";
import type { RequestHandler } from "./handler.js";
import { SCRAPE_PATH_PREFIX } from "./routes.js";
import { answerOnSockets, closeLingering } from "./socket-level/index.js";
import { acceptsClient, httpsOptions, type WebTls } from "./web-config.js";

export interface ListeningServer {
  server: Server;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  close(graceMs?: number): Promise<void>;
}

/** The listener could not be opened; `hint` says what to change. */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly hint: string,
  ) {
    super(message);
    this.name = "ListenError";
  }
}

const PORT_KEYS = "server.port / --web.listen-address (or PORT)";

function listenError(error: NodeJS.ErrnoException, config: ServerConfig): ListenError {
  const where = `${config.address}:${config.port}`;
  switch (error.code) {
    case "EADDRINUSE":
      return new ListenError(
        `cannot listen on ${where}: the address is already in use`,
        error.code,
        `another process listens there (a second Promregator?); stop it or choose another port with ${PORT_KEYS}`,
      );
    case "EACCES":
      return new ListenError(
        `cannot listen on ${where}: permission denied`,
        error.code,
        `ports below 1024 need privileges; choose a port above 1023 with ${PORT_KEYS}`,
      );
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new ListenError(
        `cannot listen on ${where}: no such local address`,
        error.code,
        "server.address must be an address of this host, e.g. 0.0.0.0, 127.0.0.1 or ::",
      );
  }
  return new ListenError(`cannot listen on ${where}: ${error.message}`, error.code, `check ${PORT_KEYS}`);
}

/**
 * node:http gives a CONNECT request to "connect" listeners with its bare socket, and without one closes the
 * connection unanswered. Here the handler answers it like any other request (405, RFC 9110 §9.3.6: Promregator
 * opens no tunnels); then the connection ends, since what follows a CONNECT is meant for the tunnel.
 */
function answerConnect(server: Server, handler: RequestHandler): void {
  server.on("connect", (req: IncomingMessage, duplex: Duplex) => {
    const socket = duplex as Socket;
    // node:http no longer listens for this socket's errors.
    socket.on("error", () => {});
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on("finish", () => {
      res.detachSocket(socket);
      closeLingering(socket);
    });
    handler(req, res);
  });
}

/** Starts the listener (HTTPS when server.tls is configured) and resolves once it accepts connections. */
export async function listen(
  config: ServerConfig,
  handler: RequestHandler,
  webTls?: WebTls,
): Promise<ListeningServer> {
  let server: Server;
  if (webTls) {
    server = createHttpsServer(httpsOptions(webTls), handler);
    server.on("secureConnection", (socket: TLSSocket) => {
      if (!acceptsClient(webTls, socket)) socket.destroy();
    });
  } else if (config.tls) {
    server = createHttpsServer(
      {
        cert: readGuardedFile(config.tls.cert, { key: "server.tls.cert" satisfies KeyPath }),
        key: readGuardedFile(config.tls.key, { key: "server.tls.key" satisfies KeyPath }),
      },
      handler,
    );
  } else {
    server = createHttpServer(handler);
    answerOnSockets(server, { pathPrefix: SCRAPE_PATH_PREFIX, answer: handler.inbound });
  }
  answerConnect(server, handler);
  // Prometheus scrapes every 15-60 s over one connection per target; keep it open across scrapes.
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 20_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, config));
    server.once("error", onError);
    server.listen(config.port, config.address, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const shownHost = host === "0.0.0.0" || host === "[::]" ? "localhost" : host;
  const url = `${config.tls || webTls ? "https" : "http"}://${shownHost}:${address.port}`;
  return {
    server,
    url,
    port: address.port,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        // Stop accepting, let in-flight scrapes finish, then cut what is left.
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
