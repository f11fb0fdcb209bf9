/**
 * The configuration reference (docs/configuration.md is generated from it by scripts/gen-config-docs.mjs).
 * Keys, types and secrecy come from the key table in schema.ts and defaults from loading an empty configuration,
 * so only the meaning of each key is written here; a key without a meaning fails the generation.
 */
import { loadConfig } from "./load.js";
import { JAVA_LOGGER_MODULES } from "./logging.js";
import { MAX_CONFIG_BYTES } from "./read-file.js";
import {
  ALIASES,
  AUTHENTICATOR_FIELDS,
  FOUNDATION_KEYS,
  IGNORED_KEYS,
  type KeyPath,
  SCALAR_KEYS,
  TARGET_FIELDS,
  type TreeField,
  type TreeFieldKind,
} from "./schema.js";
import type { ScalarValue } from "./values.js";

export interface KeyReference {
  key: string;
  /** The environment variable that sets it (Spring Boot's relaxed form). */
  env: string;
  type: string;
  /** undefined = unset by default */
  default?: string;
  secret: boolean;
  meaning: string;
}

export interface ConfigReference {
  sections: { title: string; keys: KeyReference[] }[];
  targetFields: KeyReference[];
  authenticatorFields: KeyReference[];
  /** Fields of `foundations[]`: the `cf.*` keys written relative to the item, and the per-foundation scrape settings. */
  foundationFields: KeyReference[];
  aliases: readonly { from: string; to: string }[];
  ignored: readonly { path: string; reason: string }[];
  /** Java loggers and the module whose level they set. */
  loggers: readonly { logger: string; module: string }[];
  maxFileMiB: number;
}

/** Units of numeric keys, by path pattern. */
const UNITS: readonly [RegExp, string][] = [
  [
    /^cf\.cache\.(timeout|expiry)\.|^cf\.watchdog\.(rate|initialDelay)$|^promregator\.discoverer\.timeout$/,
    "seconds",
  ],
  [
    /^cf\.cache\.aggregator\.checkinterval\.|^cf\.request\.(timeout\.|backoff)|^cf\.watchdog\.timeout$|^promregator\.scraping\.(maxProcessingTime|connectionTimeout|socketReadTimeout)$/,
    "milliseconds",
  ],
  [/^cf\.request\.rateLimit$/, "requests per second"],
];

