/**
 * Every key of promregator.yml we read, with its type and the Java version's default. The same table drives
 * environment overrides, placeholder strictness and the unknown-key warning, so a key added here is complete.
 */
import { CLIENT_AUTH_SETTINGS } from "../oauth2/index.js";
import {
  BINDING_CREDENTIAL_USES,
  CACHE_LAYERS,
  type CacheLayer,
  FAILURE_MODES,
  INBOUND_AUTH,
  LOG_LEVELS,
} from "./types.js";
import type { ScalarKind, ScalarValue } from "./values.js";

export interface ScalarKey {
  path: string;
  kind: ScalarKind;
  default?: ScalarValue;
  /** Never shown in messages. */
  secret?: boolean;
}

const str: ScalarKind = { type: "string" };
const bool: ScalarKind = { type: "bool" };
const port: ScalarKind = { type: "int", min: 0, max: 65535 };
const positive: ScalarKind = { type: "int", min: 1 };
const nonNegative: ScalarKind = { type: "int", min: 0 };
const inboundAuth: ScalarKind = { type: "enum", values: INBOUND_AUTH };
const clientAuth: ScalarKind = { type: "enum", values: CLIENT_AUTH_SETTINGS };
const logLevel: ScalarKind = { type: "enum", values: LOG_LEVELS };

/** Name of the foundation of the `cf:` block when `cf.name` is not set. */
export const DEFAULT_FOUNDATION = "default";

/** Keys `<prefix>.<name>` for each name, typed with their literal paths. */
function keys<P extends string, N extends string>(
  prefix: P,
  names: readonly N[],
  kind: ScalarKind,
  def?: ScalarValue,
): { path: `${P}.${N}`; kind: ScalarKind; default?: ScalarValue }[] {
  return names.map((n) => ({ path: `${prefix}.${n}` as const, kind, default: def }));
}

/** Java's defaults, in seconds: refresh-ahead age (`timeout`) and idle eviction (`expiry`) of each cache layer. */
const CACHE_DEFAULTS: Readonly<Record<CacheLayer, { timeout: number; expiry: number }>> = {
  org: { timeout: 3600, expiry: 120 },
  space: { timeout: 3600, expiry: 120 },
  application: { timeout: 300, expiry: 120 },
  domain: { timeout: 3600, expiry: 300 },
  route: { timeout: 300, expiry: 120 },
  process: { timeout: 300, expiry: 120 },
};

function cacheKeys<B extends "timeout" | "expiry">(block: B, kind: ScalarKind) {
  return CACHE_LAYERS.map((layer) => ({
    path: `cf.cache.${block}.${layer}` as const,
    kind,
    default: CACHE_DEFAULTS[layer][block],
  }));
}

