import type { RouteRecord, SpaceRecord } from "../model/records.js";
import type { ListContext } from "./select.js";

/** The de-duplicated `included` block of list responses. */
export function includedOrgs(ctx: ListContext, spaces: SpaceRecord[]): object[] {
  const seen = new Set<string>();
  const out: object[] = [];
  for (const s of spaces) {
    if (seen.has(s.orgGuid)) continue;
    seen.add(s.orgGuid);
    const org = ctx.store.orgs.get(s.orgGuid);
    if (org) out.push(ctx.present.organization(org));
  }
  return out;
}

export function includedSpaces(
  ctx: ListContext,
  spaceGuids: Iterable<string>,
): { spaces: object[]; records: SpaceRecord[] } {
  const seen = new Set<string>();
  const records: SpaceRecord[] = [];
  for (const guid of spaceGuids) {
    if (seen.has(guid)) continue;
    seen.add(guid);
    const space = ctx.store.spaces.get(guid);
    if (space) records.push(space);
  }
  return { spaces: records.map((s) => ctx.present.space(s)), records };
}

export function includeSpaceAndOrg(
  ctx: ListContext,
  include: string[],
  spaceGuids: string[],
): Record<string, object[]> {
  const out: Record<string, object[]> = {};
  if (include.includes("space") || include.includes("space.organization")) {
    const { spaces, records } = includedSpaces(ctx, spaceGuids);
    out.spaces = spaces;
    if (include.includes("space.organization")) out.organizations = includedOrgs(ctx, records);
  }
  return out;
}

export function includedDomains(ctx: ListContext, routes: RouteRecord[]): object[] {
  const seen = new Set<string>();
  const out: object[] = [];
  for (const r of routes) {
    const d = ctx.store.domains.get(r.domainGuid);
    if (d && !seen.has(d.guid)) {
      seen.add(d.guid);
      out.push(ctx.present.domain(d));
    }
  }
  return out;
}
