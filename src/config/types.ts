/**
 * The effective, validated configuration. Key names mirror promregator.yml of the Java version;
 * durations keep the unit the Java key uses (seconds for cache.*, milliseconds for request/scraping timeouts).
 */

import type { ClientAuthSetting } from "../oauth2/index.js";

/** Inbound authentication of an endpoint group. */
export const INBOUND_AUTH = ["NONE", "BASIC"] as const;
export type InboundAuth = (typeof INBOUND_AUTH)[number];

/** The Cloud Controller caches, one per kind of resource; each has a `cf.cache.timeout.*` and `.expiry.*` key. */
export const CACHE_LAYERS = ["org", "space", "application", "domain", "route", "process"] as const;
export type CacheLayer = (typeof CACHE_LAYERS)[number];

export interface CfConfig {
  /** Base URL of the Cloud Controller, derived from `cf.api_host` (a bare host means https on 443). */
  apiUrl: string;
  /** The value as written in the file, for messages. */
  api_host: string;
  username?: string;
  password?: string;
  /** Client-credentials login instead of the password grant (not in the Java version). */
  client_id?: string;
  client_secret?: string;
  /** How a client_credentials login authenticates the client (RFC 6749 §2.3.1); `auto` when not set. */
  token_endpoint_auth_method?: ClientAuthSetting;
  skipSslValidation: boolean;
  proxy?: { host: string; port: number };
  cache: {
    /** s, per layer, plus how often targets are resolved again */
    timeout: Record<CacheLayer | "resolver", number>;
    /** s, per layer */
    expiry: Record<CacheLayer, number>;
    aggregator: {
      blocksize: { route: number; process: number };
      checkinterval: { route: number; process: number };
    };
  };
  request: {
    timeout: {
      org: number;
      space: number;
      appInSpace: number;
      domain: number;
      route: number;
      process: number;
      /** The service credential binding list and a binding's details (not in the Java version). */
      serviceBinding: number;
    };
    /** ms */
    backoff: number;
    /** requests per second, 0 = unlimited */
    rateLimit: number;
    /** bytes; the largest CC or UAA answer body read */
    maxBodySize: number;
  };
  watchdog: {
    enabled: boolean;
    /** ms */
    timeout: number;
    /** s */
    rate: number;
    /** s */
    initialDelay: number;
    restartCount?: number;
  };
  connectionPool?: { size?: number };
}

export type AuthenticatorType = "none" | "basic" | "OAuth2XSUAABasic" | "OAuth2XSUAACertificate";

export interface AuthenticatorConfig {
  /** Only on `promregator.targetAuthenticators[]`. */
  id?: string;
  type: AuthenticatorType;
  basic?: { username?: string; password?: string };
  oauth2xsuaaBasic?: {
    tokenServiceURL: string;
    client_id: string;
    client_secret: string;
    scopes?: string;
    token_endpoint_auth_method?: ClientAuthSetting;
  };
  oauth2xsuaaCertificate?: {
    tokenServiceCertURL: string;
    client_id: string;
    client_certificates: string;
    client_key: string;
    scopes?: string;
  };
}

export interface TargetConfig {
  orgName?: string;
  orgRegex?: string;
  spaceName?: string;
  spaceRegex?: string;
  applicationName?: string;
  applicationRegex?: string;
  /** Always starts with "/" after normalisation; default "/metrics". */
  path: string;
  protocol: "http" | "https";
  authenticatorId?: string;
  preferredRouteRegex: string[];
  internalRoutePort: number;
  kubernetesAnnotations: boolean;
  overrideRouteAndPath?: string;
  /** Name of the foundation whose Cloud Controller is asked; absent: the default foundation (`cf:`). */
  foundation?: string;
  /**
   * Only apps bound (service credential binding of type app) to a service instance of this exact name; the
   * binding's credentials may name the path and, when `promregator.serviceBindings.credentials` allows it, basic
   * auth (not in the Java version).
   */
  serviceInstanceName?: string;
}

