import { preparedDiscoveryDocument } from "../../discovery/index.js";
import { JSON_CONTENT_TYPE } from "../../media-type.js";
import type { EndpointContext } from "../endpoint.js";
import { discoveryOrigin } from "../request-origin.js";
import { sendBody, sendText } from "../respond.js";

/** GET /discovery: the http_sd document of the current snapshot. */
export async function serveDiscovery({ req, res, deps }: EndpointContext) {
  const snapshot = deps.discovery.current();
  if (!snapshot) {
    // An error keeps Prometheus' previous targets; an empty list would drop them until we are ready.
    return sendText(req, res, 503, "Discovery has not completed yet", { "retry-after": "5" });
  }
  const d = deps.config.promregator.discovery;
  const document = await preparedDiscoveryDocument(snapshot, {
    ...discoveryOrigin(req, d),
    ownMetricsEndpoint: d.ownMetricsEndpoint,
  });
  sendBody(req, res, 200, JSON_CONTENT_TYPE, document);
}
