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

/** Secrets shorter than this are not searched for: replacing every "ab" of a text would garble it. */
const MIN_SECRET_CHARS = 3;

/** The most characters one character of a secret takes in an echo (`\uD83D\uDE00`, `%F0%9F%98%80`). */
const MAX_ENCODED_CHAR = 12;

/**
 * RFC 3986 §2.3 unreserved characters: no encoder percent-encodes them ("should not be created by URI
 * producers"), and neither JSON nor HTML escapes them; tokens are made of them, so their patterns stay plain.
 */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** The HTML named character references of the characters HTML escapes. */
const HTML_NAMED: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** A hex number whose letters match in either case: encoders differ (`%2b`, `%2B`; RFC 3986 §2.1). */
function hexCaseless(n: number, width: number): string {
  return n
    .toString(16)
    .padStart(width, "0")
    .replace(/[a-f]/g, (c) => `[${c}${c.toUpperCase()}]`);
}

/**
 * One character of a secret as an echo may show it: itself; its UTF-8 bytes percent-encoded (RFC 3986 §2.1),
 * and `+` for a space, as application/x-www-form-urlencoded sends a password or client secret in a UAA body
 * (RFC 6749 Appendix B); JSON-escaped (RFC 8259 §7); as an HTML character reference (an error page).
 */
function charPattern(ch: string): string {
  const plain = escapeRegExp(ch);
  if (UNRESERVED.test(ch)) return plain;
  const code = ch.codePointAt(0) ?? 0;
  const units = Array.from({ length: ch.length }, (_, i) => ch.charCodeAt(i));
  const forms = [
    plain,
    [...Buffer.from(ch, "utf8")].map((b) => `%${hexCaseless(b, 2)}`).join(""),
    units.map((u) => `\\\\u${hexCaseless(u, 4)}`).join(""),
    `&#0*${code};`,
    `&#[xX]0*${hexCaseless(code, 1)};`,
  ];
  if (ch === " ") forms.push("\\+");
  if (ch === '"' || ch === "\\" || ch === "/") forms.push(`\\\\${plain}`);
  const named = HTML_NAMED[ch];
  if (named) forms.push(named);
  return `(?:${forms.join("|")})`;
}

/** Finds the secrets it was made of, in any of the forms of charPattern. */
interface SecretMatcher {
  /** Undefined when there is no secret to look for. */
  readonly pattern?: RegExp;
  /** The longest text one match can span: how far past a cut a secret may reach. */
  readonly reach: number;
}

const NO_SECRETS: SecretMatcher = { reach: 0 };

function matcherFor(secrets: readonly string[]): SecretMatcher {
  const usable = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_CHARS);
  if (usable.length === 0) return NO_SECRETS;
  // Longest first: where one secret contains another, the whole of the longer one goes.
  usable.sort((a, b) => b.length - a.length);
  const source = usable.map((s) => Array.from(s, charPattern).join("")).join("|");
  return { pattern: new RegExp(source, "g"), reach: (usable[0]?.length ?? 0) * MAX_ENCODED_CHAR };
}

/**
 * The secrets the process holds (the CF password or client secret, the access and refresh tokens UAA issued;
 * one registry per Cloud Controller client), each registered where it is obtained, so that every excerpt of a foreign answer is redacted of them: an
 * error page may echo the request, and a token of UAA's `token_format=opaque` or a password has no shape
 * the patterns of redactSecrets could know. They are found plain, percent- and form-encoded, JSON- and
 * HTML-escaped (charPattern); an encoding of a whole value (HTTP Basic's base64) is registered as a value.
 */
export class KnownSecrets {
  private readonly held = new Map<string, readonly string[]>();
  private matcher?: SecretMatcher;

  /**
   * `values` are what `slot` holds from now on, replacing what it held before: a slot per kind of secret
   * (the credentials, the tokens), so that a renewed token replaces old ones instead of piling up.
   */
  hold(slot: string, values: readonly (string | undefined)[]): void {
    const kept = values.filter((v): v is string => v !== undefined && v.length >= MIN_SECRET_CHARS);
    if (kept.length > 0) this.held.set(slot, kept);
    else this.held.delete(slot);
    this.matcher = undefined;
  }

  /** Every secret held, in every slot. */
  values(): string[] {
    return [...this.held.values()].flat();
  }

  /** The matcher of what is held, built once per change (a token is renewed every few minutes at most). */
  match(): SecretMatcher {
    this.matcher ??= matcherFor(this.values());
    return this.matcher;
  }
}

/** Secrets to redact: a registry, or a few values at hand (a scrape authenticator's client secret). */
export type Secrets = KnownSecrets | readonly string[];

function matcherOf(secrets: Secrets): SecretMatcher {
  return secrets instanceof KnownSecrets ? secrets.match() : matcherFor(secrets);
}

/** The credentials that have a shape of their own: see redactSecrets. */
function redactShapes(text: string): string {
  return text
    .replace(AUTHORIZATION_HEADER, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
    .replace(BEARER, (_m, word: string, space: string) => `${word}${space}${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(SECRET_FIELD, (_m, name: string, _q, sep: string, value: string) => {
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : "";
      return `${name}${sep}${quote}${REDACTED}${quote}`;
    });
}

/**
 * Replaces the known secrets (KnownSecrets, or values such as the configured password, 3+ characters, in
 * their encodings), bearer tokens, JWT-shaped strings, Authorization header values and the values of
 * `access_token`, `refresh_token`, `id_token`, `client_secret` and `password` fields (JSON, form-encoded or
 * header-like) with `[redacted]`.
 */
export function redactSecrets(text: string, knownSecrets: Secrets = []): string {
  const { pattern } = matcherOf(knownSecrets);
  return redactShapes(pattern ? text.replace(pattern, REDACTED) : text);
}

/** Enough of a long body to find what the excerpt shows plus a token that starts inside it. */
const SCAN_FACTOR = 4;
const SCAN_EXTRA = 4096;

/**
 * Where the scanned start of a body ends: at `window`, or at the end of a known secret that crosses it, so
 * that no part of one is left behind by the cut.
 */
function scanEnd(body: string, window: number, matcher: SecretMatcher): number {
  let end = Math.min(window, body.length);
  if (!matcher.pattern || end === body.length) return end;
  for (const m of body.slice(0, window + matcher.reach).matchAll(matcher.pattern)) {
    if (m.index >= end) break;
    end = Math.max(end, m.index + m[0].length);
  }
  return end;
}

/**
 * One line of at most `maxChars` characters from a foreign body: credentials redacted first (so a cut never
 * leaves half a token behind), whitespace collapsed. Only the start of a long body is read.
 */
export function excerpt(body: string, maxChars: number, knownSecrets: Secrets = []): string {
  const matcher = matcherOf(knownSecrets);
  const end = scanEnd(body, maxChars * SCAN_FACTOR + SCAN_EXTRA, matcher);
  let head = body.slice(0, end);
  if (matcher.pattern) head = head.replace(matcher.pattern, REDACTED);
  // A token cut by the scan window no longer looks like one: drop the cut word.
  if (end < body.length) head = head.replace(/[A-Za-z0-9\-._~+/=]+$/, "");
  const line = redactShapes(head).replace(/\s+/g, " ").trim();
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
