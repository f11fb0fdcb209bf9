import type { pino } from "pino";
import type { CfConfig, Config, TargetConfig } from "../../src/config/types.js";
import { createLogger, type Logger } from "../../src/log.js";

export function target(overrides: Partial<TargetConfig> = {}): TargetConfig {
  return {
    path: "/metrics",
    protocol: "https",
    preferredRouteRegex: [],
    internalRoutePort: 0,
    kubernetesAnnotations: false,
    ...overrides,
  };
}

/** Cache timeouts/expiry in seconds, all layers alike unless given. */
export function testConfig(
  targets: Partial<TargetConfig>[],
  cache: { timeout?: number; expiry?: number; resolver?: number } = {},
): Config {
  const timeout = cache.timeout ?? 300;
  const expiry = cache.expiry ?? 120;
  const cf: CfConfig = {
    apiUrl: "https://api.example.com",
    api_host: "api.example.com",
    skipSslValidation: false,
    cache: {
      timeout: {
        org: timeout,
        space: timeout,
        application: timeout,
        domain: timeout,
        route: timeout,
        process: timeout,
        resolver: cache.resolver ?? timeout,
      },
      expiry: {
        org: expiry,
        space: expiry,
        application: expiry,
        domain: expiry,
        route: expiry,
        process: expiry,
      },
      aggregator: { blocksize: { route: 100, process: 100 }, checkinterval: { route: 125, process: 125 } },
    },
    request: {
      timeout: { org: 2500, space: 2500, appInSpace: 2500, domain: 2500, route: 2500, process: 2500 },
      backoff: 500,
      rateLimit: 0,
    },
    watchdog: { enabled: false, timeout: 2500, rate: 60, initialDelay: 60 },
  };
  return {
    cf,
    promregator: {
      targets: targets.map(target),
      targetAuthenticators: [],
      authentication: { basic: { username: "promregator" } },
      discovery: { port: 0, auth: "NONE", ownMetricsEndpoint: true },
      discoverer: { timeout: 600 },
      endpoint: { auth: "NONE" },
      scraping: {
        maxProcessingTime: 5000,
        connectionTimeout: 5000,
        socketReadTimeout: 5000,
        threads: 5,
        maxBodySize: 10_000_000,
        failureMode: "strict",
        maxConcurrent: 100,
      },
      metrics: { auth: "NONE", requestLatency: false, internal: false, labelNamePrefix: "" },
      cache: { invalidate: { auth: "NONE" } },
      defaultInternalRoutePort: 8080,
      simulation: { enabled: false, instances: 10 },
    },
    server: { port: 8080, address: "127.0.0.1" },
    logging: { level: "info" },
  };
}

/** A clock tests move by hand. */
export function manualClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

/** A real pino logger whose JSON lines are kept for assertions. */
export function captureLogger(): {
  logger: Logger;
  lines: () => { level: string; msg: string; [k: string]: unknown }[];
} {
  const raw: string[] = [];
  const logger = createLogger("debug", {
    write: (line: string) => void raw.push(line),
  } as pino.DestinationStream);
  return { logger, lines: () => raw.map((l) => JSON.parse(l)) };
}
