/** Assembles the effective Config from the merged properties, with the checks that span several keys. */
import { existsSync } from "node:fs";
import { errorMessage } from "../errors.js";
import { normaliseLevel } from "../log.js";
import { TARGET_LABEL_BASE_NAMES } from "../metrics/index.js";
import { CLIENT_AUTH_SETTINGS } from "../oauth2/index.js";
import { bindAuthenticators } from "./authenticators.js";
import { ConfigError, describeKey } from "./errors.js";
import { bindFoundations } from "./foundations.js";
import { apiUrlFromHost, checkDiscoveryHost, checkProxyHost } from "./hosts.js";
import { bindLogging } from "./logging.js";
import { envVariable } from "./paths.js";
import type { PropertySource } from "./properties.js";
import { readGuardedFile } from "./read-file.js";
import { DEFAULT_FOUNDATION, type KeyPath } from "./schema.js";
import { Settings } from "./settings.js";
import { bindTargets } from "./targets.js";
import {
  BINDING_CREDENTIAL_USES,
  CACHE_LAYERS,
  type CacheLayer,
  type CfConfig,
  type Config,
  FAILURE_MODES,
  INBOUND_AUTH,
  LOG_MODULES,
  type LoggingConfig,
  type PromregatorConfig,
  type ServerConfig,
} from "./types.js";

/** Valid Java keys whose job is done differently here; setting them changes nothing, which deserves a word. */
const AGGREGATOR = "route and process look-ups are batched per space and page, not by a timed aggregator";
const WITHOUT_EFFECT: readonly [key: KeyPath, why: string][] = [
  ...(["blocksize", "checkinterval"] as const).flatMap((setting) =>
    (["route", "process"] as const).map((kind): [KeyPath, string] => [
      `cf.cache.aggregator.${setting}.${kind}`,
      AGGREGATOR,
    ]),
  ),
  [
    "promregator.scraping.threads",
    "scrapes are not bound to threads; promregator.scraping.maxConcurrent limits them",
  ],
];

function warnWithoutEffect(s: Settings, warnings: string[]) {
  for (const [key, why] of WITHOUT_EFFECT) {
    if (s.isSet(key)) warnings.push(`${describeKey(s.key(key), s.origin(key))} has no effect: ${why}`);
  }
}

export function buildConfig(source: PropertySource, requireCf: boolean, warnings: string[]): Config {
  const s = new Settings(source);
  warnWithoutEffect(s, warnings);
  // Simulation mode replaces the Cloud Controller, so it needs no connection settings (as in Java).
  const needCf = requireCf && !s.bool("promregator.simulation.enabled");
  const cf = buildCf(s, needCf, warnings);
  const scrapingProxy = readProxy(s, "promregator.scraping.proxy", warnings);
  const foundations = bindFoundations(
    source,
    {
      name: s.str("cf.name") ?? DEFAULT_FOUNDATION,
      cf,
      ...(scrapingProxy ? { scrapingProxy } : {}),
      defaultInternalRoutePort: s.int("promregator.defaultInternalRoutePort"),
    },
    s.origin("cf.name"),
    {
      cf: (fs) => {
        warnWithoutEffect(fs, warnings);
        return buildCf(fs, needCf, warnings);
      },
      scrapingProxy: (fs) => readProxy(fs, "promregator.scraping.proxy", warnings),
    },
    warnings,
    s.bool("promregator.simulation.enabled")
      ? { origin: s.origin("promregator.simulation.enabled") }
      : undefined,
  );
  const names = foundations.map((f) => f.name);
  return {
    cf,
    foundations,
    promregator: buildPromregator(s, source, warnings, names),
    server: buildServer(s),
    logging: normaliseLogging(bindLogging(source, warnings)),
  };
}

function normaliseLogging(logging: LoggingConfig): LoggingConfig {
  const modules: LoggingConfig["modules"] = {};
  for (const module of LOG_MODULES) {
    const level = logging.modules[module];
    if (level !== undefined) modules[module] = normaliseLevel(level);
  }
  return { level: normaliseLevel(logging.level), modules };
}

/** One value per cache layer, keyed by the layer's name. */
function perLayer(value: (layer: CacheLayer) => number): Record<CacheLayer, number> {
  return Object.fromEntries(CACHE_LAYERS.map((layer) => [layer, value(layer)])) as Record<CacheLayer, number>;
}

