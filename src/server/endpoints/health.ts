import type { EndpointContext } from "../endpoint.js";
import { sendText } from "../respond.js";

/** /health and /-/healthy: the process serves HTTP. */
export function serveHealth({ req, res }: EndpointContext) {
  sendText(req, res, 200, "UP");
}

/** /ready and /-/ready: the first discovery has completed, so /discovery and scrapes can be answered. */
export function serveReady({ req, res, deps }: EndpointContext) {
  if (deps.discovery.ready()) return sendText(req, res, 200, "READY");
  sendText(req, res, 503, "NOT READY: first discovery not completed", { "retry-after": "5" });
}
