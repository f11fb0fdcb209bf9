import { asObject, ShapeError } from "./cc-mappers.js";
import { type CcRequester, pathOf } from "./cc-request.js";
import { CfApiError } from "./errors.js";
import type { CfResource } from "./types.js";

/** The CC maximum; fewer round trips for large foundations. */
export const PER_PAGE = 5000;
/** Keeps a query string below the ~4 KB that proxies and gorouter reliably accept; 100 guids need 3699. */
export const MAX_FILTER_CHARS = 3800;
/** About 100 guids (36 chars + comma) fit the character budget; never more per request. */
export const MAX_FILTER_VALUES = 100;
/** Chunks of one list call fetched at the same time. */
export const CHUNK_CONCURRENCY = 4;

/** List filters by CC query parameter name; undefined = no filter, [] = nothing can match. */
export type ListFilters = Record<string, readonly string[] | undefined>;

function encodeValues(values: readonly string[]): string {
  // Commas inside a value must be %2C so CC does not split it; encodeURIComponent does that.
  return values.map(encodeURIComponent).join(",");
}

/** Splits values into groups whose encoded, comma-joined form stays within the budget. */
export function chunkValues(
  values: readonly string[],
  maxChars = MAX_FILTER_CHARS,
  maxValues = MAX_FILTER_VALUES,
): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const value of values) {
    const cost = encodeURIComponent(value).length + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (length + cost > maxChars || current.length >= maxValues)) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    length += current.length > 0 ? cost : encodeURIComponent(value).length;
    current.push(value);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Query strings for one list call: the longest filter is split into chunks, the others repeat in
 * each. Returns [] when a filter is an empty list, because then nothing can match.
 */
export function buildQueries(filters: ListFilters, fixed: Record<string, string> = {}): string[] {
  const present = Object.entries(filters)
    .filter((e): e is [string, readonly string[]] => e[1] !== undefined)
    .map(([key, values]) => [key, [...new Set(values)]] as const);
  if (present.some(([, values]) => values.length === 0)) return [];

  const base = [
    `per_page=${PER_PAGE}`,
    ...Object.entries(fixed).map(([k, v]) => `${k}=${encodeURIComponent(v)}`),
  ];
  if (present.length === 0) return [base.join("&")];

  let longest = 0;
  present.forEach(([, values], i) => {
    if (encodeValues(values).length > encodeValues(present[longest]![1]).length) longest = i;
  });
  const others = present.filter((_, i) => i !== longest).map(([k, v]) => `${k}=${encodeValues(v)}`);
  const [splitKey, splitValues] = present[longest]!;
  return chunkValues(splitValues).map((chunk) =>
    [...base, ...others, `${splitKey}=${encodeValues(chunk)}`].join("&"),
  );
}

/** Runs fn over items with at most `limit` in flight; results keep the order of items. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    // After one failure the whole call fails; do not start the remaining items.
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface PagingContext {
  requester: CcRequester;
  /** Only links on this origin are followed; a token must not be sent anywhere else. */
  origin: string;
}

/** Fetches the first page and every `pagination.next.href`, mapping each resource as it arrives. */
export async function fetchAllPages<T>(
  ctx: PagingContext,
  resource: CfResource,
  firstUrl: string,
  map: (value: unknown, where: string) => T,
): Promise<T[]> {
  const out: T[] = [];
  const visited = new Set<string>();
  let url: string | undefined = firstUrl;
  while (url) {
    visited.add(url);
    const path = pathOf(url);
    const body = await ctx.requester.getJson(resource, url, { auth: true, retries: 1, recovers: false });
    let next: string | undefined;
    try {
      const page = asObject(body, "the body");
      const resources = page.resources;
      if (!Array.isArray(resources)) throw new ShapeError("resources should be an array");
      resources.forEach((item, i) => {
        out.push(map(item, `resources[${i}]`));
      });
      next = nextHref(page);
    } catch (err) {
      if (!(err instanceof ShapeError)) throw err;
      throw malformed(ctx, resource, path, err.message);
    }
    if (next !== undefined) {
      let nextUrl: URL;
      try {
        nextUrl = new URL(next);
      } catch {
        throw malformed(ctx, resource, path, `pagination.next.href "${next}" is not an absolute URL`);
      }
      if (nextUrl.origin !== ctx.origin) {
        throw malformed(
          ctx,
          resource,
          path,
          `pagination.next.href points to ${nextUrl.origin}, not ${ctx.origin}`,
        );
      }
      if (visited.has(nextUrl.href) || visited.has(next)) {
        throw malformed(ctx, resource, path, "pagination.next.href repeats a page already fetched");
      }
      next = nextUrl.href;
    }
    url = next;
  }
  return out;
}

function nextHref(page: Record<string, unknown>): string | undefined {
  if (page.pagination === undefined || page.pagination === null) return undefined;
  const next = asObject(page.pagination, "pagination").next;
  if (next === undefined || next === null) return undefined;
  const href = asObject(next, "pagination.next").href;
  if (typeof href !== "string" || href === "")
    throw new ShapeError("pagination.next.href should be a string");
  return href;
}

function malformed(ctx: PagingContext, resource: CfResource, path: string, what: string): CfApiError {
  const message = `GET ${path} answered with an unexpected document: ${what}`;
  ctx.requester.failures.failure(`${resource}:malformed`, { resource, path, kind: "malformed" }, message);
  return new CfApiError(message, { kind: "malformed", resource, path });
}