/** The connection settings of one foundation; `s` reads `cf.*` (or a foundation's keys, see Settings). */
export function buildCf(s: Settings, requireCf: boolean, warnings: string[]): CfConfig {
  const api_host = s.str("cf.api_host");
  let apiUrl = "";
  if (api_host !== undefined) {
    try {
      apiUrl = apiUrlFromHost(api_host);
    } catch (err) {
      throw new ConfigError(errorMessage(err), s.key("cf.api_host"), s.origin("cf.api_host"));
    }
  } else if (requireCf) {
    throw new ConfigError(
      emptied(s, "cf.api_host", "is required") ??
        `is required: the host name of the Cloud Controller API, e.g. api.cf.example.com (or set ${envVariable(s.key("cf.api_host"))})`,
      s.key("cf.api_host"),
    );
  }
  const username = s.str("cf.username");
  const password = s.str("cf.password");
  const client_id = s.str("cf.client_id");
  const client_secret = s.str("cf.client_secret");
  if (requireCf) checkCredentials(username, password, client_id, client_secret, s);
  if (username !== undefined && client_id !== undefined && client_secret !== undefined) {
    // As the UAA login decides (src/cf/uaa-token.ts): the client wins, the user is never asked.
    warnings.push(
      `${describeKey(s.key("cf.client_id"), s.origin("cf.client_id"))} and ${describeKey(s.key("cf.username"), s.origin("cf.username"))} ` +
        `are both set: the login uses the client (${s.key("cf.client_id")}/${s.key("cf.client_secret")}) and ignores ` +
        `the user; remove the pair that does not belong to this foundation`,
    );
  }

  const cacheType = s.str("cf.cache.type") ?? "CAFFEINE";
  if (cacheType.toUpperCase() !== "CAFFEINE") {
    throw new ConfigError(
      `only CAFFEINE is supported (the CLASSIC cache was removed in the Java version 1.0), got "${cacheType}"`,
      s.key("cf.cache.type"),
      s.origin("cf.cache.type"),
    );
  }
  if (s.isSet("cf.cache.type")) {
    warnings.push(
      `${describeKey(s.key("cf.cache.type"), s.origin("cf.cache.type"))} is ignored: there is only one cache type here`,
    );
  }

  const cf: CfConfig = {
    apiUrl,
    api_host: api_host ?? "",
    skipSslValidation: s.bool("cf.skipSslValidation"),
    cache: {
      timeout: {
        ...perLayer((layer) => s.int(`cf.cache.timeout.${layer}`)),
        resolver: s.int("cf.cache.timeout.resolver"),
      },
      expiry: perLayer((layer) => s.int(`cf.cache.expiry.${layer}`)),
      aggregator: {
        blocksize: {
          route: s.int("cf.cache.aggregator.blocksize.route"),
          process: s.int("cf.cache.aggregator.blocksize.process"),
        },
        checkinterval: {
          route: s.int("cf.cache.aggregator.checkinterval.route"),
          process: s.int("cf.cache.aggregator.checkinterval.process"),
        },
      },
    },
    request: {
      timeout: {
        org: s.int("cf.request.timeout.org"),
        space: s.int("cf.request.timeout.space"),
        appInSpace: s.int("cf.request.timeout.appInSpace"),
        domain: s.int("cf.request.timeout.domain"),
        route: s.int("cf.request.timeout.route"),
        process: s.int("cf.request.timeout.process"),
        serviceBinding: s.int("cf.request.timeout.serviceBinding"),
      },
      backoff: s.int("cf.request.backoff"),
      rateLimit: s.num("cf.request.rateLimit"),
      maxBodySize: s.int("cf.request.maxBodySize"),
    },
    watchdog: {
      enabled: s.bool("cf.watchdog.enabled"),
      timeout: s.int("cf.watchdog.timeout"),
      rate: s.int("cf.watchdog.rate"),
      initialDelay: s.int("cf.watchdog.initialDelay"),
    },
  };
  const restartCount = s.optInt("cf.watchdog.restartCount");
  if (restartCount !== undefined) cf.watchdog.restartCount = restartCount;
  if (username !== undefined) cf.username = username;
  if (password !== undefined) cf.password = password;
  if (client_id !== undefined) cf.client_id = client_id;
  if (client_secret !== undefined) cf.client_secret = client_secret;
  if (s.isSet("cf.token_endpoint_auth_method")) {
    cf.token_endpoint_auth_method = s.oneOf("cf.token_endpoint_auth_method", CLIENT_AUTH_SETTINGS);
  }
  const proxy = readProxy(s, "cf.proxy", warnings);
  if (proxy) cf.proxy = proxy;
  const poolSize = s.optInt("cf.connectionPool.size");
  if (poolSize !== undefined) cf.connectionPool = { size: poolSize };
  return cf;
}

