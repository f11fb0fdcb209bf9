import { nextTurn } from "../event-loop-turn.js";
import { asObject, type Included, ShapeError } from "./cc-mappers.js";
import { type CcRequester, pathOf } from "./cc-request.js";
import { CfApiError } from "./errors.js";
import type { ResourceTexts } from "./list-page.js";
import type { CfResource } from "./types.js";

/**
 * Items per list page. The CC allows 5,000, but a real CC needs 3-4 s for 5,000 apps (over the 2,500 ms
 * default timeout, Java's value) and such a page is about 25 MB: parsing it blocks the event loop for
 * 100 ms or more and holds the text and the parsed graph at once. 1,000 keeps a page under a second on a
 * real CC and each parse short, at a few more requests on large foundations (docs/performance.md).
 */
export const PER_PAGE = 1000;
/** Keeps a query string below the ~4 KB that proxies and gorouter reliably accept; 100 guids need 3699. */
export const MAX_FILTER_CHARS = 3800;
/** About 100 guids (36 chars + comma) fit the character budget; never more per request. */
export const MAX_FILTER_VALUES = 100;
/** Chunks of one list call fetched at the same time. */
export const CHUNK_CONCURRENCY = 4;

/** List filters by CC query parameter name; undefined = no filter, [] = nothing can match. */
export type ListFilters = Record<string, readonly string[] | undefined>;

/**
 * One filter value as CC reads it back. CC's ListMessage.to_array! (app/messages/base_message.rb) takes the
 * already URL-decoded parameter, splits it on /,\s*\/ and then URL-unescapes each piece. So a comma inside a
 * value must reach it as "%2C" after the first decoding, i.e. "%252C" on the wire, and a literal "%" as
 * "%2525"; this is also how CC writes such values into its own pagination links.
 */
export function encodeFilterValue(value: string): string {
  if (PLAIN_VALUE.test(value)) return value;
  return encodeURIComponent(value.replace(/%/g, "%25").replace(/,/g, "%2C"));
}

/**
 * Only characters that encodeURIComponent keeps (and so neither "%" nor ","): such a value, every guid among
 * them, is its own encoding. A refresh encodes thousands of app guids, several times each.
 */
