/** `cf.api_host`, proxy hosts and the discovery host name. */
import { isIP } from "node:net";

/**
 * The Cloud Controller base URL for `cf.api_host`: a bare host means https on 443, `host:port` https on that
 * port; a full http(s) URL (the Java version allowed only a host) is kept without its trailing slash.
 * Throws an Error whose message explains the problem; a value with `@` (credentials) is never quoted.
 */
export function apiUrlFromHost(value: string): string {
  const text = value.trim();
  // Refused before any message that quotes the value: `user:password@` must never reach a log line.
  if (text.includes("@")) throw new Error("must not contain credentials; use cf.username/cf.password");
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  if (withScheme && !/^https?:\/\//i.test(text)) {
    throw new Error("only http:// and https:// URLs are supported");
  }
  if (!withScheme && !/^[A-Za-z0-9.-]+(:\d+)?$/.test(text)) {
    throw new Error(
      `must be a host name (api.cf.example.com), host:port or an http(s) URL without a path, got "${value}"`,
    );
  }
  let url: URL;
  try {
    url = new URL(withScheme ? text : `https://${text}`);
  } catch {
    throw new Error(`is not a valid host name or URL: "${value}"`);
  }
  if (url.username || url.password)
    throw new Error("must not contain credentials; use cf.username/cf.password");
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    throw new Error(`must not contain a path, query or fragment, got "${value}"`);
  }
  if (!url.hostname || url.hostname.startsWith(".") || url.hostname.endsWith("..")) {
    throw new Error(`has no valid host name, got "${value}"`);
  }
  return url.origin;
}

/**
 * A proxy host is a host name or IP address only; the port is a key of its own. Throws an Error whose message
 * quotes the value only when it holds no `@` (no credentials).
 */
export function checkProxyHost(value: string): void {
  // Proxy credentials are not supported; whatever is written before `@` is never quoted in a message.
  if (value.includes("@")) {
    throw new Error(
      "must be a host name or IP address without credentials (user:password@ is not supported)",
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error(`must be a host name or IP address without a scheme, got "${value}"`);
  }
  if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/.test(value)) {
    throw new Error(`must be a host name or IP address, got "${value}"`);
  }
}

/**
 * A host name of letters, digits, hyphens and underscores in dot-separated labels (no empty label, one trailing
 * dot allowed); it covers IPv4 addresses too. The rule of `promregator.discovery.hostname` and of the Host
 * header whose value /discovery writes into its targets when that key is unset.
 */
export const HOST_NAME =
  /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/;

/**
 * `promregator.discovery.hostname` is written into every `/discovery` target as `host:port`, so it must be a
 * host name or IP address only: the port is `promregator.discovery.port`, the scheme
 * `promregator.discovery.scheme`. An IPv6 address may be written with or without brackets (the discovery
 * document adds them when they are missing).
 */
export function checkDiscoveryHost(value: string): void {
  const port = "the port belongs in promregator.discovery.port";
  if (value.includes("@")) {
    throw new Error("must be a host name or IP address, without credentials (user@)");
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error(
      `must be a host name or IP address without a scheme (the scheme is promregator.discovery.scheme), got "${value}"`,
    );
  }
  if (/[/?#]/.test(value))
    throw new Error(`must be a host name or IP address without a path, got "${value}"`);
  const bracketed = /^\[(.*)\](:\d*)?$/.exec(value);
  if (bracketed) {
    if (bracketed[2] !== undefined) throw new Error(`must not contain a port (${port}), got "${value}"`);
    if (isIP(bracketed[1]) !== 6) throw new Error(`is not a valid IPv6 address in brackets, got "${value}"`);
    return;
  }
  if (value.includes(":")) {
    if (isIP(value) === 6) return;
    const hostPort = /^[^:]+:\d*$/.test(value);
    throw new Error(
      hostPort
        ? `must not contain a port (${port}), got "${value}"`
        : `must be a host name or IP address, got "${value}"`,
    );
  }
  if (isIP(value) === 4) return;
  if (!HOST_NAME.test(value)) {
    throw new Error(`must be a host name or IP address, got "${value}"`);
  }
}