const TABLE = [
  { path: "cf.name", kind: str, default: DEFAULT_FOUNDATION },
  { path: "cf.api_host", kind: str },
  { path: "cf.username", kind: str },
  { path: "cf.password", kind: str, secret: true },
  { path: "cf.client_id", kind: str },
  { path: "cf.client_secret", kind: str, secret: true },
  { path: "cf.token_endpoint_auth_method", kind: clientAuth, default: "auto" },
  { path: "cf.skipSslValidation", kind: bool, default: false },
  { path: "cf.proxy.host", kind: str },
  { path: "cf.proxy.port", kind: port, default: 0 },
  { path: "cf.connectionPool.size", kind: positive },
  { path: "cf.cache.type", kind: str, default: "CAFFEINE" },
  ...cacheKeys("timeout", positive),
  { path: "cf.cache.timeout.resolver", kind: positive, default: 300 },
  ...cacheKeys("expiry", nonNegative),
  // Java rejects values <= 0 here.
  ...keys("cf.cache.aggregator.blocksize", ["route", "process"], positive, 100),
  ...keys("cf.cache.aggregator.checkinterval", ["route", "process"], positive, 125),
  ...keys(
    "cf.request.timeout",
    ["org", "space", "appInSpace", "domain", "route", "process", "serviceBinding"],
    positive,
    2500,
  ),
  { path: "cf.request.backoff", kind: nonNegative, default: 500 },
  { path: "cf.request.rateLimit", kind: { type: "number", min: 0 }, default: 0 },
  { path: "cf.request.maxBodySize", kind: { type: "size" }, default: 128 * 1024 * 1024 },
  { path: "cf.watchdog.enabled", kind: bool, default: false },
  { path: "cf.watchdog.timeout", kind: positive, default: 2500 },
  { path: "cf.watchdog.rate", kind: positive, default: 60 },
  { path: "cf.watchdog.initialDelay", kind: nonNegative, default: 60 },
  { path: "cf.watchdog.restartCount", kind: nonNegative },

  { path: "promregator.discovery.hostname", kind: str },
  { path: "promregator.discovery.port", kind: port, default: 0 },
  { path: "promregator.discovery.scheme", kind: str },
  { path: "promregator.discovery.auth", kind: inboundAuth, default: "NONE" },
  { path: "promregator.discovery.ownMetricsEndpoint", kind: bool, default: true },
  { path: "promregator.discovery.file", kind: str },
  { path: "promregator.discoverer.timeout", kind: positive, default: 600 },
  { path: "promregator.endpoint.auth", kind: inboundAuth, default: "NONE" },
  ...keys(
    "promregator.scraping",
    ["maxProcessingTime", "connectionTimeout", "socketReadTimeout"],
    positive,
    5000,
  ),
  { path: "promregator.scraping.threads", kind: positive, default: 5 },
  { path: "promregator.scraping.proxy.host", kind: str },
  { path: "promregator.scraping.proxy.port", kind: port, default: 0 },
  { path: "promregator.scraping.maxBodySize", kind: { type: "size" }, default: 64 * 1024 * 1024 },
  {
    path: "promregator.scraping.failureMode",
    kind: { type: "enum", values: FAILURE_MODES },
    default: "strict",
  },
  { path: "promregator.scraping.maxConcurrent", kind: positive, default: 512 },
  { path: "promregator.metrics.auth", kind: inboundAuth, default: "NONE" },
  { path: "promregator.metrics.requestLatency", kind: bool, default: false },
  { path: "promregator.metrics.internal", kind: bool, default: false },
  { path: "promregator.metrics.labelNamePrefix", kind: str, default: "" },
  { path: "promregator.cache.invalidate.auth", kind: inboundAuth, default: "NONE" },
  { path: "promregator.authentication.basic.username", kind: str, default: "promregator" },
  { path: "promregator.authentication.basic.password", kind: str, secret: true },
  { path: "promregator.defaultInternalRoutePort", kind: port, default: 8080 },
  { path: "promregator.simulation.enabled", kind: bool, default: false },
  { path: "promregator.simulation.instances", kind: positive, default: 10 },
  {
    path: "promregator.serviceBindings.credentials",
    kind: { type: "enum", values: BINDING_CREDENTIAL_USES },
    default: "path",
  },

  { path: "server.port", kind: port, default: 8080 },
  { path: "server.address", kind: str, default: "0.0.0.0" },
  { path: "server.tls.cert", kind: str },
  { path: "server.tls.key", kind: str },

  // The Java logger of Promregator wins over root; the default is ours (Java used WARN). Every other
  // logging.level.<logger> is read by logging.ts.
  { path: "logging.level.org.cloudfoundry.promregator", kind: logLevel },
  { path: "logging.level.root", kind: logLevel },

  { path: "encrypt.key", kind: str, secret: true },
  { path: "encrypt.salt", kind: str, default: "deadbeef" },
] as const satisfies readonly ScalarKey[];

/** Every scalar key, with its type and the Java version's default. */
export const SCALAR_KEYS: readonly ScalarKey[] = TABLE;

/**
 * Keys the Java version did not have. An empty value (`key: ""`, `key:`, `~`, an empty environment variable or
 * placeholder) is refused for them, as it would silently mean the default even where the file says otherwise;
 * Java's own keys keep Java's "empty means not set". Every key of a `foundations[]` entry follows the same rule.
 */
export const KEYS_NOT_IN_JAVA: ReadonlySet<string> = new Set<KeyPath>([
  "cf.token_endpoint_auth_method",
  "cf.request.maxBodySize",
  "cf.request.timeout.serviceBinding",
  "promregator.discovery.file",
  "promregator.scraping.maxBodySize",
  "promregator.scraping.failureMode",
  "promregator.scraping.maxConcurrent",
  "promregator.serviceBindings.credentials",
  "server.tls.cert",
  "server.tls.key",
]);

/** The path of a scalar key: a key string that is not in the table fails to compile. */
export type KeyPath = (typeof TABLE)[number]["path"];

/** Old spellings: the value moves to the new key unless that is set too. */
export const ALIASES: readonly { from: string; to: KeyPath }[] = [
  { from: "promregator.endpoint.maxProcessingTime", to: "promregator.scraping.maxProcessingTime" },
  { from: "promregator.endpoint.threads", to: "promregator.scraping.threads" },
  { from: "cf.request.timeout.app", to: "cf.request.timeout.appInSpace" },
  { from: "cf.proxyHost", to: "cf.proxy.host" },
  { from: "cf.proxyPort", to: "cf.proxy.port" },
];

const JVM = "it tunes the Java virtual machine and has no counterpart here";
const V2 = "it configured a Cloud Controller v2 request, which this version does not make";

/** Keys (and everything below them) that are accepted and ignored with a warning saying why. */
export const IGNORED_KEYS: readonly { path: string; reason: string }[] = [
  { path: "promregator.gc.rate", reason: JVM },
  { path: "promregator.reactor.debug", reason: JVM },
  { path: "promregator.workaround.dnscache.timeout", reason: "DNS answers are not cached forever here" },
  { path: "promregator.internal.preCheckAPIVersion", reason: "it had no effect in the Java version either" },
  { path: "promregator.scraping.labelEnrichment", reason: "it was removed in the Java version 1.0" },
  { path: "cf.threadPool.size", reason: JVM },
  { path: "cf.request.timeout.routeMapping", reason: V2 },
  { path: "cf.request.timeout.sharedDomain", reason: V2 },
  { path: "cf.request.timeout.appSummary", reason: V2 },
  { path: "server.tomcat", reason: "it configured the Java web server" },
  { path: "server.ssl", reason: "Java key stores are not supported; use server.tls.cert and server.tls.key" },
];

