/**
 * What the target sent: the scrape body's format from its Content-Type, decided as Prometheus decides it when
 * it scrapes the target itself, so that a body keeps its verdict through the proxy.
 *
 * Prometheus 2.42 (`textparse.New`) parses the header with Go's `mime.ParseMediaType`:
 * `application/openmetrics-text` selects the OpenMetrics parser whatever its version, and
 * `application/vnd.google.protobuf` the protobuf one; every other type, a header Go cannot parse, and no header
 * at all select the text (0.0.4) parser.
 */
import { OPENMETRICS_CONTENT_TYPE, TEXT_004_CONTENT_TYPE } from "../media-type.js";

export type BodyFormat = "text" | "openmetrics" | "protobuf";

export interface UpstreamContentType {
  format: BodyFormat;
  /** The Content-Type we answer with: the target's own header, unless a valid one lacked the version. */
  contentType: string;
}

/** Classifies the target's Content-Type (see the module's header); never refuses one. */
export function classifyUpstreamContentType(header: string | undefined): UpstreamContentType {
  if (header === undefined) return classify(header);
  // Targets send a handful of distinct headers: classify each once, not on every scrape.
  let known = classified.get(header);
  if (known === undefined) {
    if (classified.size >= MAX_CLASSIFIED) classified.clear();
    known = classify(header);
    classified.set(header, known);
  }
  return known;
}

/** Headers classified so far; bounded, since targets choose the text. */
const classified = new Map<string, UpstreamContentType>();
const MAX_CLASSIFIED = 256;

/** The Content-Type Prometheus 2.42 asks for first, for protobuf (and the one its parser is written for). */
const PROTOBUF_CONTENT_TYPE =
  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/** A type of each format that picks the same parser. */
const CANONICAL: Record<BodyFormat, string> = {
  text: TEXT_004_CONTENT_TYPE,
  openmetrics: OPENMETRICS_CONTENT_TYPE,
  protobuf: PROTOBUF_CONTENT_TYPE,
};

/** Bytes node:http will not write in a header value (RFC 9110 §5.5: controls other than HTAB). */
const UNWRITABLE = /[\x00-\x08\x0a-\x1f\x7f]/;

function classify(header: string | undefined): UpstreamContentType {
  // Java answers a missing header as text 0.0.4; Prometheus reads an empty one the same way.
  if (header === undefined || goTrimSpace(utf8(header)) === "")
    return { format: "text", contentType: TEXT_004_CONTENT_TYPE };
  const type = formatOf(header);
  // A control byte Go reads as space (a vertical tab) cannot be written back: a type of the same format is.
  return UNWRITABLE.test(type.contentType)
    ? { format: type.format, contentType: CANONICAL[type.format] }
    : type;
}

/** Node hands header values over as latin1, a character per byte; Go reads them as UTF-8. */
function utf8(latin1: string): string {
  return /[\x80-\xff]/.test(latin1) ? Buffer.from(latin1, "latin1").toString("utf8") : latin1;
}

function formatOf(header: string): UpstreamContentType {
  const media = parseGoMediaType(utf8(header));
  // A header Go cannot parse: Prometheus falls back to its text parser. Passed on as it is, it does the same.
  if (!media) return { format: "text", contentType: header };
  const version = media.params.get("version");
  switch (media.type) {
    case "text/plain":
      // The same parser either way; the explicit version is what newer Prometheus versions ask for.
      return { format: "text", contentType: version === undefined ? withVersion(header, "0.0.4") : header };
    case "application/openmetrics-text":
      return {
        format: "openmetrics",
        contentType: version === undefined ? withVersion(header, "1.0.0") : header,
      };
    case "application/vnd.google.protobuf":
      return { format: "protobuf", contentType: header };
    default:
      return { format: "text", contentType: header };
  }
}

/** The header with `version=` inserted after its type, every parameter kept as sent. */
function withVersion(header: string, version: string): string {
  const semicolon = header.indexOf(";");
  const type = (semicolon < 0 ? header : header.slice(0, semicolon)).trim();
  const params = semicolon < 0 ? "" : header.slice(semicolon + 1).trim();
  return params === "" ? `${type}; version=${version}` : `${type}; version=${version}; ${params}`;
}

