/**
 * Redaction of credentials in text that came from elsewhere (Cloud Controller, UAA, load balancers, scrape
 * targets) before it is logged or shown. Error pages and error bodies may echo the request, so a live token or
 * password can ride along in what looks like a harmless excerpt.
 */

/** What replaces a redacted value. */
export const REDACTED = "[redacted]";

/** Names whose values are secrets, in JSON (`"password":"x"`), forms (`password=x`) and headers (`password: x`). */
const SECRET_NAMES = "access_token|refresh_token|id_token|client_secret|password|passwd";

/**
 * An `Authorization` (or `Proxy-Authorization`) header, echoed as `name: value` or `name=value`, JSON-quoted
 * or not: its whole value up to the end of the line, a quote or a markup character.
 */
const AUTHORIZATION_HEADER = /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)([^\r\n"'<>]*)/gi;

/** `bearer <token>` anywhere (RFC 6750 §2.1 b64token); 8+ characters so `Bearer realm=` stays readable. */
const BEARER = /\b(bearer)(\s+)[A-Za-z0-9\-._~+/]{8,}=*/gi;

/** JWT-shaped: three base64url segments, the header starting with `{"` (base64 `eyJ`) (RFC 7519 §3). */
const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** `name` then `:` or `=` then a JSON string, a quoted string or a bare word (form value, header value). */
const SECRET_FIELD = new RegExp(
  `(?<![A-Za-z0-9])((["']?)(?:${SECRET_NAMES})\\2)(\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|[^\\s&,;"'<>]+)`,
  "gi",
);

/**
 * Replaces bearer tokens, JWT-shaped strings, Authorization header values and the values of `access_token`,
 * `refresh_token`, `id_token`, `client_secret` and `password` fields (JSON, form-encoded or header-like) with
 * `[redacted]`. `knownSecrets` (e.g. the configured password) are replaced wherever they occur (3+ chars).
 */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (secret.length >= 3) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(AUTHORIZATION_HEADER, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
    .replace(BEARER, (_m, word: string, space: string) => `${word}${space}${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(SECRET_FIELD, (_m, name: string, _q, sep: string, value: string) => {
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : "";
      return `${name}${sep}${quote}${REDACTED}${quote}`;
    });
}

/** Enough of a long body to find what the excerpt shows plus a token that starts inside it. */
const SCAN_FACTOR = 4;
const SCAN_EXTRA = 4096;

/**
 * One line of at most `maxChars` characters from a foreign body: credentials redacted first (so a cut never
 * leaves half a token behind), whitespace collapsed. Only the start of a long body is read.
 */
export function excerpt(body: string, maxChars: number, knownSecrets: readonly string[] = []): string {
  let head = body.slice(0, maxChars * SCAN_FACTOR + SCAN_EXTRA);
  // A token cut by the scan window no longer looks like one: drop the cut word.
  if (head.length < body.length) head = head.replace(/[A-Za-z0-9\-._~+/=]+$/, "");
  const line = redactSecrets(head, knownSecrets).replace(/\s+/g, " ").trim();
  return line.length > maxChars ? `${line.slice(0, maxChars)}...` : line;
}

/**
 * A URL for display (status page, /status.json, check-config): every query value replaced by `***`
 * (`/metrics?token=***`), since a binding's `credentials.path` may carry a secret there. A parameter without `=`
 * is masked whole. The rest of the URL is kept as it is; the scrape itself sends the real query.
 */
export function maskQueryValues(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const hash = url.indexOf("#", q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const masked = query
    .split("&")
    .map((part) => {
      if (part === "") return part;
      const eq = part.indexOf("=");
      return eq < 0 ? "***" : `${part.slice(0, eq)}=***`;
    })
    .join("&");
  return `${url.slice(0, q)}?${masked}`;
}