/** Meaning of each key of SCALAR_KEYS; the unit of a duration comes from UNITS. */
const MEANINGS: Readonly<Record<KeyPath, string>> = {
  "cf.name":
    "Name of the foundation of the `cf:` block, as targets name it in `foundation` and as the `__meta_promregator_target_foundation` label of its instances carries it (see [Foundations](#foundations-foundations)). An empty value stops start-up (remove the key for the default name).",
  "cf.api_host":
    "Cloud Controller API: a host name (HTTPS on 443, as in the Java version), `host:port`, or an `http(s)://` URL without a path. Required.",
  "cf.username": "User for the UAA password grant (login like `cf login`).",
  "cf.password": "Password of `cf.username`; usually given as `CF_PASSWORD`.",
  "cf.client_id":
    "UAA client for a client-credentials login instead of a user (new; wins when `cf.client_secret` is set too).",
  "cf.client_secret": "Secret of `cf.client_id`; usually given as `CF_CLIENT_SECRET`.",
  "cf.token_endpoint_auth_method":
    "How `cf.client_id` authenticates at UAA: `client_secret_basic` (HTTP Basic), `client_secret_post` (in the form body) or `auto` (Basic first, the other once on `invalid_client`, then whichever worked; after both were refused once, Basic alone).",
  "cf.skipSslValidation":
    "Accept any TLS certificate from the Cloud Controller and UAA (not from scrape targets). For test foundations only.",
  "cf.proxy.host": "HTTP proxy for Cloud Controller and UAA requests: host name or IP, no scheme.",
  "cf.proxy.port": "Port of `cf.proxy.host`; required with it.",
  "cf.connectionPool.size": "Maximum connections to the Cloud Controller and UAA; unset means no limit.",
  "cf.cache.type": "Only `CAFFEINE` is accepted, with a warning that there is a single cache type here.",
  "cf.cache.timeout.org":
    "Organisations older than this are reloaded in the background; the old value is served meanwhile.",
  "cf.cache.timeout.space": "Like `cf.cache.timeout.org`, for spaces.",
  "cf.cache.timeout.domain": "Like `cf.cache.timeout.org`, for domains.",
  "cf.cache.timeout.application": "Like `cf.cache.timeout.org`, for the apps of a space.",
  "cf.cache.timeout.route": "Like `cf.cache.timeout.org`, for routes.",
  "cf.cache.timeout.process": "Like `cf.cache.timeout.org`, for web processes (the instance count).",
  "cf.cache.timeout.resolver":
    "How often the configured targets are matched against orgs, spaces and apps again (new apps appear after at most this long, or at once with `/cache/invalidate?resolver=true`). Also how often a target that matches nothing is logged again.",
  "cf.cache.expiry.org": "Organisations not read for this long are dropped; 0 keeps them.",
  "cf.cache.expiry.space": "Like `cf.cache.expiry.org`, for spaces.",
  "cf.cache.expiry.application": "Like `cf.cache.expiry.org`, for the apps of a space.",
  "cf.cache.expiry.route": "Like `cf.cache.expiry.org`, for routes.",
  "cf.cache.expiry.process": "Like `cf.cache.expiry.org`, for web processes.",
  "cf.cache.expiry.domain": "Like `cf.cache.expiry.org`, for domains.",
  "cf.cache.aggregator.blocksize.route":
    "Accepted and validated (> 0) but without effect: routes are looked up by app guids (up to 100 per request); processes too for up to 100 apps, and by space for more.",
  "cf.cache.aggregator.blocksize.process": "Like `cf.cache.aggregator.blocksize.route`, for processes.",
  "cf.cache.aggregator.checkinterval.route":
    "Accepted and validated (> 0) but without effect: there is no batching window.",
  "cf.cache.aggregator.checkinterval.process":
    "Like `cf.cache.aggregator.checkinterval.route`, for processes.",
  "cf.request.timeout.org":
    "Budget of one attempt of an organisation request. Lists are asked for in pages of 1,000 (a real CC needs 3-4 s for 5,000 apps, under a second for 1,000; Java's 2,500 ms was meant for pages of 100); a page that takes longer than this is read again at once in pages of 200, and that resource keeps the smaller pages. So the default works on a slow CC; raise it only if pages of 200 time out too.",
  "cf.request.timeout.space": "Budget of one attempt of a space request.",
  "cf.request.timeout.appInSpace": "Budget of one attempt of an app list request.",
  "cf.request.timeout.domain": "Budget of one attempt of a domain request.",
  "cf.request.timeout.route": "Budget of one attempt of a route request.",
  "cf.request.timeout.process": "Budget of one attempt of a process request.",
  "cf.request.timeout.serviceBinding":
    "Budget of one attempt of a service credential binding request: the binding list of targets with `serviceInstanceName` and the details (credentials) of one binding. Not in the Java version.",
  "cf.request.backoff":
    "Wait before retrying a failed Cloud Controller request (network error, timeout, 5xx), plus up to 50 % jitter.",
  "cf.request.rateLimit":
    "Maximum Cloud Controller requests per second, shared by all requests; 0 means unlimited.",
  "cf.request.maxBodySize":
    "Largest Cloud Controller or UAA answer body read; a 1,000-app page is about 5 MB. A longer body fails that request instead of filling the memory. A number of bytes or a size such as `128MB`.",
  "cf.watchdog.enabled": "Probe `GET /v3/info` regularly and count failures.",
  "cf.watchdog.timeout":
    "Budget of one watchdog probe; also of the unauthenticated `GET /` and `GET /v2/info` documents.",
  "cf.watchdog.rate": "Time between two watchdog probes.",
  "cf.watchdog.initialDelay": "Time before the first watchdog probe.",
  "cf.watchdog.restartCount":
    'Exit with code 161 ("restart me") once more probes than this have failed in total; unset never exits. Refused when `foundations[]` is configured: one unreachable foundation would end the serving of all.',
  "promregator.discovery.hostname":
    "Host written into the targets of `/discovery`: how Prometheus reaches Promregator. A host name or IP address only (IPv6 with or without brackets); a scheme, port or path is refused (they are `promregator.discovery.scheme` and `.port`). Unset: the `Host` header of the `/discovery` request.",
  "promregator.discovery.port":
    "Port written into the targets of `/discovery`; 0 takes it from the `Host` header (or 80/443 by scheme).",
  "promregator.discovery.scheme":
    "Value of the `__scheme__` label. Unset: `https` when `promregator.discovery.port` is 443 or the request came over TLS (or `X-Forwarded-Proto: https`), else `http`.",
  "promregator.discovery.auth": "`BASIC` protects `/discovery` with the inbound user.",
  "promregator.discovery.ownMetricsEndpoint":
    "Add a target for `/promregatorMetrics` to `/discovery`. Set `false` when several Promregators run behind one route.",
  "promregator.discovery.file":
    "Also write the discovery document to this file, for `file_sd_configs`; it is replaced atomically on every change.",
  "promregator.discoverer.timeout":
    "How long the own-metrics series of an instance that is no longer discovered are kept.",
  "promregator.endpoint.auth": "`BASIC` protects `/singleTargetMetrics/...` with the inbound user.",
  "promregator.scraping.maxProcessingTime":
    "Budget of one scrape: token, connect, response and body; lowered to just under Prometheus' scrape timeout when Prometheus sends it. A scrape still running then fails.",
  "promregator.scraping.connectionTimeout":
    "Budget for connecting to a target; reduced to `maxProcessingTime` when larger.",
  "promregator.scraping.socketReadTimeout":
    "Longest silence while waiting for a target's response or body; reduced to `maxProcessingTime` when larger.",
  "promregator.scraping.threads":
    "Accepted but without effect: scrapes do not wait for threads here; see `promregator.scraping.maxConcurrent`.",
  "promregator.scraping.proxy.host": "HTTP proxy for all scrapes: host name or IP, no scheme.",
  "promregator.scraping.proxy.port": "Port of `promregator.scraping.proxy.host`; required with it.",
  "promregator.scraping.maxBodySize":
    "A target answer larger than this fails the scrape. A number of bytes or a size such as `64MB`.",
  "promregator.scraping.failureMode":
    "`strict`: a failed scrape is answered 502 (504 on timeout) with a one-line reason, also as the HTTP reason phrase, so Prometheus marks the target down and shows why. `compatible`: 200 with `promregator_up 0`, like the Java version.",
  "promregator.scraping.maxConcurrent":
    "Scrapes in flight at most; beyond it `/singleTargetMetrics` answers 503 with `Retry-After`.",
  "promregator.metrics.auth": "`BASIC` protects `/promregatorMetrics` with the inbound user.",
  "promregator.metrics.requestLatency":
    "Record `promregator_request_latency_milliseconds` (values in seconds, as in the Java version); the family exists only when this is on.",
  "promregator.metrics.internal":
    "Add internal metrics: Cloud Controller request latency, counts and rate-limit waits, and cache statistics.",
  "promregator.metrics.labelNamePrefix":
    "Prefix for the five per-instance label names of the own metrics (`target_` gives `target_app_name`, ...). Each name it gives must be a Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`); any other prefix is refused at start-up.",
  "promregator.cache.invalidate.auth": "`BASIC` protects `/cache/invalidate` with the inbound user.",
  "promregator.authentication.basic.username": "User for inbound `BASIC` authentication.",
  "promregator.authentication.basic.password":
    "Password for inbound `BASIC` authentication. Required as soon as an endpoint uses `BASIC`: Promregator refuses to start without one.",
  "promregator.defaultInternalRoutePort":
    "Port for apps reached on an internal route when the target sets no `internalRoutePort`.",
  "promregator.simulation.enabled":
    "Run without Cloud Foundry, like the Java version's simulation mode: the built-in simulator serves org `simorg`, space `simspace` and apps `testapp1`...`testapp100`, and the configured targets are resolved and scraped against it (over plain HTTP). `cf.*` is then not required, and the `cf:` block, if given, is not used. With `foundations[]` it stops start-up: the simulated landscape would replace every configured foundation without a word.",
  "promregator.simulation.instances": "Instances per simulated app (see `promregator.simulation.enabled`).",
  "promregator.serviceBindings.credentials":
    "What the credentials of a service binding may decide for targets with `serviceInstanceName` (not in the Java version): `ignore` (the credentials are not read, one request per binding less; use it when Promregator's user is a Space Auditor or Global Auditor, who may not read them), `path` (a `path` in the credentials replaces the target's), `path-and-basic-auth` (also `username` and `password`, sent with HTTP Basic to that app instead of the target's authenticator). Credentials are never logged nor shown.",
  "server.port":
    "Port Promregator listens on; 0 picks a free one. When neither the file nor `SERVER_PORT` sets it, the `PORT` variable that Cloud Foundry and container platforms provide is used.",
  "server.address": "Address Promregator listens on.",
  "server.tls.cert": "PEM certificate (chain) file; with `server.tls.key`, Promregator serves HTTPS.",
  "server.tls.key": "PEM private key file for `server.tls.cert`.",
  "logging.level.org.cloudfoundry.promregator":
    "Log level: `trace`, `debug`, `info`, `warn`, `error`, `fatal` or `off` (Spring's upper-case names work too). Wins over `logging.level.root`. Other loggers: see below.",
  "logging.level.root": "Log level when `logging.level.org.cloudfoundry.promregator` is not set.",
  "encrypt.key":
    "Key for `'{cipher}...'` values; usually `ENCRYPT_KEY`, or `ENCRYPT_KEY_FILE` naming a file in `/run/secrets`.",
  "encrypt.salt": "Salt (hex) of the key derivation for `'{cipher}...'` values.",
};

