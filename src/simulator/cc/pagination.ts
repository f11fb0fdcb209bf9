import type { ListQuery } from "./query.js";

export interface Pagination {
  total_results: number;
  total_pages: number;
  first: { href: string };
  last: { href: string };
  next: { href: string } | null;
  previous: { href: string } | null;
}

/**
 * Absolute link with every parameter sorted by name and each value URL-encoded whole, as Rails' to_query
 * writes it: the separating commas become %2C, a %2C inside a value %252C, so the link reads back the same.
 */
function pageHref(baseUrl: string, path: string, query: ListQuery, page: number): string {
  const params: [string, string][] = [
    ...query.echo,
    ["page", String(page)],
    ["per_page", String(query.perPage)],
  ];
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${baseUrl}${path}?${params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")}`;
}

/** One page of `items` plus CC's pagination block; pages past the end are empty, not errors. */
export function paginate<T>(
  items: readonly T[],
  query: ListQuery,
  baseUrl: string,
  path: string,
): { pagination: Pagination; page: T[] } {
  const totalPages = Math.max(1, Math.ceil(items.length / query.perPage));
  const start = (query.page - 1) * query.perPage;
  const page = start < items.length ? items.slice(start, start + query.perPage) : [];
  const href = (n: number) => ({ href: pageHref(baseUrl, path, query, n) });
  return {
    pagination: {
      total_results: items.length,
      total_pages: totalPages,
      first: href(1),
      last: href(totalPages),
      next: query.page < totalPages ? href(query.page + 1) : null,
      previous: query.page > 1 ? href(query.page - 1) : null,
    },
    page,
  };
}
