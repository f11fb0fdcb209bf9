import type { ServerResponse } from "node:http";
import type { SimContext } from "../context.js";
import type { CcListFaults } from "../types.js";
import { ccErrors, errorBody } from "./errors.js";
import { splitFilterValue } from "./query.js";

/**
 * Faults of list answers that real Cloud Controllers (or what stands in front of them) show under stress:
 * slow big pages, `next` links that never end or that name another origin, bodies that never end, and
 * 500s for any list request naming one key. Set from the landscape file (`listFaults`) or the admin API.
 */

/** Checks a fault spec (admin API input) and names the first bad field. */
export function parseListFaults(input: unknown): CcListFaults {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new Error("list faults must be an object");
  }
  const f = input as Record<string, unknown>;
  const known = ["endlessNext", "linkOrigin", "pageDelayMsPerItem", "endlessBodyPaths", "failKeys"];
  const extra = Object.keys(f).filter((k) => !known.includes(k));
  if (extra.length > 0) throw new Error(`unknown list fault(s): ${extra.join(", ")}`);
  if (f.endlessNext !== undefined && typeof f.endlessNext !== "boolean")
    throw new Error("endlessNext must be a boolean");
  if (
    f.linkOrigin !== undefined &&
    (typeof f.linkOrigin !== "string" || !/^https?:\/\/[^/]+$/.test(f.linkOrigin))
  )
    throw new Error("linkOrigin must be an origin such as https://localhost:8443");
  if (
    f.pageDelayMsPerItem !== undefined &&
    !(typeof f.pageDelayMsPerItem === "number" && f.pageDelayMsPerItem >= 0)
  )
    throw new Error("pageDelayMsPerItem must be a non-negative number");
  for (const key of ["endlessBodyPaths", "failKeys"] as const) {
    const v = f[key];
    if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === "string")))
      throw new Error(`${key} must be a list of strings`);
  }
  return f as CcListFaults;
}

/** A list request: any GET under /v3 without a guid after the collection, or a per-app sub-list. */
function isList(path: string): boolean {
  const parts = path.split("/").filter(Boolean);
  return parts[0] === "v3" && (parts.length === 2 || (parts.length === 4 && parts[1] !== "processes"));
}

/**
 * Applies the faults that replace or delay the answer. Returns true when the answer was sent (or the
 * connection dropped) here.
 */
export async function beforeList(
  ctx: SimContext,
  res: ServerResponse,
  path: string,
  params: URLSearchParams,
): Promise<boolean> {
  const faults = ctx.listFaults;
  if (!isList(path)) return false;
  const perPage = Number(params.get("per_page") ?? "50");
  if (faults.pageDelayMsPerItem && Number.isFinite(perPage)) {
    if (!(await ctx.delays.wait(faults.pageDelayMsPerItem * perPage))) {
      res.socket?.destroy();
      return true;
    }
  }
  const failKeys = new Set((faults.failKeys ?? []).map((k) => k.toLowerCase()));
  if (failKeys.size > 0) {
    for (const [key, raw] of params) {
      if (key === "page" || key === "per_page") continue;
      if (splitFilterValue(raw).some((v) => failKeys.has(v.toLowerCase()))) {
        const body = JSON.stringify(errorBody(ccErrors.unknown()));
        res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
        res.end(body);
        return true;
      }
    }
  }
  if (faults.endlessBodyPaths?.some((prefix) => path.startsWith(prefix))) {
    sendEndless(res);
    return true;
  }
  return false;
}

/** 200 with a JSON body that never ends, written as fast as the peer reads, until it goes away. */
function sendEndless(res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
  const chunk = Buffer.from(`${'{"guid":"x","name":"endless"},'.repeat(2048)}`);
  res.write('{"pagination":{"total_pages":1,"next":null},"resources":[');
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk)) {
      // keep writing while the socket accepts
    }
    if (!res.destroyed) res.once("drain", pump);
  };
  res.on("close", () => res.removeAllListeners("drain"));
  pump();
}

/** Rewrites the paging links of a list answer: another origin, or a `next` that always names page N+1. */
export function afterList(ctx: SimContext, path: string, params: URLSearchParams, body: object): object {
  const faults = ctx.listFaults;
  const pagination = (body as { pagination?: Record<string, { href: string } | null> }).pagination;
  if (!pagination || !isList(path)) return body;
  if (faults.endlessNext) {
    const page = Number(params.get("page") ?? "1");
    const next = new URL(`${ctx.apiUrl}${path}?${params.toString()}`);
    next.searchParams.set("page", String(page + 1));
    pagination.next = { href: next.href };
  }
  if (faults.linkOrigin) {
    for (const [name, link] of Object.entries(pagination)) {
      if (link && typeof link === "object" && typeof link.href === "string") {
        pagination[name] = { href: link.href.replace(ctx.apiUrl, faults.linkOrigin) };
      }
    }
  }
  return body;
}
