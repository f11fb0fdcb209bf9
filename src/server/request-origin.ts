import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { TLSSocket } from "node:tls";
import { HOST_NAME } from "../config/index.js";

export interface DiscoveryOrigin {
  host: string;
  port: number;
  scheme: string;
}

export interface DiscoveryOriginConfig {
  hostname?: string;
  port: number;
  scheme?: string;
}

/** The parts of a valid Host field value; no host for an empty value. */
export interface HostHeader {
  host?: string;
  port?: number;
}

/** `host [":" port]`, the host an IPv6 address in brackets or anything without a colon (checked further). */
const HOST_AND_PORT = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/;
const MAX_PORT = 65535;

/**
 * Reads a Host field value, `uri-host [ ":" port ]` (RFC 9110 §7.2; RFC 3986 §3.2.2, §3.2.3), or undefined when
 * it is not valid, which RFC 9112 §3.2 answers with 400. The host must be one `promregator.discovery.hostname`
 * accepts, since /discovery writes it into every target: a host name, an IPv4 address or an IPv6 address in
 * brackets; no userinfo, path, query or fragment (`a@evil.example`, `evil.example/x?y#`). The port is digits up
 * to 65535; an empty one (`host:`) is no port. An empty value, which a client sends for a target without an
 * authority (RFC 9112 §3.2), is valid and names no host.
 */
export function parseHostHeader(value: string): HostHeader | undefined {
  // Every request asks, twice on the scrape path, and clients send a handful of distinct values.
  const known = parsedHosts.get(value);
  if (known !== undefined) return known ?? undefined;
  const parsed = parseHost(value);
  if (parsedHosts.size >= MAX_PARSED_HOSTS) parsedHosts.clear();
  parsedHosts.set(value, parsed ?? null);
  return parsed;
}

/** Host values read so far (null: invalid); bounded, since clients choose the text. */
const parsedHosts = new Map<string, Readonly<HostHeader> | null>();
const MAX_PARSED_HOSTS = 256;

function parseHost(value: string): HostHeader | undefined {
  const text = value.trim();
  if (text === "") return {};
  const match = HOST_AND_PORT.exec(text);
  if (!match) return undefined;
  const [, host, digits] = match;
  const bracketed = host.startsWith("[");
  if (bracketed ? isIP(host.slice(1, -1)) !== 6 : !HOST_NAME.test(host)) return undefined;
  if (!digits) return { host };
  const port = Number(digits);
  return port <= MAX_PORT ? { host, port } : undefined;
}

/**
 * Why a request's Host field lines call for a 400 (RFC 9112 §3.2: more than one Host field line, or an invalid
 * value), or undefined when they do not. `lines` are the values of every Host line, unmerged (node:http keeps
 * only the first in `headers.host`; `headersDistinct.host` has them all). No line at all is left to the HTTP
 * parser, which refuses an HTTP/1.1 request without Host and accepts an HTTP/1.0 one.
 */
export function hostHeaderProblem(lines: readonly string[]): string | undefined {
  if (lines.length > 1) return "more than one Host header";
  if (lines.length === 1 && parseHostHeader(lines[0]) === undefined) {
    return "the Host header is not a host name, IPv4 address or [IPv6 address] with an optional port up to 65535";
  }
  return undefined;
}

/**
 * How Prometheus reaches us, for the targets of /discovery: configured values win; otherwise the request's Host
 * header and X-Forwarded-Proto (correct behind the CF router and in containers, unlike the local socket name
 * the Java version used).
 */
export function discoveryOrigin(req: IncomingMessage, cfg: DiscoveryOriginConfig): DiscoveryOrigin {
  const forwardedProto = String(req.headers["x-forwarded-proto"] ?? "")
    .split(",")[0]
    .trim()
    .toLowerCase();
  const tls = forwardedProto ? forwardedProto === "https" : Boolean((req.socket as TLSSocket).encrypted);
  // The handler refused an invalid Host with 400; a missing one (HTTP/1.0) is no host.
  const fromHeader = parseHostHeader(req.headers.host ?? "") ?? {};
  const host = cfg.hostname ?? fromHeader.host ?? req.socket.localAddress ?? "localhost";
  const defaultPort = fromHeader.host ? (tls ? 443 : 80) : (req.socket.localPort ?? 8080);
  const port = cfg.port > 0 ? cfg.port : (fromHeader.port ?? defaultPort);
  const scheme = cfg.scheme ?? (cfg.port === 443 ? "https" : tls ? "https" : "http");
  return { host, port, scheme };
}
