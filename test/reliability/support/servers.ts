import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { COMMIT_THRESHOLD_BYTES } from "../../../src/scrape/handler.js";
import type { LandscapeSpec } from "../../../src/simulator/index.js";
import { relLandscape } from "./harness.js";

export interface TestServer {
  url: string;
  port: number;
  /** Every request received, as "METHOD url". */
  readonly requests: string[];
  /** The headers of each request, in the same order. */
  readonly headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** Starts a plain HTTP server on 127.0.0.1:0 that also ends its open sockets on close. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer & { server: Server }> {
  const requests: string[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    headers.push(req.headers);
    handler(req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // A client that gives up mid-request is normal here.
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A server that must never be asked anything: SSRF and redirect tests assert its `requests` stay empty. */
export function startCanary(): Promise<TestServer> {
  return startServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end("canary_reached 1\n");
  });
}

/** How a misbehaving app instance answers; the first path segment of the request picks it. */
export const BAD_MODES = [
  "hang",
  "trickle",
  "endless",
  "garbage-type",
  "close-early",
  "close-late",
  "redirect-301",
  "redirect-302",
  "html",
  "corrupt-gzip",
  "close-mid",
] as const;
export type BadMode = (typeof BAD_MODES)[number];

export interface BadTarget extends TestServer {
  /** Bytes written by "endless" answers so far. */
  endlessBytes(): number;
  /** "endless" answers whose connection was closed by the client. */
  endlessClosed(): number;
}

const LINE = Buffer.from(`${"x_metric_with_a_long_name_for_volume".padEnd(60, "_")} 1\n`);
const BLOCK = Buffer.concat(Array.from({ length: 1024 }, () => LINE)); // ~63 KB

/** One server playing every kind of broken metrics endpoint; `redirectTo` is where redirects point. */
export async function startBadTarget(redirectTo: string): Promise<BadTarget> {
  let endlessBytes = 0;
  let endlessClosed = 0;
  const text = { "content-type": "text/plain; version=0.0.4; charset=utf-8" };
  const srv = await startServer((req, res) => {
    const mode = (req.url ?? "/").split("/")[1] as BadMode;
    switch (mode) {
      case "hang":
        return; // never answers
      case "trickle": {
        res.writeHead(200, text);
        const timer = setInterval(() => res.write("#"), 50);
        res.on("close", () => clearInterval(timer));
        return;
      }
      case "endless": {
        // 1 GB and more: as fast as the reader takes it, until it hangs up
        res.writeHead(200, text);
        const pump = () => {
          if (res.destroyed) return;
          endlessBytes += BLOCK.length;
          // one block per turn of the event loop, so a hang-up is noticed before buffers fill up
          if (res.write(BLOCK)) setImmediate(pump);
        };
        res.on("drain", pump);
        res.on("close", () => endlessClosed++);
        pump();
        return;
      }
      case "garbage-type":
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(Buffer.from([0, 159, 146, 150, 255, 1, 2, 3]));
        return;
      case "close-early":
        res.writeHead(200, { ...text, "content-length": "100000" });
        res.write(LINE);
        setTimeout(() => res.destroy(), 20);
        return;
      case "close-mid":
        // more than one socket read, but within what is held back before the 200 is committed
        res.writeHead(200, text);
        for (let i = 0; i < Math.floor(COMMIT_THRESHOLD_BYTES / BLOCK.length) - 1; i++) res.write(BLOCK);
        setTimeout(() => res.destroy(), 20);
        return;
      case "close-late":
        // past what is held back before the 200 is committed
        res.writeHead(200, text);
        for (let i = 0; i < Math.ceil(COMMIT_THRESHOLD_BYTES / BLOCK.length) + 1; i++) res.write(BLOCK);
        setTimeout(() => res.destroy(), 20);
        return;
      case "redirect-301":
      case "redirect-302":
        res.writeHead(mode === "redirect-301" ? 301 : 302, { location: `${redirectTo}/stolen/metrics` });
        res.end();
        return;
      case "html":
        res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Login</body></html>");
        return;
      case "corrupt-gzip": {
        const zipped = gzipSync(Buffer.concat([LINE, LINE]));
        zipped.fill(0x41, 12, 30);
        res.writeHead(200, { ...text, "content-encoding": "gzip" }).end(zipped);
        return;
      }
      default:
        res.writeHead(404).end();
    }
  });
  return { ...srv, endlessBytes: () => endlessBytes, endlessClosed: () => endlessClosed };
}

/** One app whose instance i is played by the bad target in mode BAD_MODES[i]. */
export function badLandscape(bad: BadTarget): LandscapeSpec {
  return relLandscape([
    {
      name: "bad",
      instances: BAD_MODES.length,
      instanceBehaviour: Object.fromEntries(
        BAD_MODES.map((mode, i) => [i, { upstream: `${bad.url}/${mode}` }]),
      ),
    },
  ]);
}

/** A healthy metrics endpoint: /fast answers at once, /slow after `slowMs`. */
export function startMetricsServer(slowMs = 500): Promise<TestServer> {
  return startServer((req, res) => {
    const answer = () =>
      res
        .writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
        .end("# TYPE demo_up gauge\ndemo_up 1\n");
    if ((req.url ?? "").startsWith("/slow")) {
      const timer = setTimeout(answer, slowMs);
      res.on("close", () => clearTimeout(timer));
    } else answer();
  });
}
