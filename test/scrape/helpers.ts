import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach } from "vitest";
import type { AuthenticatorConfig, Config, PromregatorConfig } from "../../src/config/types.js";
import type { DiscoveredInstance } from "../../src/discovery/types.js";
import type { InboundRequest, InboundResponse } from "../../src/http-exchange.js";
import type { Logger } from "../../src/log.js";
import type { OwnMetricsRecorder, ScrapeOutcome } from "../../src/metrics/types.js";
import { createScrapeHandler, type ScrapeHandlerDeps } from "../../src/scrape/index.js";
import type { ScrapeHandler } from "../../src/scrape/types.js";
import { answerOnSockets } from "../../src/server/socket-level/index.js";
import { defaultConfig } from "../support/default-config.js";

type Scraping = PromregatorConfig["scraping"];

export const PROCESS_ID = "0b7f2a4e-5d1c-4f7a-9e3b-123456789abc";

/** A complete Config with the defaults, adjusted by `scraping` and `promregator`. */
export function testConfig(
  scraping: Partial<Scraping> = {},
  promregator: Partial<PromregatorConfig> = {},
): Config {
  const base = defaultConfig();
  return {
    ...base,
    promregator: {
      ...base.promregator,
      scraping: {
        ...base.promregator.scraping,
        maxBodySize: 10 * 1024 * 1024,
        maxConcurrent: 100,
        ...scraping,
      },
      ...promregator,
    },
    server: { port: 0, address: "127.0.0.1" },
  };
}

export function instanceFor(url: string, overrides: Partial<DiscoveredInstance> = {}): DiscoveredInstance {
  return {
    instanceId: "6c1d3e2a-0b1f-4c55-8d6e-7f8a9b0c1d2e:1",
    appGuid: "6c1d3e2a-0b1f-4c55-8d6e-7f8a9b0c1d2e",
    index: 1,
    orgName: "org",
    spaceName: "space",
    appName: "app",
    url,
    sendInstanceHeader: true,
    targetIndex: 0,
    foundation: "default",
    ...overrides,
  };
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];

/** Everything started through these helpers is stopped after each test. */
afterEach(async () => {
  const pending = cleanups.splice(0).reverse();
  for (const fn of pending) await fn();
});

export interface TestServer {
  url: string;
  port: number;
  /** Headers of every request received, in order. */
  requests: IncomingHttpHeaders[];
  /** Request bodies (for token servers), in order. */
  bodies: string[];
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** A real HTTP(S) server on 127.0.0.1, port 0; closed after the test. */
/**
 * Which path the proxy under test answers scrapes on: the socket-level one (as Promregator's plain HTTP
 * listener does) or node:http (HTTPS, HEAD, HTTP/1.0, and connections node:http took over). The "scrape via
 * node:http" test project sets PROMREGATOR_TEST_SCRAPE_SERVER=node-http, so every scrape test runs on both.
 */
export const SCRAPE_SERVER =
  process.env.PROMREGATOR_TEST_SCRAPE_SERVER === "node-http" ? "node-http" : "socket-level";

/** Listens on a free loopback port until the test's cleanup closes the server; returns the port. */
async function listenUntilCleanup(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return (server.address() as AddressInfo).port;
}

async function startScrapeServer(
  answer: (req: InboundRequest, res: InboundResponse) => Promise<void>,
): Promise<TestServer> {
  const server = http.createServer((req, res) => void answer(req, res));
  if (SCRAPE_SERVER === "socket-level") {
    answerOnSockets(server, { pathPrefix: "/", answer: (req, res) => void answer(req, res) });
  }
  const port = await listenUntilCleanup(server);
  return { url: `http://127.0.0.1:${port}`, port, requests: [], bodies: [] };
}

export async function startServer(handler: Handler, tls?: https.ServerOptions): Promise<TestServer> {
  const requests: IncomingHttpHeaders[] = [];
  const bodies: string[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests.push(req.headers);
      const body = Buffer.concat(chunks).toString("utf8");
      bodies.push(body);
      Promise.resolve(handler(req, res, body)).catch((err) => res.destroy(err as Error));
    });
  };
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener);
  const port = await listenUntilCleanup(server);
  return { url: `${tls ? "https" : "http"}://127.0.0.1:${port}`, port, requests, bodies };
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Proxy {
  url: string;
  handler: ScrapeHandler;
  outcomes: ScrapeOutcome[];
  /** Parsed pino log lines. */
  logs: Array<Record<string, unknown>>;
  /** Raw log output, to check that no secret leaks. */
  rawLogs(): string;
}

/** Runs the scrape handler behind a real HTTP server; every request scrapes `instance`. */
export async function startProxy(
  instance: DiscoveredInstance | ((req: InboundRequest) => DiscoveredInstance),
  options: { config?: Config } & Partial<Omit<ScrapeHandlerDeps, "config" | "logger">> = {},
): Promise<Proxy> {
  const outcomes: ScrapeOutcome[] = [];
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  const logger: Logger = pino({ level: "debug" }, sink);
  const metrics: OwnMetricsRecorder = {
    recordScrape: (o) => outcomes.push(o),
    markSeen: () => {},
    observeCfRequest: () => {},
    observeRateLimitWait: () => {},
  };
  const { config = testConfig(), ...rest } = options;
  const handler = createScrapeHandler({ config, logger, metrics, processInstanceId: PROCESS_ID, ...rest });
  const server = await startScrapeServer((req, res) =>
    handler.handle(req, res, typeof instance === "function" ? instance(req) : instance),
  );
  cleanups.push(() => handler.close());
  return {
    url: server.url,
    handler,
    outcomes,
    get logs() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    rawLogs: () => lines.join("\n"),
  };
}

export interface Answer {
  status: number;
  /** The reason phrase of the status line. */
  statusMessage: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** GET with node:http; rejects when the connection breaks before the body is complete. */
export function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("response aborted")));
      res.on("end", () => {
        if (!res.complete) return reject(new Error("response incomplete"));
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? "",
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    req.on("error", reject);
  });
}

/** A handler that serves `body` with the given content type. */
export function serve(
  body: string | Buffer,
  contentType?: string,
  extra: http.OutgoingHttpHeaders = {},
): Handler {
  return (_req, res) => {
    res.writeHead(200, { ...(contentType ? { "content-type": contentType } : {}), ...extra });
    res.end(body);
  };
}

export function basicAuthenticator(id: string, username: string, password: string): AuthenticatorConfig {
  return { id, type: "basic", basic: { username, password } };
}

export const OM = "application/openmetrics-text; version=1.0.0; charset=utf-8";
export const TEXT = "text/plain; version=0.0.4; charset=utf-8";

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Strips the duration value, which varies. */
export function stableDuration(body: string): string {
  return body.replace(
    /^promregator_scrape_duration_seconds \S+$/m,
    "promregator_scrape_duration_seconds <d>",
  );
}
