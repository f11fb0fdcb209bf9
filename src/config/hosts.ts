/** `cf.api_host` and proxy hosts. */

/**
 * The Cloud Controller base URL for `cf.api_host`: a bare host means https on 443, `host:port` https on that
 * port; a full http(s) URL (the Java version allowed only a host) is kept without its trailing slash.
 * Throws an Error whose message explains the problem (without echoing credentials).
 */
export function apiUrlFromHost(value: string): string {
  const text = value.trim();
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

/** A proxy host is a host name or IP address only; the port is a key of its own. */
export function checkProxyHost(value: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error(`must be a host name or IP address without a scheme, got "${value}"`);
  }
  if (!/^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/.test(value)) {
    throw new Error(`must be a host name or IP address, got "${value}"`);
  }
}