const TARGET_MEANINGS: Readonly<Record<string, string>> = {
  orgName:
    "Organisation by name (case-insensitive). With neither `orgName` nor `orgRegex`: every organisation.",
  orgRegex: "Organisations whose whole name matches (case-insensitive); wins over `orgName`.",
  spaceName: "Space by name (case-insensitive). With neither `spaceName` nor `spaceRegex`: every space.",
  spaceRegex: "Spaces whose whole name matches (case-insensitive); wins over `spaceName`.",
  applicationName:
    "App by name (case-insensitive). With neither `applicationName` nor `applicationRegex`: every app. Only started apps are scraped.",
  applicationRegex: "Apps whose whole name matches (case-insensitive); wins over `applicationName`.",
  path: "Metrics path on the app; the leading `/` is optional.",
  protocol: "`http` or `https` (lower case) for the route URL. Internal routes always use `http`.",
  authenticatorId: "Id of a `promregator.targetAuthenticators` entry used for these apps; must exist.",
  preferredRouteRegex:
    "List of patterns; the first pattern that matches a whole route URL (case-sensitive) picks the route, else the first route. A single string (in the file, `PROMREGATOR_TARGETS_<n>_PREFERREDROUTEREGEX` or JSON) is split at commas and each part trimmed, as Spring does for the Java version's `List<String>`: write a pattern containing a comma, like `a{1,3}`, as a YAML list item.",
  internalRoutePort: "Port for apps on an internal route; 0 uses `promregator.defaultInternalRoutePort`.",
  kubernetesAnnotations:
    'Only apps annotated `prometheus.io/scrape: "true"`; `prometheus.io/path` then replaces `path`.',
  overrideRouteAndPath:
    "`host[/prefix]` used instead of the app's route (e.g. a gateway); `path` is still appended, as in the Java version (`gw.example.org/app1` with the default `path` scrapes `gw.example.org/app1/metrics`); no `X-CF-APP-INSTANCE` header is sent.",
  foundation:
    "Name of the foundation whose Cloud Controller is asked for these apps: `cf.name` or a `foundations[].name`, compared ignoring case (as the names' uniqueness is); unset: the `cf:` block. A name that is not configured stops start-up.",
  serviceInstanceName:
    "Only the apps of this target that are bound to a user-provided service instance of this exact name (by which app teams opt in; bindings to managed instances of that name do not count); see `promregator.serviceBindings.credentials` and docs/service-bindings.md. Not in the Java version.",
};

