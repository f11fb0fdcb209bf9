import { createHash } from "node:crypto";
import { dirname, resolve } from "node:path";
import type { SecureVersion, TLSSocket } from "node:tls";
import bcrypt from "bcryptjs";
import { parse } from "yaml";
import { ConfigError, readGuardedFile } from "../config/index.js";
import { errorMessage } from "../errors.js";
import type { InboundRequest } from "../http-exchange.js";

/** Go's tls.ClientAuthType names, as the exporter-toolkit file uses them. */
export const CLIENT_AUTH_TYPES = [
  "NoClientCert",
  "RequestClientCert",
  "RequireAnyClientCert",
  "VerifyClientCertIfGiven",
  "RequireAndVerifyClientCert",
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS: Record<string, SecureVersion> = {
  TLS10: "TLSv1",
  TLS11: "TLSv1.1",
  TLS12: "TLSv1.2",
  TLS13: "TLSv1.3",
};

export interface WebTls {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
  clientAuth: ClientAuthType;
  allowedSans: string[];
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
}

/**
 * `--web.config.file` in the Prometheus exporter-toolkit format (docs/web-configuration.md of
 * prometheus/exporter-toolkit): `tls_server_config`, `http_server_config.headers`, `basic_auth_users` (bcrypt).
 */
export interface WebConfig {
  file: string;
  tls?: WebTls;
  /** Added to every answer. */
  headers: Record<string, string>;
  /** user -> bcrypt hash; when not empty, every request needs one of these users. */
  basicAuthUsers: Map<string, string>;
  /** Keys of the format that are read but have no effect here, for a warning. */
  ignored: string[];
}

const IGNORED_TLS_KEYS = ["cipher_suites", "curve_preferences", "prefer_server_cipher_suites"];
/**
 * The headers the format may set, with the values it allows where they are an enumeration (compared exactly, as
 * exporter-toolkit's `validateHeaderConfig` does); undefined: any value.
 */
const HEADER_VALUES: Record<string, readonly string[] | undefined> = {
  "Content-Security-Policy": undefined,
  "X-Frame-Options": ["deny", "sameorigin"],
  "X-Content-Type-Options": ["nosniff"],
  "X-XSS-Protection": undefined,
  "Strict-Transport-Security": undefined,
};
/** Keys whose presence turns TLS on (exporter-toolkit's `TLSConfig.IsEnabled`); without any, plain HTTP. */
const TLS_ENABLING_KEYS = [
  "cert",
  "cert_file",
  "key",
  "key_file",
  "client_ca",
  "client_ca_file",
  "client_auth_type",
];
/** Older name exporter-toolkit still accepts for RequireAnyClientCert. */
const LEGACY_CLIENT_AUTH: Record<string, ClientAuthType> = { RequireClientCert: "RequireAnyClientCert" };

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads and checks the file; throws a ConfigError naming the key and the file. Relative paths are from its folder. */
export function loadWebConfig(file: string): WebConfig {
  const fail = (key: string, message: string): never => {
    throw new ConfigError(`${message} (web configuration ${file})`, key);
  };
  const text = readGuardedFile(file, {
    key: "--web.config.file",
    what: "the web configuration file",
  }).toString("utf8");
  let root: unknown;
  try {
    root = parse(text) ?? {};
  } catch (error) {
    return fail("--web.config.file", `invalid YAML: ${errorMessage(error).split("\n")[0]}`);
  }
  if (!isTree(root)) return fail("--web.config.file", "expects a mapping at the top");
  const known = ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"];
  for (const key of Object.keys(root)) if (!known.includes(key)) fail(key, "unknown key");
  const ignored: string[] = root.rate_limit === undefined ? [] : ["rate_limit"];
  const base = dirname(resolve(file));

  const readPem = (key: string, inline: unknown, path: unknown): Buffer | undefined => {
    if (inline !== undefined && path !== undefined) fail(key, `set either ${key} or ${key}_file, not both`);
    if (typeof inline === "string") return Buffer.from(inline);
    if (path === undefined) return undefined;
    if (typeof path !== "string") return fail(`${key}_file`, "expects a file name");
    return readGuardedFile(resolve(base, path), { key: `${key}_file (web configuration ${file})` });
  };

  let tls: WebTls | undefined;
  const t = root.tls_server_config;
  if (t !== undefined && t !== null && !isTree(t)) return fail("tls_server_config", "expects a mapping");
  if (
    isTree(t) &&
    !TLS_ENABLING_KEYS.some((name) => t[name] !== undefined && t[name] !== null && t[name] !== "")
  ) {
    // As exporter-toolkit: no certificate, key, CA or client auth type means plain HTTP, whatever else is set.
    ignored.push(...Object.keys(t).map((name) => `tls_server_config.${name}`));
  } else if (isTree(t)) {
    const k = (name: string) => `tls_server_config.${name}`;
    const cert = readPem(k("cert"), t.cert, t.cert_file);
    const key = readPem(k("key"), t.key, t.key_file);
    if (!cert || !key)
      return fail(k("cert_file"), "TLS needs both a certificate and a key (cert_file, key_file)");
    const authName =
      t.client_auth_type === undefined || t.client_auth_type === "" ? "NoClientCert" : t.client_auth_type;
    const clientAuth =
      LEGACY_CLIENT_AUTH[String(authName)] ?? CLIENT_AUTH_TYPES.find((type) => type === authName);
    if (clientAuth === undefined) {
      return fail(k("client_auth_type"), `expects one of ${CLIENT_AUTH_TYPES.join(", ")}`);
    }
    const clientCa = readPem(k("client_ca"), t.client_ca, t.client_ca_file);
    // A CA that no client auth type uses would look like mutual TLS and check nothing (exporter-toolkit refuses it).
    if (clientCa && clientAuth === "NoClientCert") {
      fail(
        k("client_auth_type"),
        "a client CA is set but client_auth_type is NoClientCert, so no client certificate would be checked; set client_auth_type (e.g. RequireAndVerifyClientCert) or remove the CA",
      );
    }
    if (
      (clientAuth === "VerifyClientCertIfGiven" || clientAuth === "RequireAndVerifyClientCert") &&
      !clientCa
    ) {
      fail(k("client_ca_file"), `client_auth_type ${clientAuth} needs client_ca_file`);
    }
    const allowedSans = t.client_allowed_sans ?? [];
    if (!Array.isArray(allowedSans) || !allowedSans.every((s) => typeof s === "string")) {
      return fail(k("client_allowed_sans"), "expects a list of names");
    }
    if (
      allowedSans.length > 0 &&
      clientAuth !== "RequireAnyClientCert" &&
      clientAuth !== "RequireAndVerifyClientCert"
    ) {
      fail(
        k("client_allowed_sans"),
        "needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert",
      );
    }
    const version = (name: string, fallback: string): SecureVersion => {
      const value = String(t[name] ?? fallback);
      return TLS_VERSIONS[value] ?? fail(k(name), `expects one of ${Object.keys(TLS_VERSIONS).join(", ")}`);
    };
    const known = ["cert", "key", "client_ca", "cert_file", "key_file", "client_ca_file", "client_auth_type"];
    known.push("client_allowed_sans", "min_version", "max_version", ...IGNORED_TLS_KEYS);
    for (const name of Object.keys(t)) if (!known.includes(name)) fail(k(name), "unknown key");
    ignored.push(...IGNORED_TLS_KEYS.filter((name) => t[name] !== undefined).map(k));
    tls = {
      cert,
      key,
      ...(clientCa && { clientCa }),
      clientAuth,
      allowedSans: allowedSans as string[],
      minVersion: version("min_version", "TLS12"),
      maxVersion: version("max_version", "TLS13"),
    };
  }

  const headers: Record<string, string> = {};
  const h = root.http_server_config;
  if (h !== undefined && h !== null) {
    if (!isTree(h)) return fail("http_server_config", "expects a mapping");
    if (h.http2 !== undefined) ignored.push("http_server_config.http2");
    for (const [name, value] of Object.entries(isTree(h.headers) ? h.headers : {})) {
      if (!Object.hasOwn(HEADER_VALUES, name))
        fail(`http_server_config.headers.${name}`, "not a header this format sets");
      const allowed = HEADER_VALUES[name];
      if (allowed && !allowed.includes(value as string))
        fail(
          `http_server_config.headers.${name}`,
          `expects one of ${allowed.map((v) => `"${v}"`).join(", ")}`,
        );
      if (typeof value === "string" && value !== "") headers[name.toLowerCase()] = value;
    }
  }

  const basicAuthUsers = new Map<string, string>();
  const users = root.basic_auth_users;
  if (users !== undefined && users !== null) {
    if (!isTree(users)) return fail("basic_auth_users", "expects a mapping of user names to bcrypt hashes");
    for (const [user, hash] of Object.entries(users)) {
      if (typeof hash !== "string" || !/^\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash)) {
        fail(
          `basic_auth_users.${user}`,
          "expects a bcrypt hash, e.g. from `htpasswd -nBC 10 \"\" | tr -d ':\\n'`",
        );
      }
      basicAuthUsers.set(user, hash as string);
    }
  }
  return { file, ...(tls && { tls }), headers, basicAuthUsers, ignored };
}

