import { type Offer, parseAccept, preferenceFor } from "../media-type.js";

/** The path of the JSON twin; the server's route table maps it to the status page like `/`. */
export const STATUS_JSON_PATH = "/status.json";

const JSON_OFFER: Offer = { type: "application", subtype: "json" };
const HTML_OFFER: Offer = { type: "text", subtype: "html" };

/**
 * JSON when asked for by path, or when the Accept header rates application/json above text/html.
 * On a tie, an explicitly named application/json beats an html reached only through a wildcard
 * (`application/json, *\/*` is what scripts send); otherwise HTML, which is also what no Accept header gets.
 */
export function wantsJson(path: string, accept: string | undefined): boolean {
  if (path === STATUS_JSON_PATH) return true;
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const json = preferenceFor(JSON_OFFER, ranges);
  const html = preferenceFor(HTML_OFFER, ranges);
  if (json.q <= 0) return false;
  if (json.q !== html.q) return json.q > html.q;
  return json.specificity > html.specificity;
}