/** Meanings of the foundation fields that are not `cf.*` keys; each other field means what its `cf.*` key means. */
const FOUNDATION_MEANINGS: Readonly<Record<string, string>> = {
  name: "Name of the foundation, unique (ignoring case) among `cf.name` and all `foundations[].name` (letters, digits, `_`, `.`, `-`). Required.",
  "scraping.proxy.host":
    "HTTP proxy for scrapes of this foundation's apps; unset: `promregator.scraping.proxy.host` (and its port).",
  "scraping.proxy.port": "Port of `scraping.proxy.host`; required with it.",
  "watchdog.restartCount":
    "Refused: with several foundations, one foundation's watchdog exiting (code 161) would end the serving and last good discovery of every other; `watchdog.enabled` alone probes and counts failures.",
  defaultInternalRoutePort:
    "Port for this foundation's apps on an internal route when the target sets no `internalRoutePort`; unset: `promregator.defaultInternalRoutePort`.",
};

const AUTHENTICATOR_MEANINGS: Readonly<Record<string, string>> = {
  id: "Name that targets use in `authenticatorId` (only in `promregator.targetAuthenticators`).",
  type: "`none`, `basic`, `OAuth2XSUAABasic` or `OAuth2XSUAACertificate` (case-insensitive).",
  "basic.username": "User sent with HTTP Basic.",
  "basic.password": "Password sent with HTTP Basic.",
  "oauth2xsuaaBasic.tokenServiceURL": "Token endpoint, including `/oauth/token`.",
  "oauth2xsuaaBasic.client_id": "OAuth2 client id (client-credentials grant).",
  "oauth2xsuaaBasic.client_secret": "Its secret, sent as `token_endpoint_auth_method` says.",
  "oauth2xsuaaBasic.token_endpoint_auth_method":
    "`client_secret_basic` (HTTP Basic), `client_secret_post` (in the form body) or `auto` (default: Basic first, the other once on `invalid_client`, then whichever worked; after both were refused once, Basic alone).",
  "oauth2xsuaaBasic.scopes": "Scopes to ask for, separated by commas or spaces (a YAML list works too).",
  "oauth2xsuaaCertificate.tokenServiceCertURL":
    "Token endpoint for the mutual-TLS login, including `/oauth/token`.",
  "oauth2xsuaaCertificate.client_id": "OAuth2 client id.",
  "oauth2xsuaaCertificate.client_certificates": "Client certificate chain, PEM text.",
  "oauth2xsuaaCertificate.client_key": "Private key of the client certificate, PEM text.",
  "oauth2xsuaaCertificate.scopes": "Scopes to ask for, separated by commas or spaces.",
};