/** https.createServer options for `tls_server_config` (Go's ClientAuthType mapped to Node's TLS options). */
export function httpsOptions(tls: WebTls) {
  const request = tls.clientAuth !== "NoClientCert";
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa && { ca: tls.clientCa }),
    requestCert: request,
    rejectUnauthorized: tls.clientAuth === "RequireAndVerifyClientCert",
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
  };
}

/**
 * Whether a TLS connection meets the client-certificate rules Node's options cannot express: a certificate at
 * all (RequireAny...), a verified one when given (VerifyClientCertIfGiven), an allowed SAN (exact match).
 */
export function acceptsClient(tls: WebTls, socket: TLSSocket): boolean {
  const cert = socket.getPeerCertificate();
  const present = cert !== null && Object.keys(cert).length > 0;
  if (tls.clientAuth === "RequireAnyClientCert" && !present) return false;
  if (tls.clientAuth === "VerifyClientCertIfGiven" && present && !socket.authorized) return false;
  if (tls.allowedSans.length === 0) return true;
  // "DNS:a.example, IP Address:10.0.0.1, email:x@y, URI:spiffe://..."
  const sans = (cert.subjectaltname ?? "").split(", ").map((entry) => entry.slice(entry.indexOf(":") + 1));
  return sans.some((san) => tls.allowedSans.includes(san));
}

/** Successful checks kept, so bcrypt (tens of ms per check by design) runs once per user and password. */
const MAX_CACHED = 1000;

/** Checks HTTP Basic credentials against `basic_auth_users`. */
export class WebUsers {
  private readonly verified = new Set<string>();

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  get enabled(): boolean {
    return this.users.size > 0;
  }

  async check(req: InboundRequest): Promise<boolean> {
    const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? "");
    if (!match) return false;
    const decoded = Buffer.from(match[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const hash = this.users.get(user);
    if (hash === undefined) return false;
    const key = createHash("sha256").update(`${hash}\n${decoded}`).digest("base64");
    if (this.verified.has(key)) return true;
    if (!(await bcrypt.compare(decoded.slice(colon + 1), hash))) return false;
    if (this.verified.size >= MAX_CACHED) this.verified.clear();
    this.verified.add(key);
    return true;
  }
}
