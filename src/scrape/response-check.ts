import type { Dispatcher } from "undici";
import { excerpt } from "../redact.js";
import { classifyUpstreamContentType, type UpstreamContentType } from "./content-type.js";
import { redactUrl, ScrapeFailure, statusText } from "./failure.js";

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
    if (statusCode >= 300 && statusCode < 400) {
      reason += `${location ? ` redirecting to ${describeLocation(location, target)}` : ""}; redirects are not followed`;
    }
    // gorouter tells apart unknown route, unknown instance, no endpoints... in this header.
    const routerError = firstHeader(headers["x-cf-routererror"]);
    if (routerError) reason += ` (router: ${excerpt(routerError, 200)})`;
    throw new ScrapeFailure("upstream", reason);
  }
  const rawType = firstHeader(headers["content-type"]);
  const type = classifyUpstreamContentType(rawType);
  if (!type) {
    throw new ScrapeFailure(
      "upstream",
      `target answered with unsupported content type "${rawType === undefined ? undefined : excerpt(rawType, 200)}"`,
    );
  }
  const encoding = firstHeader(headers["content-encoding"])?.trim().toLowerCase();
  const length = Number(firstHeader(headers["content-length"]));
  // Uncompressed and announced too big: fail now, while a clean error status is still possible.
  if ((!encoding || encoding === "identity") && Number.isFinite(length) && length > maxBodySize) {
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
