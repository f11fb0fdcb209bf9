import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { ServerConfig } from "./config/types.js";

export interface HealthcheckResult {
  healthy: boolean;
  /** One line for the operator: the URL probed and the status or the error. */
  detail: string;
}

/**
 * Where a local probe reaches the server: a wildcard listen address (0.0.0.0, ::) is reached on the loopback
 * of the same family; any other address is used as given (the server listens only there).
 */
export function healthUrl(server: ServerConfig): string {
  const scheme = server.tls ? "https" : "http";
  let host = server.address;
  if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
  else if (host === "::" || host === "[::]") host = "::1";
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `${scheme}://${shown}:${server.port}/health`;
}

/**
 * GET /health on the server described by `server` (the same server.port, server.address and server.tls the
 * server itself listens with). Healthy means a 2xx answer within `timeoutMs`. The certificate is not verified:
 * the probe runs next to the server and checks liveness, and a certificate is issued for the name clients
 * use, which is rarely the loopback address.
 */
export function checkHealth(server: ServerConfig, timeoutMs: number): Promise<HealthcheckResult> {
  const url = healthUrl(server);
  const request = server.tls ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve({ healthy: status >= 200 && status < 300, detail: `${url} answered ${status}` });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error) => resolve({ healthy: false, detail: `${url}: ${error.message}` }));
    req.end();
  });
}
