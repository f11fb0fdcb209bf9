import type { CacheInvalidation } from "../../discovery/index.js";
import { errorMessage } from "../../errors.js";
import type { EndpointContext } from "../endpoint.js";
import { parseInvalidation } from "../invalidate-params.js";
import { sendText } from "../respond.js";

/**
 * GET or POST /cache/invalidate?org=true&...: empties the named discovery caches (Java query parameters) and
 * answers 204 once the refresh that follows has ended (with several foundations: every foundation's), so that a
 * /discovery right after it shows the new state, as the next request after an invalidation did in Java.
 */
export async function invalidateCaches({ req, res, url, deps }: EndpointContext) {
  let selection: CacheInvalidation;
  try {
    selection = parseInvalidation(url.searchParams);
  } catch (error) {
    return sendText(req, res, 400, errorMessage(error));
  }
  await deps.discovery.invalidate(selection);
  res.writeHead(204).end();
}