/** Sections of the reference, in order; a key goes into the first whose prefix it starts with. */
const SECTIONS: readonly { title: string; prefixes: readonly string[] }[] = [
  {
    title: "Cloud Foundry connection (`cf.*`)",
    prefixes: [
      "cf.name",
      "cf.api_host",
      "cf.username",
      "cf.password",
      "cf.client",
      "cf.token_endpoint_auth_method",
      "cf.skipSslValidation",
      "cf.proxy",
      "cf.connectionPool",
    ],
  },
  { title: "Cloud Controller caches (`cf.cache.*`)", prefixes: ["cf.cache."] },
  { title: "Cloud Controller requests (`cf.request.*`)", prefixes: ["cf.request."] },
  { title: "Cloud Controller watchdog (`cf.watchdog.*`)", prefixes: ["cf.watchdog."] },
  {
    title: "Discovery (`promregator.discovery.*`, `promregator.discoverer.*`)",
    prefixes: ["promregator.discover"],
  },
  {
    title: "Targets by service binding (`promregator.serviceBindings.*`)",
    prefixes: ["promregator.serviceBindings."],
  },
  {
    title: "Scraping (`promregator.scraping.*`)",
    prefixes: ["promregator.scraping.", "promregator.defaultInternalRoutePort"],
  },
  {
    title: "Inbound authentication",
    prefixes: [
      "promregator.endpoint.auth",
      "promregator.cache.invalidate.auth",
      "promregator.authentication.",
    ],
  },
  { title: "Own metrics (`promregator.metrics.*`)", prefixes: ["promregator.metrics."] },
  { title: "Server and logging", prefixes: ["server.", "logging."] },
  { title: "Encrypted values (`encrypt.*`)", prefixes: ["encrypt."] },
  { title: "Simulation (`promregator.simulation.*`)", prefixes: ["promregator.simulation."] },
];