function checkCredentials(
  username: string | undefined,
  password: string | undefined,
  clientId: string | undefined,
  clientSecret: string | undefined,
  s: Settings,
): void {
  if (username !== undefined && password !== undefined) return;
  if (clientId !== undefined && clientSecret !== undefined) return;
  const key = (path: KeyPath) => s.key(path);
  if (username !== undefined) {
    throw new ConfigError(
      emptied(s, "cf.password", `is required with ${key("cf.username")}`) ??
        `is required with ${key("cf.username")} (set it in the file or via ${envVariable(key("cf.password"))})`,
      key("cf.password"),
    );
  }
  if (clientId !== undefined) {
    throw new ConfigError(
      emptied(s, "cf.client_secret", `is required with ${key("cf.client_id")}`) ??
        `is required with ${key("cf.client_id")} (set it in the file or via ${envVariable(key("cf.client_secret"))})`,
      key("cf.client_secret"),
      s.origin("cf.client_id"),
    );
  }
  throw new ConfigError(
    `${key("cf.username")} and ${key("cf.password")} (or ${key("cf.client_id")} and ${key("cf.client_secret")}) are required to log in to Cloud Foundry`,
  );
}

/**
 * The message for a required key that is unset only because an empty environment variable overrides the value
 * the file gives it: `is required with cf.username; environment variable CF_PASSWORD is set but empty and
 * overrides the value of cf.password (promregator.yml:4)`. Undefined when that is not the cause.
 */
function emptied(s: Settings, path: KeyPath, requirement: string): string | undefined {
  const cause = s.emptyOverride(path);
  return cause && `${requirement}; ${cause}: remove the empty variable or give it a value`;
}

/** A proxy needs host and port; a port alone is ignored with a warning. */
export function readProxy(
  s: Settings,
  prefix: "cf.proxy" | "promregator.scraping.proxy",
  warnings: string[],
): { host: string; port: number } | undefined {
  const host = s.str(`${prefix}.host`);
  const port = s.int(`${prefix}.port`);
  const hostKey = s.key(`${prefix}.host`);
  const portKey = s.key(`${prefix}.port`);
  if (host === undefined) {
    if (port !== 0)
      warnings.push(`${describeKey(portKey, s.origin(`${prefix}.port`))} is ignored: ${hostKey} is not set`);
    return undefined;
  }
  try {
    checkProxyHost(host);
  } catch (err) {
    throw new ConfigError(errorMessage(err), hostKey, s.origin(`${prefix}.host`));
  }
  if (port === 0) {
    throw new ConfigError(
      emptied(s, `${prefix}.port`, `is required when ${hostKey} is set`) ??
        `is required when ${hostKey} is set`,
      portKey,
      s.origin(`${prefix}.host`),
    );
  }
  return { host, port };
}

