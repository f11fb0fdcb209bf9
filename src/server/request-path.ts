/**
 * The request target's path, read as written. A path that URL resolution would change ("//x", "/a/../b",
 * "/a\\b", which WHATWG URL reads as "/a/b", or encoded dots and slashes) is refused rather than resolved, so
 * that Promregator never routes a request to another endpoint than the path a proxy or firewall in front of
 * it saw. The Java version refused the same paths with 400 (Spring Security's StrictHttpFirewall).
 */

/** "//", "\", a "." or ".." segment, or "%2e", "%2f", "%5c" (encoded ".", "/", "\"). */
const NOT_NORMALIZED = /\/\/|\\|%2e|%2f|%5c|\/\.\.?(?:\/|$)/i;
/**
 * The scheme and authority of an absolute-form target (RFC 9112 3.2.2), as a client talking to a proxy sends; the
 * authority must not be empty (WHATWG URL reads "http:///a/b" as host "a", path "/b").
 */
const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+/i;
/** An absolute-form target without an authority. */
const NO_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/(?:[/?#]|$)/i;

export type RequestPath = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Reads `target` (node:http's req.url: origin form "/p?q", absolute form "http://h/p?q" or "*"). Returns the
 * URL to route by (on http://localhost), or why the path is refused.
 */
export function readRequestPath(target: string): RequestPath {
  // A request target has no fragment (RFC 9112 3.2); clients strip it, parsers disagree on what follows "#".
  if (target.includes("#")) return { ok: false, reason: "the request target has a fragment (#)" };
  if (NO_AUTHORITY.test(target)) return { ok: false, reason: "the absolute-form request target has no host" };
  const absolute = ABSOLUTE_FORM.exec(target);
  const pathAndQuery = absolute ? target.slice(absolute[0].length) || "/" : target;
  const end = pathAndQuery.indexOf("?");
  const path = end < 0 ? pathAndQuery : pathAndQuery.slice(0, end);
  if (NOT_NORMALIZED.test(path)) {
    return { ok: false, reason: `request path ${path.slice(0, 200)} is not in normal form` };
  }
  // "//" is refused above, so the path is never read as a host name.
  return { ok: true, url: new URL(pathAndQuery, "http://localhost") };
}
