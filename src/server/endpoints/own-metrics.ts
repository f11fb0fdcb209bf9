import type { EndpointContext } from "../endpoint.js";
import { sendChunks } from "../respond.js";

/** GET /promregatorMetrics: Promregator's own metrics in the format the caller accepts. */
export async function serveOwnMetrics({ req, res, deps }: EndpointContext): Promise<void> {
  const { contentType, chunks } = deps.metrics.renderChunks(req.headers.accept);
  await sendChunks(req, res, 200, contentType, chunks);
}
