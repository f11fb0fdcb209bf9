import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

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

/** Splits a Host header ("h", "h:p", "[v6]:p") into host and port. */
function parseHostHeader(value: string | undefined): { host?: string; port?: number } {
  if (!value) return {};
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match) return {};
  return { host: match[1], port: match[2] ? Number(match[2]) : undefined };
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
  const fromHeader = parseHostHeader(req.headers.host);
  const host = cfg.hostname ?? fromHeader.host ?? req.socket.localAddress ?? "localhost";
  const defaultPort = fromHeader.host ? (tls ? 443 : 80) : (req.socket.localPort ?? 8080);
  const port = cfg.port > 0 ? cfg.port : (fromHeader.port ?? defaultPort);
  const scheme = cfg.scheme ?? (cfg.port === 443 ? "https" : tls ? "https" : "http");
  return { host, port, scheme };
}
