import type { AppRecord, RouteRecord } from "../model/records.js";
import { CcRequestError, ccErrors } from "./errors.js";
import { includedDomains, includedOrgs, includeSpaceAndOrg } from "./includes.js";
import { type ListEndpointSpec, matchesLabels, matchesTimestamps, parseListQuery } from "./query.js";
import { collect, type ListContext, lowerSet, order, pageOf, setOf, union } from "./select.js";

export type { ListContext } from "./select.js";

const ORG_SPEC: ListEndpointSpec = { filters: ["names"], orderBy: ["created_at", "updated_at", "name"] };

export function listOrganizations(ctx: ListContext): object {
  const q = parseListQuery(ctx.params, ORG_SPEC);
  const guids = setOf(q.filters.get("guids"));
  const names = lowerSet(q.filters.get("names"));
  const candidates = guids ?? (names ? union(ctx.store.orgsByName, [...names]) : undefined);
  const items = collect(ctx.store.orgs, candidates, (o) => {
    if (guids && !guids.has(o.guid)) return false;
    if (names && !names.has(o.name.toLowerCase())) return false;
    return matchesLabels({}, q.labels) && matchesTimestamps(o, q.timestamps);
  });
  const { pagination, resources } = pageOf(
    ctx,
    q,
    order(items, q, (o) => o.name),
    (o) => ctx.present.organization(o),
  );
  return { pagination, resources };
}

const SPACE_SPEC: ListEndpointSpec = {
  filters: ["names", "organization_guids"],
  includes: ["organization"],
  orderBy: ["created_at", "updated_at", "name"],
};

export function listSpaces(ctx: ListContext): object {
  const q = parseListQuery(ctx.params, SPACE_SPEC);
  const guids = setOf(q.filters.get("guids"));
  const names = lowerSet(q.filters.get("names"));
  const orgs = setOf(q.filters.get("organization_guids"));
  const candidates =
    guids ??
    (names
      ? union(ctx.store.spacesByName, [...names])
      : orgs
        ? union(ctx.store.spacesByOrg, [...orgs])
        : undefined);
  const items = collect(ctx.store.spaces, candidates, (s) => {
    if (guids && !guids.has(s.guid)) return false;
    if (names && !names.has(s.name.toLowerCase())) return false;
    if (orgs && !orgs.has(s.orgGuid)) return false;
    return matchesLabels({}, q.labels) && matchesTimestamps(s, q.timestamps);
  });
  const result = pageOf(
    ctx,
    q,
    order(items, q, (s) => s.name),
    (s) => ctx.present.space(s),
  );
  const included = q.include.includes("organization")
    ? { included: { organizations: includedOrgs(ctx, result.page) } }
    : {};
  return { pagination: result.pagination, resources: result.resources, ...included };
}

const APP_SPEC: ListEndpointSpec = {
  filters: ["names", "space_guids", "organization_guids", "stacks", "lifecycle_type"],
  includes: ["space", "space.organization"],
  orderBy: ["created_at", "updated_at", "name", "state"],
};

export function listApps(ctx: ListContext): object {
  const q = parseListQuery(ctx.params, APP_SPEC);
  const f = q.filters;
  const guids = setOf(f.get("guids"));
  const names = lowerSet(f.get("names"));
  const spaces = setOf(f.get("space_guids"));
  const orgs = setOf(f.get("organization_guids"));
  const stacks = setOf(f.get("stacks"));
  const lifecycle = setOf(f.get("lifecycle_type"));
  const s = ctx.store;
  const candidates =
    guids ??
    (names
      ? union(s.appsByName, [...names])
      : spaces
        ? union(s.appsBySpace, [...spaces])
        : orgs
          ? union(s.appsByOrg, [...orgs])
          : undefined);
  const items = collect(s.apps, candidates, (a) => {
    if (guids && !guids.has(a.guid)) return false;
    if (names && !names.has(a.name.toLowerCase())) return false;
    if (spaces && !spaces.has(a.spaceGuid)) return false;
    if (orgs && !orgs.has(a.orgGuid)) return false;
    if (stacks && !stacks.has("cflinuxfs4")) return false;
    if (lifecycle && !lifecycle.has("buildpack")) return false;
    return matchesLabels(a.labels, q.labels) && matchesTimestamps(a, q.timestamps);
  });
  const sorted = order(items, q, (a, field) => (field === "state" ? a.state : a.name));
  const result = pageOf(ctx, q, sorted, (a) => ctx.present.app(a));
  const included = includeSpaceAndOrg(
    ctx,
    q.include,
    result.page.map((a: AppRecord) => a.spaceGuid),
  );
  return {
    pagination: result.pagination,
    resources: result.resources,
    ...(q.include.length > 0 ? { included } : {}),
  };
}

const PROCESS_SPEC: ListEndpointSpec = {
  filters: ["types", "app_guids", "space_guids", "organization_guids"],
  orderBy: ["created_at", "updated_at"],
  ignored: ["embed"],
};
const APP_PROCESS_SPEC: ListEndpointSpec = {
  filters: ["types"],
  orderBy: ["created_at", "updated_at"],
  ignored: ["embed"],
};