const PLAIN_VALUE = /^[A-Za-z0-9\-_.!~*'()]*$/;

function encodeValues(values: readonly string[]): string {
  return values.map(encodeFilterValue).join(",");
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
    const encoded = encodeFilterValue(value).length;
    const cost = encoded + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (length + cost > maxChars || current.length >= maxValues)) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    length += current.length > 0 ? cost : encoded;
    current.push(value);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * How one list call is sent: the longest filter (`splitKey`) is cut into chunks of values, the other
 * filters repeat in every query. undefined when a filter is an empty list, because then nothing can match.
 */
export interface ListPlan {
  /** The filter whose values are spread over several requests; undefined without filters. */
  splitKey?: string;
  /** Values of splitKey per request; one empty chunk when there is no filter. */
  chunks: string[][];
  /** The query string for some values of splitKey (a chunk, or a part of one when isolating a fault). */
  query(values: readonly string[], perPage?: number): string;
}

export function planList(filters: ListFilters, fixed: Record<string, string> = {}): ListPlan | undefined {
  const present = Object.entries(filters)
    .filter((e): e is [string, readonly string[]] => e[1] !== undefined)
    .map(([key, values]) => [key, [...new Set(values)]] as const);
  if (present.some(([, values]) => values.length === 0)) return undefined;

  const fixedParams = Object.entries(fixed).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  const base = (perPage: number) => [`per_page=${perPage}`, ...fixedParams];
  if (present.length === 0)
    return { chunks: [[]], query: (_, perPage = PER_PAGE) => base(perPage).join("&") };

  let longest = 0;
  present.forEach(([, values], i) => {
    if (encodeValues(values).length > encodeValues(present[longest]![1]).length) longest = i;
  });
  const others = present.filter((_, i) => i !== longest).map(([k, v]) => `${k}=${encodeValues(v)}`);
  const [splitKey, splitValues] = present[longest]!;
  return {
    splitKey,
    chunks: chunkValues(splitValues),
    query: (values, perPage = PER_PAGE) =>
      [...base(perPage), ...others, `${splitKey}=${encodeValues(values)}`].join("&"),
  };
}

/** Query strings for one list call (see planList); [] when nothing can match. */
export function buildQueries(filters: ListFilters, fixed: Record<string, string> = {}): string[] {
  const plan = planList(filters, fixed);
  return plan ? plan.chunks.map((chunk) => plan.query(chunk)) : [];
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

/** One page's `included.<key>`; empty when the page has none. Throws ShapeError for a malformed block. */
export function includedOf(page: Record<string, unknown>, key: string): Included {
  const out = new Map<string, { item: Record<string, unknown>; where: string }>();
  if (page.included === undefined || page.included === null) return out;
  const list = asObject(page.included, "included")[key];
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) throw new ShapeError(`included.${key} should be an array`);
  list.forEach((value, i) => {
    const where = `included.${key}[${i}]`;
    const item = asObject(value, where);
    if (typeof item.guid !== "string") throw new ShapeError(`${where}.guid should be a string`);
    out.set(item.guid, { item, where });
  });
  return out;
}

/**
 * Milliseconds of mapping a page's resources in one turn of the event loop before yielding: a page of 1,000
 * apps takes 6-23 ms to parse and map, and scrapes wait for the loop meanwhile.
 */
export const MAP_SLICE_MS = 4;

/** A page that was parsed whole: its `resources` as ResourceTexts. Throws ShapeError when it is not an array. */
function parsedResources(value: unknown): ResourceTexts {
  if (!Array.isArray(value)) throw new ShapeError("resources should be an array");
  return { length: value.length, parse: (i) => value[i] as unknown };
}

/** Pages of one list followed at most; with per_page=1000 that is a quarter of a million resources. */
export const MAX_PAGES = 250;
/**
 * per_page after a page of PER_PAGE timed out: a CC so slow that 1,000 items take longer than
 * cf.request.timeout.* (2,500 ms by default, Java's value, chosen for pages of 100).
 */
export const SMALL_PER_PAGE = 200;

export interface PagingContext {
  requester: CcRequester;
  /**
   * The configured API origin: every page is requested here. A next link on another origin (CC's external
   * name, http behind a TLS-terminating load balancer) is followed by path and query on this origin, so
   * the token never leaves it.
   */
  origin: string;
  /** Transient retries per page. */
  retries: number;
  /** False when a timed-out page is answered by reading the list again with a smaller per_page. */
  retryTimeouts: boolean;
  /** `included` key (e.g. "service_instances") whose items each page's mapper gets; the query asks for them. */
  includedKey?: string;
}

/**
 * Fetches the first page and follows `pagination.next.href`, mapping each resource as it arrives. Bounded:
 * never more pages than the first page's `total_pages` and MAX_PAGES; a list that would go past MAX_PAGES, a
 * later page that brings no resource not seen before (an endless or looping `next`) and a link seen before fail
 * the list with kind "paging", which is never split by key.
 */
export async function fetchAllPages<T extends { guid: string }>(
  ctx: PagingContext,
  resource: CfResource,
  firstUrl: string,
  map: (value: unknown, where: string, included: Included) => T,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  const visited = new Set<string>();
  let url: string | undefined = firstUrl;
  let total: number | undefined;
  for (let pageNo = 1; url; pageNo++) {
    visited.add(url);
    const path = pathOf(url);
    const list = await ctx.requester.getListPage(resource, url, {
      auth: true,
      recovers: false,
      retries: ctx.retries,
      retryTimeouts: ctx.retryTimeouts,
    });
    // The page's resources are mapped in turns of their own, not in the one that read the page.
    await nextTurn();
    let next: string | undefined;
    let fresh = 0;
    let count = 0;
    try {
      const page = asObject(list.envelope, "the body");
      const resources = list.resources ?? parsedResources(page.resources);
      count = resources.length;
      const included: Included = ctx.includedKey ? includedOf(page, ctx.includedKey) : new Map();
      let sliceStart = performance.now();
      for (let i = 0; i < count; i++) {
        if (performance.now() - sliceStart > MAP_SLICE_MS) {
          await nextTurn();
          sliceStart = performance.now();
        }
        let item: unknown;
        try {
          item = resources.parse(i);
        } catch (err) {
          throw ctx.requester.notJson(resource, url, err);
        }
        const mapped = map(item, `resources[${i}]`, included);
        if (seen.has(mapped.guid)) continue;
        seen.add(mapped.guid);
        fresh++;
        out.push(mapped);
      }
      next = nextHref(page);
      if (pageNo === 1) total = totalPages(page);
    } catch (err) {
      if (!(err instanceof ShapeError)) throw err;
      throw malformed(ctx, resource, path, err.message);
    }
    // An empty last page is what a CC answers when resources vanished while we paged; anything else
    // without news is a CC (or proxy) that does not advance.
    if (pageNo > 1 && fresh === 0 && (count > 0 || next !== undefined)) {
      throw unending(ctx, resource, path, `page ${pageNo} brought no resource not seen before`);
    }
    if (next === undefined) break;
    // Resources added while paging can make a CC link beyond the first page's total; they come next time.
    if (total !== undefined && pageNo >= total && total <= MAX_PAGES) {
      nextIgnored(ctx, resource, path, next, pageNo, total);
      break;
    }
    if (pageNo >= MAX_PAGES) {
      throw unending(ctx, resource, path, `more than ${MAX_PAGES} pages; the list is not read`);
    }
    url = sameOrigin(ctx, resource, path, next);
    if (visited.has(url)) {
      throw unending(ctx, resource, path, "pagination.next.href repeats a page already fetched");
    }
  }
  return out;
}

/**
 * A page at the first page's `total_pages` that still links to a next page: the list ends there (bounded
 * paging), but a CC or proxy that contradicts itself so is made visible. Logged through the requester's
 * FailureLog like the other paging faults, but never counted as a failure or a recovery (its key does not start
 * with "<resource>:"): a warning the first time per resource, repeats at debug, so that a CC doing it on every
 * list does not flood the log. Only the link's path is named (its query holds thousands of guids, never a token).
 */
function nextIgnored(
  ctx: PagingContext,
  resource: CfResource,
  path: string,
  next: string,
  pageNo: number,
  total: number,
): void {
  const message = `GET ${path} answered page ${pageNo} of total_pages ${total} with a pagination.next link; the list ends at total_pages and the link is not followed`;
  const fields = { resource, path, next: pathOf(next), totalPages: total, kind: "next-beyond-total" };
  ctx.requester.failures.failure(`next-beyond-total:${resource}`, fields, message);
}

/** The next link's path and query on the configured origin. */
function sameOrigin(ctx: PagingContext, resource: CfResource, path: string, href: string): string {
  let link: URL;
  try {
    link = new URL(href);
  } catch {
    throw malformed(ctx, resource, path, `pagination.next.href "${href}" is not an absolute URL`);
  }
  if (link.origin === ctx.origin) return link.href;
  return `${ctx.origin}${link.pathname}${link.search}`;
}

/** pagination.total_pages of the first page, when it is a usable count. */
function totalPages(page: Record<string, unknown>): number | undefined {
  const pagination = page.pagination;
  if (!pagination || typeof pagination !== "object") return undefined;
  const total = (pagination as { total_pages?: unknown }).total_pages;
  return typeof total === "number" && Number.isInteger(total) && total >= 1 ? total : undefined;
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

/** A list whose pagination does not end where it should; never split by key (see isKeySpecific). */
function unending(ctx: PagingContext, resource: CfResource, path: string, what: string): CfApiError {
  const message = `GET ${path} answered with pagination that does not end: ${what}`;
  ctx.requester.failures.failure(`${resource}:paging`, { resource, path, kind: "paging" }, message);
  return new CfApiError(message, { kind: "paging", resource, path });
}

function malformed(ctx: PagingContext, resource: CfResource, path: string, what: string): CfApiError {
  const message = `GET ${path} answered with an unexpected document: ${what}`;
  ctx.requester.failures.failure(`${resource}:malformed`, { resource, path, kind: "malformed" }, message);
  return new CfApiError(message, { kind: "malformed", resource, path });
}
