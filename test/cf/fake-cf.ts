import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach } from "vitest";
import { CloudControllerClient, type CloudControllerClientOptions } from "../../src/cf/index.js";
import type { CfConfig } from "../../src/config/types.js";
import { type Logger, silentLogger } from "../../src/log.js";
import type { OwnMetricsRecorder } from "../../src/metrics/types.js";
import { defaultConfig } from "../support/default-config.js";

/** A tiny stand-in for CC + UAA: routes by "METHOD /path", records every request. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  rawQuery: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export type Handler = (req: SeenRequest, res: ServerResponse, fake: FakeCf) => void | Promise<void>;

export const USER = "alice";
export const PASSWORD = "s3cret-pa55word";

export interface FakeCf {
  url: string;
  origin: string;
  requests: SeenRequest[];
  /** Access tokens CC accepts. */
  validTokens: Set<string>;
  /** Refresh tokens UAA accepts. */
  validRefreshTokens: Set<string>;
  tokenLifetime: number;
  issued: number;
  on(route: string, handler: Handler): void;
  requestsTo(path: string, method?: string): SeenRequest[];
  close(): Promise<void>;
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export function cfError(
  res: ServerResponse,
  status: number,
  title: string,
  code: number,
  detail: string,
): void {
  json(res, status, { errors: [{ title, code, detail }] });
}

/** 401 like CC unless the request carries a token UAA issued. */
export function authorised(req: SeenRequest, res: ServerResponse, fake: FakeCf): boolean {
  const auth = req.headers.authorization ?? "";
  const m = /^bearer (.+)$/i.exec(auth);
  if (m && fake.validTokens.has(m[1]!)) return true;
  cfError(res, 401, "CF-InvalidAuthToken", 1000, "Invalid Auth Token");
  return false;
}

/** A v3 list page; `next` is the absolute URL of the following page, if any. */
export function page(resources: unknown[], next?: string, totalPages = 1): unknown {
  return {
    pagination: {
      total_results: resources.length,
      total_pages: totalPages,
      next: next ? { href: next } : null,
    },
    resources,
  };
}

function issueToken(fake: FakeCf, res: ServerResponse): void {
  fake.issued++;
  const access = `access-${fake.issued}`;
  const refresh = `refresh-${fake.issued}`;
  fake.validTokens.add(access);
  fake.validRefreshTokens.add(refresh);
  json(res, 200, {
    access_token: access,
    token_type: "bearer",
    refresh_token: refresh,
    expires_in: fake.tokenLifetime,
    scope: "cloud_controller.read",
    jti: `jti-${fake.issued}`,
  });
}

/** Password grant for USER/PASSWORD with client cf:, client_credentials for my-client/client-secret. */
const defaultToken: Handler = (req, res, fake) => {
  const form = new URLSearchParams(req.body);
  const grant = form.get("grant_type");
  if (grant === "password") {
    if (req.headers.authorization !== `Basic ${Buffer.from("cf:").toString("base64")}`) {
      return json(res, 401, { error: "unauthorized", error_description: "Bad client credentials" });
    }
    if (form.get("username") !== USER || form.get("password") !== PASSWORD) {
      return json(res, 401, { error: "invalid_client", error_description: "Bad credentials" });
    }
    return issueToken(fake, res);
  }
  if (grant === "client_credentials") {
    // UAA takes the client from HTTP Basic or from the form body.
    const basic = `Basic ${Buffer.from("my-client:client-secret").toString("base64")}`;
    const inBody = form.get("client_id") === "my-client" && form.get("client_secret") === "client-secret";
    if (req.headers.authorization !== basic && !inBody) {
      return json(res, 401, { error: "unauthorized", error_description: "Bad credentials" });
    }
    return issueToken(fake, res);
  }
  if (grant === "refresh_token") {
    const token = form.get("refresh_token") ?? "";
    if (!fake.validRefreshTokens.has(token)) {
      return json(res, 401, { error: "invalid_token", error_description: "Invalid refresh token." });
    }
    return issueToken(fake, res);
  }
  json(res, 400, { error: "unsupported_grant_type" });
};

export async function startFakeCf(opts: FakeCfOptions = {}): Promise<FakeCf> {
  const handlers = new Map<string, Handler>();
  const requests: SeenRequest[] = [];
  const fake: FakeCf = {
    url: "",
    origin: "",
    requests,
    validTokens: new Set(),
    validRefreshTokens: new Set(),
    tokenLifetime: opts.tokenLifetime ?? 1200,
    issued: 0,
    on: (route, handler) => handlers.set(route, handler),
    requestsTo: (path, method = "GET") => requests.filter((r) => r.path === path && r.method === method),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const u = new URL(req.url ?? "/", "http://x");
      const seen: SeenRequest = {
        method: req.method ?? "GET",
        path: u.pathname,
        query: u.searchParams,
        rawQuery: u.search.slice(1),
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(seen);
      const handler = handlers.get(`${seen.method} ${seen.path}`);
      if (!handler) return cfError(res, 404, "CF-NotFound", 10000, "Unknown request");
      Promise.resolve(handler(seen, res, fake)).catch((err: unknown) => {
        res.destroy(err as Error);
      });
    });
  };
  const server: Server = opts.tls ? createHttpsServer(opts.tls, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
  fake.origin = fake.url;

  fake.on("GET /", (_req, res, f) =>
    json(res, 200, {
      links: {
        self: { href: f.url },
        cloud_controller_v3: { href: `${f.url}/v3`, meta: { version: opts.version ?? "3.180.0" } },
        login: { href: f.url },
        uaa: { href: f.url },
      },
    }),
  );
  fake.on("GET /v3/info", (_req, res) => json(res, 200, { name: "fake", version: 42, build: "" }));
  fake.on("POST /oauth/token", defaultToken);
  return fake;
}

