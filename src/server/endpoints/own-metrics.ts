import type { EndpointContext } from "../endpoint.js";
import { sendBody } from "../respond.js";

/** GET /promregatorMetrics: Promregator's own metrics in the format the caller accepts. */
export async function serveOwnMetrics({ req, res, deps }: EndpointContext): Promise<void> {
  const { contentType, body } = await deps.metrics.render(req.headers.accept);
  sendBody(req, res, 200, contentType, body);
}