/** GET /v3/processes, or GET /v3/apps/:guid/processes when `appGuid` is given. */
export function listProcesses(ctx: ListContext, appGuid?: string): object {
  const s = ctx.store;
  if (appGuid !== undefined && !s.apps.has(appGuid))
    throw new CcRequestError(ccErrors.resourceNotFound("App"));
  const q = parseListQuery(ctx.params, appGuid === undefined ? PROCESS_SPEC : APP_PROCESS_SPEC);
  const f = q.filters;
  const guids = setOf(f.get("guids"));
  const types = setOf(f.get("types"));
  const apps = appGuid !== undefined ? new Set([appGuid]) : setOf(f.get("app_guids"));
  const spaces = setOf(f.get("space_guids"));
  const orgs = setOf(f.get("organization_guids"));
  // A process guid is reachable through its app, so app-based indexes narrow processes too.
  const appCandidates =
    apps ?? (spaces ? union(s.appsBySpace, [...spaces]) : orgs ? union(s.appsByOrg, [...orgs]) : undefined);
  const candidates =
    guids ??
    (appCandidates
      ? new Set(
          [...appCandidates].flatMap((g) => {
            const app = s.apps.get(g);
            return app ? [app.web.guid, ...app.otherProcesses.map((p) => p.guid)] : [];
          }),
        )
      : undefined);
  const items = collect(s.processes, candidates, (p) => {
    const app = s.apps.get(p.appGuid);
    if (!app) return false;
    if (guids && !guids.has(p.guid)) return false;
    if (types && !types.has(p.type)) return false;
    if (apps && !apps.has(p.appGuid)) return false;
    if (spaces && !spaces.has(app.spaceGuid)) return false;
    if (orgs && !orgs.has(app.orgGuid)) return false;
    return matchesLabels({}, q.labels) && matchesTimestamps(p, q.timestamps);
  });
  const { pagination, resources } = pageOf(ctx, q, order(items, q), (p) => ctx.present.process(p));
  return { pagination, resources };
}

const ROUTE_FILTERS = ["domain_guids", "hosts", "paths", "ports", "space_guids", "organization_guids"];
const ROUTE_SPEC: ListEndpointSpec = {
  filters: ["app_guids", ...ROUTE_FILTERS, "service_instance_guids"],
  includes: ["domain", "space", "space.organization"],
  orderBy: ["created_at", "updated_at"],
};
const APP_ROUTE_SPEC: ListEndpointSpec = { filters: ROUTE_FILTERS, orderBy: ["created_at", "updated_at"] };

/** GET /v3/routes, or GET /v3/apps/:guid/routes when `appGuid` is given. */
export function listRoutes(ctx: ListContext, appGuid?: string): object {
  const s = ctx.store;
  if (appGuid !== undefined && !s.apps.has(appGuid))
    throw new CcRequestError(ccErrors.resourceNotFound("App"));
  const q = parseListQuery(ctx.params, appGuid === undefined ? ROUTE_SPEC : APP_ROUTE_SPEC);
  const f = q.filters;
  const guids = setOf(f.get("guids"));
  const apps = appGuid !== undefined ? new Set([appGuid]) : setOf(f.get("app_guids"));
  const domains = setOf(f.get("domain_guids"));
  const hosts = setOf(f.get("hosts"));
  const paths = setOf(f.get("paths"));
  const ports = setOf(f.get("ports"));
  const spaces = setOf(f.get("space_guids"));
  const orgs = setOf(f.get("organization_guids"));
  const serviceInstances = setOf(f.get("service_instance_guids"));
  const candidates =
    guids ??
    (apps
      ? union(s.routesByApp, [...apps])
      : spaces
        ? union(s.routesBySpace, [...spaces])
        : orgs
          ? union(s.routesByOrg, [...orgs])
          : undefined);
  const items = collect(s.routes, candidates, (r: RouteRecord) => {
    if (guids && !guids.has(r.guid)) return false;
    if (apps && !r.destinations.some((d) => apps.has(d.appGuid))) return false;
    if (domains && !domains.has(r.domainGuid)) return false;
    if (hosts && !hosts.has(r.host)) return false;
    if (paths && !paths.has(r.path)) return false;
    if (ports) return false; // HTTP routes have no port
    if (serviceInstances) return false; // no route services in the simulator
    if (spaces && !spaces.has(r.spaceGuid)) return false;
    if (orgs && !orgs.has(r.orgGuid)) return false;
    return matchesLabels({}, q.labels) && matchesTimestamps(r, q.timestamps);
  });
  const result = pageOf(ctx, q, order(items, q), (r) => ctx.present.route(r));
  const included: Record<string, object[]> = includeSpaceAndOrg(
    ctx,
    q.include,
    result.page.map((r) => r.spaceGuid),
  );
  if (q.include.includes("domain")) included.domains = includedDomains(ctx, result.page);
  return {
    pagination: result.pagination,
    resources: result.resources,
    ...(q.include.length > 0 ? { included } : {}),
  };
}

const DOMAIN_SPEC: ListEndpointSpec = {
  filters: ["names", "organization_guids"],
  orderBy: ["created_at", "updated_at"],
};

/** GET /v3/domains, or GET /v3/organizations/:guid/domains (all domains are shared in the simulator). */
export function listDomains(ctx: ListContext, orgGuid?: string): object {
  const s = ctx.store;
  if (orgGuid !== undefined && !s.orgs.has(orgGuid))
    throw new CcRequestError(ccErrors.resourceNotFound("Organization"));
  const q = parseListQuery(ctx.params, DOMAIN_SPEC);
  const guids = setOf(q.filters.get("guids"));
  const names = lowerSet(q.filters.get("names"));
  // organization_guids filters by owning org; shared domains have none.
  const owners = q.filters.get("organization_guids");
  const items = collect(s.domains, guids, (d) => {
    if (guids && !guids.has(d.guid)) return false;
    if (names && !names.has(d.name)) return false;
    if (owners) return false;
    return matchesLabels({}, q.labels) && matchesTimestamps(d, q.timestamps);
  });
  const { pagination, resources } = pageOf(ctx, q, order(items, q), (d) => ctx.present.domain(d));
  return { pagination, resources };
}