export interface GoMediaType {
  /** `type/subtype` (or a bare `type`, which Go accepts), lower case. */
  type: string;
  /** Parameter names in lower case; values unquoted. */
  params: Map<string, string>;
}

/**
 * A Content-Type as Go's `mime.ParseMediaType` reads it (Go 1.19, Prometheus 2.42's): undefined where Go
 * returns an error. Stricter than RFC 9110 readers in these ways, each measured against Prometheus 2.42: a
 * parameter without `=`, a duplicate parameter name (also with the same value), anything but `;` after a
 * parameter's value. One trailing `;` is allowed. RFC 2231 continuations (`name*0`) are read as plain names.
 */
export function parseGoMediaType(value: string): GoMediaType | undefined {
  const semicolon = value.indexOf(";");
  const base = semicolon < 0 ? value : value.slice(0, semicolon);
  const type = goTrimSpace(base.toLowerCase());
  const [main, afterMain] = consumeToken(type);
  if (main === "") return undefined;
  if (afterMain !== "") {
    if (afterMain[0] !== "/") return undefined;
    const [sub, afterSub] = consumeToken(afterMain.slice(1));
    if (sub === "" || afterSub !== "") return undefined;
  }
  const params = new Map<string, string>();
  let rest = value.slice(base.length);
  for (;;) {
    rest = trimStartSpace(rest);
    if (rest === "") break;
    const param = consumeParam(rest);
    if (!param) {
      if (goTrimSpace(rest) === ";") break; // a trailing semicolon
      return undefined;
    }
    if (params.has(param.name)) return undefined;
    params.set(param.name, param.value);
    rest = param.rest;
  }
  return { type, params };
}

/** `; name=value`; undefined where Go's consumeMediaParam gives up. */
function consumeParam(v: string): { name: string; value: string; rest: string } | undefined {
  let rest = trimStartSpace(v);
  if (rest[0] !== ";") return undefined;
  rest = trimStartSpace(rest.slice(1));
  const [name, afterName] = consumeToken(rest);
  if (name === "") return undefined;
  rest = trimStartSpace(afterName);
  if (rest[0] !== "=") return undefined;
  rest = trimStartSpace(rest.slice(1));
  const [paramValue, afterValue] = consumeValue(rest);
  if (paramValue === "" && afterValue === rest) return undefined;
  return { name: name.toLowerCase(), value: paramValue, rest: afterValue };
}

/** A token or a quoted string (a backslash escapes only tspecials, as in Go); [value, rest]. */
function consumeValue(v: string): [string, string] {
  if (v[0] !== '"') return consumeToken(v);
  let out = "";
  for (let i = 1; i < v.length; i++) {
    const c = v[i];
    if (c === '"') return [out, v.slice(i + 1)];
    if (c === "\\" && i + 1 < v.length && TSPECIALS.includes(v[i + 1])) {
      out += v[++i];
      continue;
    }
    if (c === "\r" || c === "\n") return ["", v];
    out += c;
  }
  return ["", v]; // no closing quote
}

/** RFC 2045's tspecials, which end a token. */
const TSPECIALS = '()<>@,;:\\"/[]?=';

/** The longest prefix of token characters (ASCII above space, not DEL, not a tspecial); [token, rest]. */
function consumeToken(v: string): [string, string] {
  let i = 0;
  while (i < v.length) {
    const code = v.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f || TSPECIALS.includes(v[i])) break;
    i++;
  }
  return [v.slice(0, i), v.slice(i)];
}

/** Go's unicode.IsSpace: Latin-1 spaces (NEL and NBSP included) and Unicode's White_Space; not U+FEFF. */
const GO_SPACE = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const LEADING_SPACE = new RegExp(`^${GO_SPACE}+`);
const TRAILING_SPACE = new RegExp(`${GO_SPACE}+$`);

/** Go's strings.TrimLeftFunc(v, unicode.IsSpace). */
function trimStartSpace(v: string): string {
  return v.replace(LEADING_SPACE, "");
}

/** Go's strings.TrimSpace; JavaScript's trim() differs from it in U+0085 and U+FEFF. */
function goTrimSpace(v: string): string {
  return trimStartSpace(v).replace(TRAILING_SPACE, "");
}
