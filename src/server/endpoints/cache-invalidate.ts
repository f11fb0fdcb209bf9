import type { CacheInvalidation } from "../../discovery/index.js";
import { errorMessage } from "../../errors.js";
import type { EndpointContext } from "../endpoint.js";
import { parseInvalidation } from "../invalidate-params.js";
import { sendText } from "../respond.js";

/** GET or POST /cache/invalidate?org=true&...: empties the named discovery caches (Java query parameters). */
export function invalidateCaches({ req, res, url, deps }: EndpointContext) {
  let selection: CacheInvalidation;
  try {
    selection = parseInvalidation(url.searchParams);
  } catch (error) {
    return sendText(req, res, 400, errorMessage(error));
  }
  deps.discovery.invalidate(selection);
  res.writeHead(204).end();
}