/** The one field set in the target used to read the target defaults; it has no default itself. */
const PROBE_FIELD = "orgName";

/** Where a key's effective default lives in Config when the path differs. */
const CONFIG_PATHS: Readonly<Record<string, string>> = {
  "logging.level.org.cloudfoundry.promregator": "logging.level",
  "logging.level.root": "logging.level",
};

function typeText(kind: TreeFieldKind, unit?: string): string {
  const withUnit = (text: string) => (unit ? `${text}, ${unit}` : text);
  switch (kind.type) {
    case "string":
      return "string";
    case "bool":
      return "boolean";
    case "list":
      return "list of strings";
    case "enum":
      return kind.values
        .filter((v) => v !== "warning")
        .map((v) => `\`${v}\``)
        .join(" \\| ");
    case "size":
      return "size";
    case "number":
      return withUnit(kind.min !== undefined ? `number ≥ ${kind.min}` : "number");
    case "int":
      if (kind.min === 0 && kind.max === 65535) return "port";
      return withUnit(kind.min !== undefined ? `integer ≥ ${kind.min}` : "integer");
  }
}

function valueText(value: unknown, kind: TreeFieldKind): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.length === 0 ? "[]" : value.join(", ");
  if (value === "") return '""';
  if (kind.type === "size" && typeof value === "number" && value % 1024 ** 2 === 0) {
    return `${value / 1024 ** 2} MiB`;
  }
  return String(value as ScalarValue);
}

