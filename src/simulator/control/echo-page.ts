import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";

/**
 * A load balancer error page in plain text that echoes the request it could not forward, headers sorted by
 * name (debug pages of some proxies do): the Authorization header, and with it the live token, is in the body.
 */
export function sendEchoPage(req: IncomingMessage, res: ServerResponse, status: number): void {
  const headers = Object.entries(req.headers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(", ") : value}`);
  const body = [
    `${status} ${STATUS_CODES[status] ?? "Error"}`,
    ...headers,
    `request: ${req.method ?? "GET"} ${req.url ?? "/"} HTTP/${req.httpVersion}`,
    "",
  ].join("\n");
  res.writeHead(status, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
