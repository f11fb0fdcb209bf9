import type { BindingCredentialUse } from "../config/index.js";
import type { ScrapeCredential } from "./types.js";

/** What one binding's credentials decide for its app, or why they cannot be used. */
export type BindingAccess =
  | { ok: true; path?: string; credential?: ScrapeCredential }
  | { ok: false; problem: string };

/** Longest `path` accepted; a metrics path is short, anything longer is a mistake. */
const MAX_PATH_LENGTH = 1024;

/**
 * HTTP Basic credentials from a service binding. The secret stays in a private field: serialising or
 * inspecting the object (a log line, /status.json, a debugger) shows a placeholder, never the values.
 */
class BasicCredential implements ScrapeCredential {
  readonly #header: string;

  constructor(
    readonly label: string,
    username: string,
    password: string,
  ) {
    // RFC 7617: user-id ":" password, UTF-8, base64.
    this.#header = `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
  }

  authorization(): string {
    return this.#header;
  }

  equals(other: ScrapeCredential | undefined): boolean {
    return other !== undefined && other.authorization() === this.#header;
  }

  toJSON(): string {
    return "(credentials hidden)";
  }

  toString(): string {
    return this.toJSON();
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toJSON();
  }
}

/**
 * Reads the credentials of a binding (the JSON the app sees in VCAP_SERVICES): `path` (a string starting with
 * "/") replaces the target's path; with `path-and-basic-auth`, `username` and `password` (strings) become HTTP
 * Basic credentials for the app. Other keys are ignored. Problems name the key and what is wrong with it,
 * never its value, since a value may be a secret put in the wrong place.
 */
export function readBindingCredentials(
  credentials: unknown,
  use: Exclude<BindingCredentialUse, "ignore">,
  label: string,
): BindingAccess {
  if (credentials === null || typeof credentials !== "object" || Array.isArray(credentials)) {
    return { ok: false, problem: `credentials are ${describe(credentials)}, not a JSON object` };
  }
  const c = credentials as Record<string, unknown>;
  const access: BindingAccess = { ok: true };
  if (c.path !== undefined) {
    const problem = pathProblem(c.path);
    if (problem) return { ok: false, problem: `credentials.path ${problem}` };
    access.path = c.path as string;
  }
  if (use !== "path-and-basic-auth" || (c.username === undefined && c.password === undefined)) {
    return access;
  }
  if (typeof c.username !== "string" || c.username === "") {
    return { ok: false, problem: `credentials.username is ${describe(c.username)}, not a non-empty string` };
  }
  if (c.username.includes(":")) {
    // RFC 7617 2: the user-id cannot contain a colon.
    return { ok: false, problem: "credentials.username contains a colon, which HTTP Basic cannot carry" };
  }
  if (typeof c.password !== "string") {
    return { ok: false, problem: `credentials.password is ${describe(c.password)}, not a string` };
  }
  // RFC 7617 2: user-id and password contain no control characters (a CR/LF could split the header).
  for (const key of ["username", "password"] as const) {
    if (/\p{Cc}/u.test(c[key] as string)) {
      return {
        ok: false,
        problem: `credentials.${key} contains a control character, which HTTP Basic forbids`,
      };
    }
  }
  access.credential = new BasicCredential(label, c.username, c.password);
  return access;
}

/**
 * Why a credentials `path` cannot be used, or undefined. The path is appended to the app's route (or the
 * target's overrideRouteAndPath), and URL parsers (WHATWG URL, which the scrape uses, and many servers) resolve
 * dot segments there, also percent-encoded ones ("%2e%2e") and, in http(s) URLs, with "\\" as "/": such a
 * path could leave that prefix and reach another path of the host. So dot segments, backslashes and
 * percent-encoded slashes are refused, not normalised (the problem names the key, never the value). A query ("?…") is kept as it is: parsers do not resolve
 * dot segments there, and it cannot change the path.
 */
function pathProblem(path: unknown): string | undefined {
  if (typeof path !== "string") return `is ${describe(path)}, not a string`;
  if (!path.startsWith("/")) return 'does not start with "/"';
  if (path.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters`;
  // Control characters, spaces and a fragment cannot be sent in a request line as they are.
  if (/[\s\p{Cc}#]/u.test(path)) return "contains a space, a control character or #";
  if (path.includes("\\")) return 'contains a backslash, which URL parsers and servers read as "/"';
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return 'contains a "%" that does not start a percent-encoded byte';
  if (/%(?:[01][0-9A-Fa-f]|7[Ff])/.test(path)) return "contains a percent-encoded control character";
  // A metrics path needs none of these, and each can hide a ".." from the checks below: overlong UTF-8
  // ("%C0%AE"), fullwidth dots (U+FF0E) that some servers fold to ".", and a double-encoded "%252e".
  if (/[^\x20-\x7e]/.test(path)) return "contains a character that is not ASCII";
  if (/%(?:[89A-Fa-f][0-9A-Fa-f]|25)/.test(path)) {
    return 'contains a percent-encoded byte of 0x80 or more or an encoded "%" (%25)';
  }
  const pathPart = path.split("?", 1)[0] as string;
  if (/%(?:2[Ff]|5[Cc])/.test(pathPart)) {
    return 'contains a percent-encoded "/" or "\\", which some servers decode before routing';
  }
  // Servlet containers drop path parameters (";…") before resolving dot segments: "..;x" is ".." there.
  const dotSegment = pathPart
    .split("/")
    .some((segment) => /^(?:\.|%2[Ee]){1,2}$/.test(segment.split(/;|%3[Bb]/, 1)[0] as string));
  if (dotSegment) return 'contains a "." or ".." segment, which would leave the path it is appended to';
  return undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