function at(root: unknown, path: string): unknown {
  let node = root;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function envName(path: string): string {
  return path.replace(/-/g, "").replace(/\./g, "_").toUpperCase();
}

/**
 * `foundations[]` fields: `name`, the scrape settings of FOUNDATION_MEANINGS, and the `cf.*` keys, which take
 * the key table's default (not the `cf:` block's value).
 */
function foundationFields(missing: string[]): KeyReference[] {
  const name: KeyReference = {
    key: "name",
    env: "FOUNDATIONS_0_NAME",
    type: "string",
    secret: false,
    meaning: FOUNDATION_MEANINGS.name,
  };
  const rows = FOUNDATION_KEYS.filter(({ key }) => key !== "cf.name").map(({ field, key }): KeyReference => {
    const scalar = SCALAR_KEYS.find((k) => k.path === key);
    const own = FOUNDATION_MEANINGS[field];
    if (!scalar || (own === undefined && !key.startsWith("cf."))) missing.push(`foundations[].${field}`);
    const inherited = !key.startsWith("cf.");
    return {
      key: field,
      env: `FOUNDATIONS_0_${envName(field)}`,
      type: typeText(scalar?.kind ?? { type: "string" }, UNITS.find(([pattern]) => pattern.test(key))?.[1]),
      default: inherited ? undefined : valueText(scalar?.default, scalar?.kind ?? { type: "string" }),
      secret: scalar?.secret === true,
      meaning: own ?? `As \`${key}\`, for this foundation.`,
    };
  });
  return [name, ...rows];
}

/** The reference, checked for completeness: throws when a key has no meaning or a meaning no key. */
export function configReference(): ConfigReference {
  // Effective defaults: an empty configuration, plus one target with only a name to see the target defaults.
  const { config } = loadConfig({
    text: `promregator:\n  targets:\n    - ${PROBE_FIELD}: o\n`,
    env: {},
    requireCf: false,
  });
  const effective = config as unknown;
  const target = config.promregator.targets[0] as unknown;
  const missing: string[] = [];
  const meaningOf = <T>(table: Readonly<Record<string, T>>, key: string, label: string): T | undefined => {
    const found = table[key];
    if (found === undefined) missing.push(label);
    return found;
  };

  const sections = SECTIONS.map((s) => ({ title: s.title, keys: [] as KeyReference[] }));
  for (const key of SCALAR_KEYS) {
    const meaning = meaningOf(MEANINGS, key.path, key.path) ?? "";
    const unit = UNITS.find(([pattern]) => pattern.test(key.path))?.[1];
    const fromConfig = at(effective, CONFIG_PATHS[key.path] ?? key.path);
    const usable = fromConfig !== undefined && fromConfig !== "" && typeof fromConfig !== "object";
    const section = SECTIONS.findIndex((s) => s.prefixes.some((p) => key.path.startsWith(p)));
    if (section < 0) missing.push(`section for ${key.path}`);
    sections[Math.max(0, section)].keys.push({
      key: key.path,
      env: envName(key.path),
      type: typeText(key.kind, unit),
      default: valueText(usable ? fromConfig : key.default, key.kind),
      secret: key.secret === true,
      meaning,
    });
  }
  const fields = (
    list: readonly TreeField[],
    table: Readonly<Record<string, string>>,
    tree: string,
    defaults?: unknown,
  ) =>
    list.map(
      (field): KeyReference => ({
        key: field.path,
        env: `${envName(tree)}_0_${envName(field.path)}`,
        type: typeText(field.kind),
        default:
          defaults === undefined || field.path === PROBE_FIELD
            ? undefined
            : valueText(at(defaults, field.path), field.kind),
        secret: field.secret === true,
        meaning: meaningOf(table, field.path, `${tree}[].${field.path}`) ?? "",
      }),
    );
  const reference: ConfigReference = {
    sections,
    targetFields: fields(TARGET_FIELDS, TARGET_MEANINGS, "promregator.targets", target),
    authenticatorFields: fields(
      AUTHENTICATOR_FIELDS,
      AUTHENTICATOR_MEANINGS,
      "promregator.targetAuthenticators",
    ),
    foundationFields: foundationFields(missing),
    aliases: ALIASES,
    ignored: IGNORED_KEYS,
    loggers: JAVA_LOGGER_MODULES,
    maxFileMiB: MAX_CONFIG_BYTES / 1024 ** 2,
  };
  const known = new Set(SCALAR_KEYS.map((k) => k.path));
  for (const key of Object.keys(MEANINGS)) if (!known.has(key)) missing.push(`key for the meaning of ${key}`);
  if (missing.length > 0) throw new Error(`the configuration reference is incomplete: ${missing.join(", ")}`);
  return reference;
}
