import type { EndpointContext } from "../endpoint.js";
import { sendBody, sendText } from "../respond.js";

/**
 * GET /status: not a page of its own (the Java version has no such path) but a guess worth answering; sends the
 * browser to the status page. The relative `./` keeps a reverse proxy's path prefix.
 */
export async function redirectToStatusPage({ res }: EndpointContext): Promise<void> {
  res.writeHead(302, { location: "./", "content-length": "0" }).end();
}

/** GET /, /index.html, /status.json: the operator's status page (HTML or JSON by path and Accept). */
export async function serveStatus({ req, res, deps }: EndpointContext): Promise<void> {
  if (!deps.status) return sendText(req, res, 200, "Promregator: see /discovery and /promregatorMetrics");
  const page = await deps.status.render(req);
  sendBody(req, res, 200, page.contentType, page.body, { vary: "Accept" });
}
