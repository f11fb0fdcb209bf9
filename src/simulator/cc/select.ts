import type { LandscapeStore } from "../model/store.js";
import { paginate } from "./pagination.js";
import type { Presenter } from "./presenters.js";
import type { ListQuery } from "./query.js";

/** Helpers shared by the list endpoints: candidate selection through indexes, ordering, paging. */
export interface Rec {
  guid: string;
  seq: number;
  createdAt: string;
  updatedAt: string;
}

export interface ListContext {
  store: LandscapeStore;
  present: Presenter;
  /** External API base URL for the paging links. */
  api: string;
  path: string;
  params: URLSearchParams;
}

/** Union of index entries for the given keys; the candidate set a filter allows. */
export function union(index: Map<string, Set<string>>, keys: string[]): Set<string> {
  const out = new Set<string>();
  for (const key of keys) for (const guid of index.get(key) ?? []) out.add(guid);
  return out;
}

/**
 * Records passing `keep`, in CC's default order (creation). When an index narrowed the candidates only those
 * are visited, so filtered queries do not scan the whole foundation.
 */
export function collect<T extends Rec>(
  all: Map<string, T>,
  candidates: Set<string> | undefined,
  keep: (r: T) => boolean,
): T[] {
  const out: T[] = [];
  if (!candidates) {
    for (const r of all.values()) if (keep(r)) out.push(r);
    return out;
  }
  for (const guid of candidates) {
    const r = all.get(guid);
    if (r && keep(r)) out.push(r);
  }
  return out.sort((a, b) => a.seq - b.seq);
}

export function order<T extends Rec>(
  items: T[],
  query: ListQuery,
  value?: (r: T, field: string) => string,
): T[] {
  if (!query.orderBy) return items;
  const { field, desc } = query.orderBy;
  const key =
    field === "created_at"
      ? (r: T) => r.createdAt
      : field === "updated_at"
        ? (r: T) => r.updatedAt
        : (r: T) => value?.(r, field) ?? "";
  const sign = desc ? -1 : 1;
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return (ka < kb ? -1 : ka > kb ? 1 : a.seq - b.seq) * sign;
  });
}

export function lowerSet(values: string[] | undefined): Set<string> | undefined {
  return values ? new Set(values.map((v) => v.toLowerCase())) : undefined;
}

export function setOf(values: string[] | undefined): Set<string> | undefined {
  return values ? new Set(values) : undefined;
}

export function pageOf<T extends Rec>(
  ctx: ListContext,
  query: ListQuery,
  items: T[],
  render: (r: T) => object,
) {
  const { pagination, page } = paginate(items, query, ctx.api, ctx.path);
  return { pagination, resources: page.map(render), page };
}