/**
 * Top-level trees in which every unknown key is worth a warning; in logging and encrypt only near misses are,
 * other trees are named once (see file-keys.ts).
 */
export const CHECKED_TREES: readonly string[] = ["cf", "promregator", "server", "foundations"];

export type TreeFieldKind = ScalarKind | { type: "list" };

export interface TreeField {
  /** Relative to the item, e.g. `oauth2xsuaaBasic.client_secret`. */
  path: string;
  kind: TreeFieldKind;
  secret?: boolean;
  /** What to do instead, for a single-value field given a list or mapping. */
  insteadOfList?: string;
}

/** `orgName` given as a list: a Java user's mistake that would otherwise widen the target to everything. */
function nameField(level: "org" | "space" | "application", what: string): TreeField {
  return {
    path: `${level}Name`,
    kind: str,
    insteadOfList: `expects a single name; use ${level}Regex or one target per ${what}`,
  };
}

function regexField(path: string): TreeField {
  return { path, kind: str, insteadOfList: "expects a single regular expression; join alternatives with |" };
}

export const TARGET_FIELDS: readonly TreeField[] = [
  nameField("org", "organisation"),
  regexField("orgRegex"),
  nameField("space", "space"),
  regexField("spaceRegex"),
  nameField("application", "app"),
  regexField("applicationRegex"),
  { path: "path", kind: str },
  { path: "protocol", kind: str },
  { path: "authenticatorId", kind: str },
  { path: "preferredRouteRegex", kind: { type: "list" } },
  { path: "internalRoutePort", kind: port },
  { path: "kubernetesAnnotations", kind: bool },
  { path: "overrideRouteAndPath", kind: str },
  { path: "foundation", kind: str },
  {
    path: "serviceInstanceName",
    kind: str,
    insteadOfList: "expects a single service instance name; use one target per service instance",
  },
];

export const AUTHENTICATOR_FIELDS: readonly TreeField[] = [
  { path: "id", kind: str },
  { path: "type", kind: str },
  { path: "basic.username", kind: str },
  { path: "basic.password", kind: str, secret: true },
  { path: "oauth2xsuaaBasic.tokenServiceURL", kind: str },
  { path: "oauth2xsuaaBasic.client_id", kind: str },
  { path: "oauth2xsuaaBasic.client_secret", kind: str, secret: true },
  // A list is joined with commas, as Spring converts a list bound to a string.
  { path: "oauth2xsuaaBasic.scopes", kind: { type: "list" } },
  { path: "oauth2xsuaaBasic.token_endpoint_auth_method", kind: clientAuth },
  { path: "oauth2xsuaaCertificate.tokenServiceCertURL", kind: str },
  { path: "oauth2xsuaaCertificate.client_id", kind: str },
  { path: "oauth2xsuaaCertificate.client_certificates", kind: str },
  { path: "oauth2xsuaaCertificate.client_key", kind: str, secret: true },
  { path: "oauth2xsuaaCertificate.scopes", kind: { type: "list" } },
];

/**
 * Scalar keys that a foundation of `foundations[]` sets for itself: every `cf.*` key of the table (relative,
 * e.g. `request.rateLimit` for `cf.request.rateLimit`), and the scrape settings that differ between foundations.
 * `key` is the table key whose type, default and meaning the field shares.
 */
export const FOUNDATION_KEYS: readonly { field: string; key: KeyPath }[] = [
  ...TABLE.filter((k) => k.path.startsWith("cf.")).map((k) => ({ field: k.path.slice(3), key: k.path })),
  { field: "scraping.proxy.host", key: "promregator.scraping.proxy.host" },
  { field: "scraping.proxy.port", key: "promregator.scraping.proxy.port" },
  { field: "defaultInternalRoutePort", key: "promregator.defaultInternalRoutePort" },
];

export const FOUNDATION_FIELDS: readonly TreeField[] = FOUNDATION_KEYS.map(({ field, key }) => {
  const scalar: ScalarKey = findScalarKey(key);
  return { path: field, kind: scalar.kind, ...(scalar.secret ? { secret: true } : {}) };
});

export interface Tree {
  /** e.g. `promregator.targets` */
  path: string;
  list: boolean;
  fields: readonly TreeField[];
}

export const TREES: readonly Tree[] = [
  { path: "promregator.targets", list: true, fields: TARGET_FIELDS },
  { path: "promregator.authenticator", list: false, fields: AUTHENTICATOR_FIELDS },
  { path: "promregator.targetAuthenticators", list: true, fields: AUTHENTICATOR_FIELDS },
  { path: "foundations", list: true, fields: FOUNDATION_FIELDS },
];

export function findScalarKey(path: KeyPath): ScalarKey {
  const key = SCALAR_KEYS.find((k) => k.path === path);
  if (!key) throw new Error(`internal: ${path} is not in the key table`);
  return key;
}