function buildPromregator(
  s: Settings,
  source: PropertySource,
  warnings: string[],
  foundations: readonly string[],
): PromregatorConfig {
  const auth = bindAuthenticators(source, warnings);
  const maxProcessingTime = s.int("promregator.scraping.maxProcessingTime");
  const p: PromregatorConfig = {
    targets: bindTargets(source, auth.ids, warnings, foundations),
    targetAuthenticators: auth.targetAuthenticators,
    authentication: {
      basic: { username: s.str("promregator.authentication.basic.username") ?? "promregator" },
    },
    discovery: {
      port: s.int("promregator.discovery.port"),
      auth: s.oneOf("promregator.discovery.auth", INBOUND_AUTH),
      ownMetricsEndpoint: s.bool("promregator.discovery.ownMetricsEndpoint"),
    },
    discoverer: { timeout: s.int("promregator.discoverer.timeout") },
    endpoint: { auth: s.oneOf("promregator.endpoint.auth", INBOUND_AUTH) },
    scraping: {
      maxProcessingTime,
      connectionTimeout: clamped(s, "promregator.scraping.connectionTimeout", maxProcessingTime, warnings),
      socketReadTimeout: clamped(s, "promregator.scraping.socketReadTimeout", maxProcessingTime, warnings),
      threads: s.int("promregator.scraping.threads"),
      maxBodySize: s.int("promregator.scraping.maxBodySize"),
      failureMode: s.oneOf("promregator.scraping.failureMode", FAILURE_MODES),
      maxConcurrent: s.int("promregator.scraping.maxConcurrent"),
    },
    metrics: {
      auth: s.oneOf("promregator.metrics.auth", INBOUND_AUTH),
      requestLatency: s.bool("promregator.metrics.requestLatency"),
      internal: s.bool("promregator.metrics.internal"),
      labelNamePrefix: labelNamePrefix(s),
    },
    cache: { invalidate: { auth: s.oneOf("promregator.cache.invalidate.auth", INBOUND_AUTH) } },
    defaultInternalRoutePort: s.int("promregator.defaultInternalRoutePort"),
    simulation: {
      enabled: s.bool("promregator.simulation.enabled"),
      instances: s.int("promregator.simulation.instances"),
    },
    serviceBindings: {
      credentials: s.oneOf("promregator.serviceBindings.credentials", BINDING_CREDENTIAL_USES),
    },
  };
  if (auth.authenticator) p.authenticator = auth.authenticator;
  const password = s.str("promregator.authentication.basic.password");
  if (password !== undefined) p.authentication.basic.password = password;
  for (const field of ["hostname", "scheme", "file"] as const) {
    const value = s.str(`promregator.discovery.${field}`);
    if (value !== undefined) p.discovery[field] = value;
  }
  if (p.discovery.hostname !== undefined) {
    try {
      checkDiscoveryHost(p.discovery.hostname);
    } catch (err) {
      throw new ConfigError(
        errorMessage(err),
        s.key("promregator.discovery.hostname"),
        s.origin("promregator.discovery.hostname"),
      );
    }
  }
  const proxy = readProxy(s, "promregator.scraping.proxy", warnings);
  if (proxy) p.scraping.proxy = proxy;
  return p;
}

/** Prometheus' rule for label names (data model), of which names starting with `__` are reserved. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * `promregator.metrics.labelNamePrefix`, refused here when a label name it makes (prefix + `org_name`, ...) is
 * not a valid Prometheus label name: otherwise the server would only fail when it registers its metrics.
 */
function labelNamePrefix(s: Settings): string {
  const prefix = s.str("promregator.metrics.labelNamePrefix") ?? "";
  for (const base of TARGET_LABEL_BASE_NAMES) {
    const name = prefix + base;
    const problem = !LABEL_NAME.test(name)
      ? "label names may only contain letters, digits and underscores and must not start with a digit ([a-zA-Z_][a-zA-Z0-9_]*)"
      : name.startsWith("__")
        ? 'label names starting with "__" are reserved for Prometheus\' internal use'
        : undefined;
    if (problem) {
      throw new ConfigError(
        `"${prefix}" gives the invalid label name "${name}": ${problem}`,
        s.key("promregator.metrics.labelNamePrefix"),
        s.origin("promregator.metrics.labelNamePrefix"),
      );
    }
  }
  return prefix;
}

/** Java clamps the connect and read timeouts to the overall scrape budget. */
function clamped(s: Settings, path: KeyPath, max: number, warnings: string[]): number {
  const value = s.int(path);
  if (value <= max) return value;
  // Lowering maxProcessingTime below the default timeouts is normal; only a value set too high is worth a word.
  if (s.isSet(path)) {
    warnings.push(
      `${describeKey(path, s.origin(path))} (${value} ms) is larger than promregator.scraping.maxProcessingTime (${max} ms) and is reduced to it`,
    );
  }
  return max;
}

function buildServer(s: Settings): ServerConfig {
  const server: ServerConfig = { port: s.int("server.port"), address: s.str("server.address") ?? "0.0.0.0" };
  const cert = s.str("server.tls.cert");
  const key = s.str("server.tls.key");
  if (cert === undefined && key === undefined) return server;
  if (cert === undefined || key === undefined) {
    const [missing, given] =
      cert === undefined
        ? (["server.tls.cert", "server.tls.key"] as const)
        : (["server.tls.key", "server.tls.cert"] as const);
    throw new ConfigError(
      `is required when ${given} is set (both are PEM file paths)`,
      missing,
      s.origin(given),
    );
  }
  for (const [path, file] of [
    ["server.tls.cert", cert],
    ["server.tls.key", key],
  ] as const) {
    if (!existsSync(file)) throw new ConfigError(`file not found: ${file}`, path, s.origin(path));
    // Refuses a FIFO, a device or a huge file now, with the key and its origin, rather than hang at listen.
    readGuardedFile(file, { key: describeKey(path, s.origin(path)) });
  }
  server.tls = { cert, key };
  return server;
}
