import type { Dispatcher } from "undici";
import { excerpt } from "../redact.js";
import { classifyUpstreamContentType, type UpstreamContentType } from "./content-type.js";
import { isGzipEncoded } from "./decode.js";
import { redactUrl, ScrapeFailure, statusText } from "./failure.js";

/** The statuses an HTTP client would follow (RFC 9110 15.4); 304 Not Modified and 300 are not redirects to follow. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Decides from status and headers alone whether the answer is a usable metrics body; throws a
 * ScrapeFailure naming the cause otherwise.
 */
export function checkUpstreamResponse(
  response: Pick<Dispatcher.ResponseData, "statusCode" | "headers">,
  /** The instance URL; parsed only to describe a redirect. */
  target: string,
  maxBodySize: number,
): UpstreamContentType {
  const { statusCode, headers } = response;
  if (statusCode !== 200) {
    let reason = `target answered ${statusText(statusCode)}`;
    const location = firstHeader(headers.location);
    if (REDIRECT_STATUSES.has(statusCode)) {
      // A redirect on the target's own origin was followed (upstream.ts); this one leads elsewhere, or nowhere.
      reason += location
        ? ` redirecting to ${describeLocation(location, target)}; redirects to another origin are not followed`
        : " without a Location to follow";
    }
    // gorouter tells apart unknown route, unknown instance, no endpoints... in this header.
    const routerError = firstHeader(headers["x-cf-routererror"]);
    if (routerError) reason += ` (router: ${excerpt(routerError, 200)})`;
    throw new ScrapeFailure("upstream", reason);
  }
  // Any type: Prometheus reads what it does not know as the text format, and so does the proxy.
  const type = classifyUpstreamContentType(firstHeader(headers["content-type"]));
  const length = Number(firstHeader(headers["content-length"]));
  // Passed on as it comes and announced too big: fail now, while a clean error status is still possible.
  if (
    !isGzipEncoded(firstHeader(headers["content-encoding"])) &&
    Number.isFinite(length) &&
    length > maxBodySize
  ) {
    throw new ScrapeFailure("upstream", `target body is larger than maxBodySize (${maxBodySize} bytes)`);
  }
  return type;
}

function describeLocation(location: string, target: string): string {
  try {
    return redactUrl(new URL(location, target).href);
  } catch {
    return "(invalid location)";
  }
}
