/** `cf.api_host` and proxy hosts. */

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
