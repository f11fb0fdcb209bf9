/**
 * `promregator.authenticator` (global) and `promregator.targetAuthenticators[]`. Types match
 * case-insensitively; an unknown type is skipped with a warning as in the Java version (its id still counts
 * as existing, so a target using it falls back to the global authenticator).
 */
import { CLIENT_AUTH_SETTINGS } from "../oauth2/index.js";
import { ConfigError } from "./errors.js";
import type { PropertySource } from "./properties.js";
import { TREES, type Tree } from "./schema.js";
import { type TreeItem, treeItems } from "./tree-items.js";
import type { AuthenticatorConfig, AuthenticatorType } from "./types.js";

const TYPES: Record<string, AuthenticatorType> = {
  none: "none",
  null: "none",
  basic: "basic",
  oauth2xsuaabasic: "OAuth2XSUAABasic",
  oauth2xsuaacertificate: "OAuth2XSUAACertificate",
};

export interface BoundAuthenticators {
  authenticator?: AuthenticatorConfig;
  targetAuthenticators: AuthenticatorConfig[];
  /** Every configured id, including those of skipped authenticators. */
  ids: Set<string>;
}

function tree(path: string): Tree {
  const found = TREES.find((t) => t.path === path);
  if (!found) throw new Error(`internal: tree ${path} missing`);
  return found;
}

export function bindAuthenticators(source: PropertySource, warnings: string[]): BoundAuthenticators {
  const [globalItem] = treeItems(source, tree("promregator.authenticator"), warnings);
  const result: BoundAuthenticators = { targetAuthenticators: [], ids: new Set() };
  if (globalItem) {
    if (globalItem.str("id") !== undefined) {
      warnings.push(`${globalItem.key("id")}: the global authenticator has no id; ignored`);
    }
    result.authenticator = bindAuthenticator(globalItem, warnings, undefined);
  }
  for (const item of treeItems(source, tree("promregator.targetAuthenticators"), warnings)) {
    const id = item.str("id");
    if (id === undefined) {
      warnings.push(`${item.base} has no id, so no target can use it; ignored`);
      continue;
    }
    const bound = bindAuthenticator(item, warnings, result.authenticator ?? null);
    if (result.ids.has(id)) {
      // The Java version puts each entry into a map by id, so the last one that it can build wins.
      const earlier = result.targetAuthenticators.findIndex((entry) => entry.id === id);
      warnings.push(
        `${item.key("id")}: id "${id}" is used twice; ${bound ? "this later entry" : "the earlier entry (this one is skipped)"} is used, as in the Java version`,
      );
      if (bound && earlier >= 0) result.targetAuthenticators[earlier] = { id, ...bound };
      else if (bound) result.targetAuthenticators.push({ id, ...bound });
      continue;
    }
    result.ids.add(id);
    if (bound) result.targetAuthenticators.push({ id, ...bound });
  }
  return result;
}

/**
 * `fallback`: for a target authenticator, the global authenticator that targets using a skipped entry get
 * instead (null when there is none); undefined for the global authenticator itself.
 */
function bindAuthenticator(
  item: TreeItem,
  warnings: string[],
  fallback: AuthenticatorConfig | null | undefined,
): AuthenticatorConfig | undefined {
  const written = item.str("type");
  const type = written === undefined ? undefined : TYPES[written.toLowerCase()];
  if (type === undefined) {
    const what = written === undefined ? "has no type" : `has the unknown type "${written}"`;
    warnings.push(
      `${item.base} ${what} (expected none, basic, OAuth2XSUAABasic or OAuth2XSUAACertificate); it is skipped${skippedMeans(fallback)}`,
    );
    return undefined;
  }
  const auth: AuthenticatorConfig = { type };
  if (type === "basic") {
    // Missing credentials are allowed, as in the Java version (which then sends "null:null").
    auth.basic = { username: item.str("basic.username"), password: item.str("basic.password") };
  } else if (type === "OAuth2XSUAABasic") {
    auth.oauth2xsuaaBasic = {
      tokenServiceURL: requireUrl(item, "oauth2xsuaaBasic.tokenServiceURL"),
      client_id: required(item, "oauth2xsuaaBasic.client_id"),
      client_secret: required(item, "oauth2xsuaaBasic.client_secret"),
      scopes: scopes(item, "oauth2xsuaaBasic.scopes"),
      token_endpoint_auth_method: item.oneOf(
        "oauth2xsuaaBasic.token_endpoint_auth_method",
        CLIENT_AUTH_SETTINGS,
      ),
    };
  } else if (type === "OAuth2XSUAACertificate") {
    auth.oauth2xsuaaCertificate = {
      tokenServiceCertURL: requireUrl(item, "oauth2xsuaaCertificate.tokenServiceCertURL"),
      client_id: required(item, "oauth2xsuaaCertificate.client_id"),
      client_certificates: required(item, "oauth2xsuaaCertificate.client_certificates"),
      client_key: required(item, "oauth2xsuaaCertificate.client_key"),
      scopes: scopes(item, "oauth2xsuaaCertificate.scopes"),
    };
  }
  return auth;
}

/** What a skipped entry means for the targets that name it, as the Java version behaves. */
function skippedMeans(fallback: AuthenticatorConfig | null | undefined): string {
  if (fallback === undefined) return ", so targets are scraped without credentials";
  if (fallback === null || fallback.type === "none") {
    return ", so targets using it are scraped without credentials; write `type: none` to say so";
  }
  return `, so targets using it fall back to the global authenticator promregator.authenticator (type ${fallback.type}) and its credentials are sent to them; write \`type: none\` to send none`;
}

function required(item: TreeItem, field: string): string {
  const value = item.str(field);
  if (value === undefined) {
    throw new ConfigError(`is required for this authenticator type`, item.key(field), item.origin(field));
  }
  return value;
}

function requireUrl(item: TreeItem, field: string): string {
  const value = required(item, field);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new ConfigError(
      "must be an http(s) URL of the token endpoint (including /oauth/token)",
      item.key(field),
      item.origin(field),
    );
  }
  return value;
}

/** Scopes as written, or list entries joined with commas (as Spring binds a list to a string). */
function scopes(item: TreeItem, field: string): string | undefined {
  const values = item.list(field).map((e) => e.value);
  return values.length > 0 ? values.join(",") : undefined;
}
