import type { pino } from "pino";
import type { Config, TargetConfig } from "../../src/config/types.js";
import { createLogger, type Logger } from "../../src/log.js";
import { DEFAULT_SIMULATOR_USER } from "../../src/simulator/index.js";
import { defaultConfig } from "../support/default-config.js";

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
  const base = defaultConfig();
  const timeout = cache.timeout ?? 300;
  const expiry = cache.expiry ?? 120;
  const layers = ["org", "space", "application", "domain", "route", "process"] as const;
  const each = (value: number) =>
    Object.fromEntries(layers.map((layer) => [layer, value])) as Record<(typeof layers)[number], number>;
  return {
    ...base,
    cf: {
      ...base.cf,
      cache: {
        ...base.cf.cache,
        timeout: { ...each(timeout), resolver: cache.resolver ?? timeout },
        expiry: each(expiry),
      },
    },
    promregator: { ...base.promregator, targets: targets.map(target) },
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

/** `cf` pointed at a simulator's API (`apiUrl`) with its default user; `request` overrides request settings. */
export function simulatorCf(
  cf: Config["cf"],
  apiUrl: string,
  request: Partial<Config["cf"]["request"]> = {},
): Config["cf"] {
  return {
    ...cf,
    apiUrl,
    api_host: apiUrl,
    username: DEFAULT_SIMULATOR_USER.username,
    password: DEFAULT_SIMULATOR_USER.password,
    request: { ...cf.request, ...request },
  };
}
