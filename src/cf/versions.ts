import type { CcRequester } from "./cc-request.js";
import { CfApiError } from "./errors.js";

/** `GET /v3/routes?app_guids=` exists from this CC v3 API version on. */
export const MIN_API_VERSION = "3.84.0";

export interface RootDocument {
  /** False when GET / answered 4xx or something that is not the root document. */
  readable: boolean;
  hasV3: boolean;
  v3Version?: string;
  loginUrl?: string;
}

/**
 * Reads `GET /`. Network trouble and 5xx are errors (retried by the next caller); a 4xx or a body
 * of another shape only means the document is unusable, so login falls back to /v2/info.
 */
export async function readRootDocument(requester: CcRequester, base: string): Promise<RootDocument> {
  let body: unknown;
  try {
    body = await requester.getJson("info", `${base}/`, { auth: false, retries: 1 });
  } catch (err) {
    const unusable =
      err instanceof CfApiError &&
      (err.kind === "malformed" || (err.kind === "http" && err.status !== undefined && err.status < 500));
    if (unusable) return { readable: false, hasV3: false };
    throw err;
  }
  const links = objectAt(body, "links");
  if (!links) return { readable: false, hasV3: false };
  const v3 = objectAt(links, "cloud_controller_v3");
  const version = objectAt(v3, "meta")?.version;
  const login = hrefAt(links, "login") ?? hrefAt(links, "uaa");
  return {
    readable: true,
    hasV3: v3 !== undefined,
    v3Version: typeof version === "string" && version !== "" ? version : undefined,
    loginUrl: login,
  };
}

function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (!value || typeof value !== "object") return undefined;
  const v = (value as Record<string, unknown>)[key];
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function hrefAt(links: Record<string, unknown>, key: string): string | undefined {
  const href = objectAt(links, key)?.href;
  return typeof href === "string" && href !== "" ? href : undefined;
}

/** Compares dotted numeric versions ("3.84.0"); undefined when either is not of that form. */
export function compareVersions(a: string, b: string): number | undefined {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return undefined;
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function parseVersion(v: string): number[] | undefined {
  const m = /^v?(\d+(?:\.\d+)*)/.exec(v.trim());
  return m ? m[1]!.split(".").map(Number) : undefined;
}
