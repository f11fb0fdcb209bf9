import type { CfResource } from "./types.js";

/**
 * Why a Cloud Controller request failed; "size": the body was longer than cf.request.maxBodySize; "paging": a
 * list whose pagination does not end (more than MAX_PAGES pages, a page without news, a repeated link), which
 * is the CC's doing, not a key's.
 */
export type CfFailureKind = "http" | "timeout" | "network" | "malformed" | "size" | "paging" | "version";

export interface CfApiErrorInit {
  kind: CfFailureKind;
  resource: CfResource;
  /** URL path of the request (no query string, which can be several KB of guids). */
  path: string;
  status?: number;
  /** Numeric CF error code, e.g. 10010. */
  code?: number;
  /** CF error title, e.g. "CF-ResourceNotFound". */
  title?: string;
  detail?: string;
  cause?: unknown;
}

/** A failed Cloud Controller request, after retries. The message never contains tokens. */
export class CfApiError extends Error {
  readonly kind: CfFailureKind;
  readonly resource: CfResource;
  readonly path: string;
  readonly status?: number;
  readonly code?: number;
  readonly title?: string;
  readonly detail?: string;

  constructor(message: string, init: CfApiErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "CfApiError";
    this.kind = init.kind;
    this.resource = init.resource;
    this.path = init.path;
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
  }
}

/** A 2xx body whose Content-Encoding could not be undone (http.ts decodeBody); the message says why. */
export class UndecodableBodyError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "UndecodableBodyError";
  }
}

/** Login at UAA failed: wrong credentials, UAA unreachable or a malformed token answer. */
export class UaaError extends Error {
  readonly status?: number;
  /** OAuth error code from UAA, e.g. "invalid_client". */
  readonly error?: string;

  constructor(message: string, init: { status?: number; error?: string; cause?: unknown } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "UaaError";
    this.status = init.status;
    this.error = init.error;
  }
}

/**
 * What a CC error body says: the first entry of a v3 `{"errors":[{title, code, detail}]}` body, or a v2
 * `{"error_code", "code", "description"}` body (GET /v2/info and the rest of v2 answer in that shape), mapped
 * to the v3 names. `json` tells whether the text was JSON at all, whatever its shape.
 */
export function parseCfErrorBody(text: string): {
  json: boolean;
  code?: number;
  title?: string;
  detail?: string;
} {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return { json: false };
  }
  if (!body || typeof body !== "object") return { json: true };
  const errors = (body as { errors?: unknown }).errors;
  const first = Array.isArray(errors) ? (errors[0] as Record<string, unknown> | undefined) : undefined;
  if (first && typeof first === "object") {
    return {
      json: true,
      code: typeof first.code === "number" ? first.code : undefined,
      title: typeof first.title === "string" ? first.title : undefined,
      detail: typeof first.detail === "string" ? first.detail : undefined,
    };
  }
  const v2 = body as Record<string, unknown>;
  if (typeof v2.error_code === "string" || typeof v2.description === "string") {
    return {
      json: true,
      code: typeof v2.code === "number" ? v2.code : undefined,
      title: typeof v2.error_code === "string" ? v2.error_code : undefined,
      detail: typeof v2.description === "string" ? v2.description : undefined,
    };
  }
  return { json: true };
}

/**
 * A list call of which some filter values failed while the others were read: `items` holds what the
 * others brought, `failed` the error per failed value of `filter` (e.g. names, space_guids). Thrown only
 * when some values succeeded; when all fail, the list throws the failure itself.
 */
export class PartialListError<T = unknown> extends CfApiError {
  constructor(
    readonly items: T[],
    readonly filter: string,
    readonly failed: ReadonlyMap<string, CfApiError>,
  ) {
    const [first] = failed.values();
    super(`${failed.size} ${filter} value(s) of the list failed; first: ${first?.message}`, {
      kind: first?.kind ?? "http",
      resource: first?.resource ?? "info",
      path: first?.path ?? "",
      status: first?.status,
      cause: first,
    });
    this.name = "PartialListError";
  }
}

/**
 * The items of a list call and its failed filter values; other failures (the whole list failed) are
 * thrown. For callers that cache per filter value and can serve the values that worked.
 */
export async function settleList<T>(
  list: Promise<T[]>,
): Promise<{ items: T[]; failed: ReadonlyMap<string, CfApiError> }> {
  try {
    return { items: await list, failed: new Map() };
  } catch (err) {
    if (err instanceof PartialListError) return { items: err.items as T[], failed: err.failed };
    throw err;
  }
}