/**
 * What a binding's credentials may decide for its app: nothing (`ignore`: the details are not even read), the
 * metrics `path`, or the path and `username`/`password` for HTTP Basic.
 */
export const BINDING_CREDENTIAL_USES = ["ignore", "path", "path-and-basic-auth"] as const;
export type BindingCredentialUse = (typeof BINDING_CREDENTIAL_USES)[number];

export const FAILURE_MODES = ["strict", "compatible"] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

export interface PromregatorConfig {
  targets: TargetConfig[];
  authenticator?: AuthenticatorConfig;
  targetAuthenticators: AuthenticatorConfig[];
  authentication: { basic: { username: string; password?: string } };
  discovery: {
    hostname?: string;
    /** 0 = taken from the request */
    port: number;
    scheme?: string;
    auth: InboundAuth;
    ownMetricsEndpoint: boolean;
    /** Also write the discovery document to this file (for file_sd_configs). */
    file?: string;
  };
  discoverer: { /** s */ timeout: number };
  endpoint: { auth: InboundAuth };
  scraping: {
    /** ms */
    maxProcessingTime: number;
    /** ms, clamped to maxProcessingTime */
    connectionTimeout: number;
    /** ms, clamped to maxProcessingTime */
    socketReadTimeout: number;
    threads: number;
    proxy?: { host: string; port: number };
    /** bytes */
    maxBodySize: number;
    failureMode: FailureMode;
    /** Maximum scrapes in flight before answering 503. */
    maxConcurrent: number;
  };
  metrics: {
    auth: InboundAuth;
    requestLatency: boolean;
    internal: boolean;
    labelNamePrefix: string;
  };
  cache: { invalidate: { auth: InboundAuth } };
  defaultInternalRoutePort: number;
  simulation: { enabled: boolean; instances: number };
  /** Targets with `serviceInstanceName` (not in the Java version). */
  serviceBindings: { credentials: BindingCredentialUse };
}

export interface ServerConfig {
  port: number;
  address: string;
  tls?: { cert: string; key: string };
  /** `--web.config.file`: exporter-toolkit web configuration (TLS, client certificates, bcrypt users). */
  webConfigFile?: string;
}

/** Spring Boot's level names (matched case-insensitively); `warning` is also accepted. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "warning", "error", "fatal", "off"] as const;

/** Modules whose child loggers carry a `module` binding and can have their own level. */
export const LOG_MODULES = ["cf", "discovery", "scrape", "server"] as const;
export type LogModule = (typeof LOG_MODULES)[number];

export interface LoggingConfig {
  /** pino level of everything without a level of its own (`silent` for Spring's OFF). */
  level: string;
  /** Levels of single modules, from `logging.level.<Java package>` (or the module name). */
  modules: Partial<Record<LogModule, string>>;
}

/** One Cloud Foundry foundation: its Cloud Controller connection and the scrape settings that differ per foundation. */
export interface FoundationConfig {
  /** `cf.name` for the `cf:` block, `foundations[].name` for the others; the `cf_foundation` label value. */
  name: string;
  cf: CfConfig;
  /** HTTP proxy for scrapes of this foundation's instances (its `scraping.proxy`, else promregator.scraping.proxy). */
  scrapingProxy?: { host: string; port: number };
  /** Port for apps on an internal route (its `defaultInternalRoutePort`, else promregator.defaultInternalRoutePort). */
  defaultInternalRoutePort: number;
}

export interface Config {
  /** The default foundation's connection (the `cf:` block); also `foundations[0].cf`. */
  cf: CfConfig;
  /** Every foundation, the default one (`cf:`) first. */
  foundations: FoundationConfig[];
  promregator: PromregatorConfig;
  server: ServerConfig;
  logging: LoggingConfig;
  /** Where the config came from, for messages; undefined when built in code. */
  source?: string;
}