/** Answers the organization list with one org, for an authorised caller. */
export function serveOrgs(f: FakeCf): void {
  f.on("GET /v3/organizations", (req, res, ff) => {
    if (authorised(req, res, ff)) json(res, 200, page([org("o1")]));
  });
}

/** The default CF settings pointed at a test server, with a short backoff so retries do not slow tests. */
export function testConfig(apiUrl: string, overrides: Partial<CfConfig> = {}): CfConfig {
  const base = defaultConfig().cf;
  return {
    ...base,
    apiUrl,
    api_host: new URL(apiUrl).host,
    username: USER,
    password: PASSWORD,
    request: { ...base.request, backoff: 10 },
    ...overrides,
  };
}

/** A logger whose output is kept as text, to check what was logged (and what never was). */
export function capturingLogger(): {
  logger: Logger;
  text: () => string;
  lines: () => Record<string, unknown>[];
} {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      out.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: "debug" }, stream);
  return {
    logger,
    text: () => out.join(""),
    lines: () =>
      out
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export type MetricCall =
  | { fn: "request"; resource: string; seconds: number; outcome: string }
  | { fn: "wait"; resource: string; seconds: number };

export function recordingMetrics(): OwnMetricsRecorder & { calls: MetricCall[] } {
  const calls: MetricCall[] = [];
  return {
    calls,
    recordScrape: () => {},
    markSeen: () => {},
    observeCfRequest: (resource, seconds, outcome) =>
      calls.push({ fn: "request", resource, seconds, outcome }),
    observeRateLimitWait: (resource, seconds) => calls.push({ fn: "wait", resource, seconds }),
  };
}

/** Time source whose sleeps return at once and are recorded; the clock moves by the slept time. */
export function fakeTime(start = 1_700_000_000_000): {
  now(): number;
  sleep(ms: number): Promise<void>;
  sleeps: number[];
  advance(ms: number): void;
} {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    advance: (ms) => {
      now += ms;
    },
  };
}

export function org(guid: string, name = guid): unknown {
  return { guid, name, metadata: { labels: {}, annotations: {} } };
}

/** How the fake CF is started: TLS (key and certificate PEM), the v3 API version, token lifetime in s. */
export interface FakeCfOptions {
  tls?: { key: string; cert: string };
  version?: string;
  tokenLifetime?: number;
}

/** What a test may add to a client besides its CF settings: logger, fake time, metrics, CA, ... */
export type ClientDeps = Partial<Omit<CloudControllerClientOptions, "config">>;

export interface FakeCfFixture {
  /** The fake CF of the running test. */
  readonly fake: FakeCf;
  /** Starts this test's fake CF with its own options (only with `lazy: true`). */
  start(opts?: FakeCfOptions): Promise<FakeCf>;
  /** A client for this test's fake CF (`testConfig` plus `overrides`), silent unless `deps` give a logger. */
  client(overrides?: Partial<CfConfig>, deps?: ClientDeps): CloudControllerClient;
}

/**
 * Per-test fake CF for a test file: a fresh FakeCf for each test, closed after it together with every
 * client made by `client()`. By default the fake starts before each test with `opts`; with `lazy: true`
 * a test starts it itself with `await cf.start({...})`, for options of its own.
 * Read `fake` inside the tests (it changes per test).
 */
export function useFakeCf(opts: FakeCfOptions & { lazy?: boolean } = {}): FakeCfFixture {
  const { lazy = false, ...startOpts } = opts;
  let current: FakeCf | undefined;
  const clients: CloudControllerClient[] = [];
  const start = async (o: FakeCfOptions = startOpts): Promise<FakeCf> => {
    if (current) throw new Error("useFakeCf: the fake CF of this test is already running");
    current = await startFakeCf(o);
    return current;
  };
  if (!lazy) beforeEach(async () => void (await start()));
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await current?.close();
    current = undefined;
  });
  return {
    get fake(): FakeCf {
      if (!current) {
        throw new Error("useFakeCf: the fake CF runs only inside a test (after cf.start() when lazy)");
      }
      return current;
    },
    start: (o) => {
      if (!lazy)
        throw new Error("useFakeCf: start() is for a lazy fake CF; this one starts before each test");
      return start(o);
    },
    client(overrides = {}, deps = {}) {
      const c = new CloudControllerClient({
        ...deps,
        config: testConfig(this.fake.url, overrides),
        logger: deps.logger ?? silentLogger,
      });
      clients.push(c);
      return c;
    },
  };
}

/** The error a call rejects with; fails the test when it resolves or rejects with something else. */
export async function failure(call: Promise<unknown>): Promise<Error> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error))
    throw new Error(`expected the call to reject with an Error, got ${String(err)}`);
  return err;
}
