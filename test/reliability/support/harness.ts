import { request } from "node:http";
import type { pino } from "pino";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type RunningPromregator, startPromregator } from "../../../src/app.js";
import { loadConfig } from "../../../src/config/index.js";
import type { Config } from "../../../src/config/types.js";
import { createLogger } from "../../../src/log.js";
import {
  type AppSpec,
  type LandscapeSpec,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from "../../../src/simulator/index.js";

export const CF_USER = { username: "reliability", password: "cf-pw-Zr8q1vNw" };

/** The reliability landscape: org rel-org, space rel-space, these apps, on apps.example.org. */
export function relLandscape(apps: AppSpec[]): LandscapeSpec {
  return {
    domains: [{ name: "apps.example.org" }],
    orgs: [{ name: "rel-org", spaces: [{ name: "rel-space", apps }] }],
  };
}

/** One org, one space, three apps with two instances each. */
export function smallLandscape(): LandscapeSpec {
  return relLandscape(["app-a", "app-b", "app-c"].map((name) => ({ name, instances: 2 })));
}

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** Keeps every pino line written to it, for assertions on what an operator would read. */
export class LogCapture {
  readonly raw: string[] = [];
  readonly destination: pino.DestinationStream = { write: (line: string) => void this.raw.push(line) };

  lines(): LogLine[] {
    return this.raw.map((line) => JSON.parse(line) as LogLine);
  }

  text(): string {
    return this.raw.join("");
  }

  /** Lines at warn or above whose message matches. */
  warnings(pattern: RegExp): LogLine[] {
    return this.lines().filter((l) => ["warn", "error", "fatal"].includes(l.level) && pattern.test(l.msg));
  }

  mark(): number {
    return this.raw.length;
  }

  since(mark: number): LogLine[] {
    return this.raw.slice(mark).map((line) => JSON.parse(line) as LogLine);
  }
}

/** Records unhandled rejections of this test file and fails the test during which one happened. */
export function guardUnhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  beforeAll(() => void process.on("unhandledRejection", listener));
  afterEach(async () => {
    // a rejection becomes "unhandled" only after the microtask queue drained
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.map(String)).toEqual([]);
  });
  afterAll(() => void process.off("unhandledRejection", listener));
  return seen;
}

export interface HarnessOptions {
  landscape?: LandscapeSpec;
  simulator?: Partial<SimulatorOptions>;
  /** api_host to use instead of the simulator's (e.g. a fault proxy started in front of it). */
  apiHost?: (sim: RunningSimulator) => string | Promise<string>;
  /** The whole promregator.yml instead of fastConfigYaml (cf.password comes from CF_PASSWORD either way). */
  yaml?: (apiHost: string, sim: RunningSimulator) => string;
  /** Environment for the configuration (placeholders, overrides); CF_PASSWORD is set unless given. */
  env?: Record<string, string>;
  /** Changes to the effective configuration before start. */
  configure?: (config: Config) => void;
  logLevel?: string;
  tickMs?: number;
  /** Trust the simulator CA for CF (default true). */
  trustSimulatorCa?: boolean;
}

export interface Harness {
  sim: RunningSimulator;
  app: RunningPromregator;
  config: Config;
  logs: LogCapture;
  get(path: string, headers?: Record<string, string>): Promise<HttpAnswer>;
  discoveryTargets(): Promise<string[]>;
  close(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A GET that sends the path exactly as given (no normalisation of "..", no redirects followed). */
export function httpGet(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<HttpAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: "GET", headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`no answer to GET ${path} within ${timeoutMs} ms`)),
    );
    req.on("error", reject);
    req.end();
  });
}

/** Short CF request timeouts and backoff, so that faults and recoveries show within a second or two. */
export function fastConfigYaml(
  apiHost: string,
  opts: { port?: number; target?: Record<string, string> } = {},
): string {
  const all = (v: number) =>
    `{ org: ${v}, space: ${v}, application: ${v}, domain: ${v}, route: ${v}, process: ${v} }`;
  const target = { protocol: "http", ...opts.target };
  return `
cf:
  api_host: ${apiHost}
  username: ${CF_USER.username}
  cache:
    timeout: { org: 1, space: 1, application: 1, domain: 1, route: 1, process: 1, resolver: 1 }
    expiry: ${all(600)}
  request:
    timeout: ${all(600)}
    backoff: 20
promregator:
  targets:
    - orgName: rel-org
      spaceName: rel-space
${Object.entries(target)
  .map(([key, value]) => `      ${key}: ${value}\n`)
  .join("")}  metrics:
    internal: true
server:
  port: ${opts.port ?? 0}
  address: 127.0.0.1
`;
}

/** Simulator plus an in-process Promregator discovering it; logs captured at debug level by default. */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const sim = await startSimulator({
    landscape: opts.landscape ?? smallLandscape(),
    users: [CF_USER],
    ...opts.simulator,
  });
  const apiHost = (await opts.apiHost?.(sim)) ?? sim.apiUrl;
  const { config } = loadConfig({
    text: opts.yaml?.(apiHost, sim) ?? fastConfigYaml(apiHost),
    env: { CF_PASSWORD: CF_USER.password, ...opts.env },
  });
  config.promregator.scraping.proxy = sim.routerAddress;
  // promregator.yml takes whole seconds; a third of one makes each test see several refreshes quickly
  const timeouts = config.cf.cache.timeout;
  for (const layer of Object.keys(timeouts) as (keyof typeof timeouts)[]) timeouts[layer] = 0.3;
  opts.configure?.(config);
  const logs = new LogCapture();
  const logger = createLogger(opts.logLevel ?? "debug", logs.destination);
  let app: RunningPromregator;
  try {
    app = await startPromregator({
      config,
      logger,
      cfCa: opts.trustSimulatorCa === false ? undefined : sim.caPem,
      discoveryTickMs: opts.tickMs ?? 100,
      env: {},
    });
  } catch (error) {
    await sim.close();
    throw error;
  }
  const get = (path: string, headers?: Record<string, string>) => httpGet(app.url, path, headers);
  return {
    sim,
    app,
    config,
    logs,
    get,
    async discoveryTargets() {
      const answer = await get("/discovery");
      if (answer.status !== 200) throw new Error(`/discovery answered ${answer.status}: ${answer.text}`);
      const groups = JSON.parse(answer.text) as { labels: Record<string, string> }[];
      return groups.map((g) => g.labels.__metrics_path__);
    },
    async close() {
      await app.close();
      await sim.close();
    },
  };
}

/** Polls until check() returns a value other than undefined; throws with the last state after the deadline. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
