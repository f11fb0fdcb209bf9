import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { ServerConfig } from "./config/index.js";
import { type ClientAuthType, loadWebConfig } from "./server/index.js";

export interface HealthcheckResult {
  healthy: boolean;
  /** One line for the operator: the URL probed and the status or the error. */
  detail: string;
}

/** client_auth_type values under which a connection without a client certificate is refused. */
const CERT_REQUIRED: readonly ClientAuthType[] = ["RequireAnyClientCert", "RequireAndVerifyClientCert"];

/**
 * Where a local probe reaches the server: a wildcard listen address (0.0.0.0, ::) is reached on the loopback
 * of the same family; any other address is used as given (the server listens only there). `tls`: whether the
 * server speaks HTTPS (server.tls or the web configuration's tls_server_config).
 */
export function healthUrl(server: ServerConfig, tls = server.tls !== undefined): string {
  const scheme = tls ? "https" : "http";
  let host = server.address;
  if (host === "0.0.0.0" || host === "") host = "127.0.0.1";
  else if (host === "::" || host === "[::]") host = "::1";
  const shown = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `${scheme}://${shown}:${server.port}/health`;
}

/**
 * GET /health on the server described by `server` (the same server.port, server.address, server.tls and
 * --web.config.file the server itself listens with). Healthy means a 2xx answer within `timeoutMs`. The
 * certificate is not verified: the probe runs next to the server and checks liveness, and a certificate is
 * issued for the name clients use, which is rarely the loopback address. A web configuration that requires
 * client certificates cannot be probed (the probe has none): that is reported as unhealthy, naming the setting.
 * Throws the ConfigError of an unreadable or invalid web configuration file.
 */
export function checkHealth(server: ServerConfig, timeoutMs: number): Promise<HealthcheckResult> {
  const web = server.webConfigFile ? loadWebConfig(server.webConfigFile) : undefined;
  const tls = server.tls !== undefined || web?.tls !== undefined;
  const url = healthUrl(server, tls);
  const clientAuth = web?.tls?.clientAuth;
  if (clientAuth && CERT_REQUIRED.includes(clientAuth)) {
    return Promise.resolve({
      healthy: false,
      detail:
        `${url} cannot be probed: tls_server_config.client_auth_type is ${clientAuth} in ${web?.file}, ` +
        "so the server refuses connections without a client certificate, and this check has none",
    });
  }
  const request = tls ? httpsRequest : httpRequest;
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
