import type { SimContext } from "../context.js";
import { deriveGuid } from "../guid.js";
import type { ServiceBindingRecord, ServiceInstanceRecord } from "../model/services.js";
import { type CcError, CcRequestError, ccErrors } from "./errors.js";
import { type ListEndpointSpec, matchesTimestamps, parseListQuery } from "./query.js";
import { collect, type ListContext, order, pageOf, setOf } from "./select.js";

/** CC's answer to a role that sees a resource but may not do this with it. */
const notAuthorized = (): CcError => ({
  status: 403,
  title: "CF-NotAuthorized",
  code: 10003,
  detail: "You are not authorized to perform the requested action",
});

const INSTANCE_SPEC: ListEndpointSpec = {
  filters: ["names", "type", "space_guids", "organization_guids"],
  orderBy: ["created_at", "updated_at", "name"],
};

const BINDING_SPEC: ListEndpointSpec = {
  filters: ["names", "type", "service_instance_guids", "service_instance_names", "app_guids", "app_names"],
  includes: ["app", "service_instance"],
  orderBy: ["created_at", "updated_at", "name"],
};

/**
 * The service endpoints of the simulated CC (v3 docs, resources/service_instances and
 * resources/service_credential_bindings), for user-provided and managed instances and app bindings:
 * - GET /v3/service_instances[/:guid[/credentials]]
 * - GET /v3/service_credential_bindings[/:guid[/details]], with `include=app,service_instance`
 * `who` is the token's user name or client id; auditors get CC's refusals for credentials. Returns undefined for
 * paths that are not service paths.
 */
export function resolveServices(
  ctx: SimContext,
  path: string,
  params: URLSearchParams,
  who: string,
): object | undefined {
  const [collection, guid, sub, more] = path.split("/").slice(2);
  if (more !== undefined) return undefined;
  const list: ListContext = { store: ctx.store, present: ctx.presenter, api: ctx.apiUrl, path, params };
  const services = ctx.services;
  if (collection === "service_instances") {
    if (guid === undefined) return listInstances(ctx, list);
    const instance = services.instances.get(guid);
    if (!instance) throw new CcRequestError(ccErrors.resourceNotFound("Service instance"));
    if (sub === undefined) return presentInstance(ctx, instance);
    if (sub === "credentials") {
      // Only user-provided instances have this endpoint; CC looks the guid up among them alone.
      if (instance.type !== "user-provided") {
        throw new CcRequestError(ccErrors.resourceNotFound("Service instance"));
      }
      if (services.auditors.has(who)) throw new CcRequestError(notAuthorized());
      return instance.credentials as object;
    }
    return undefined;
  }
  if (collection === "service_credential_bindings") {
    if (guid === undefined) return listBindings(ctx, list);
    const binding = services.liveBindings().find((b) => b.guid === guid);
    if (!binding) throw new CcRequestError(ccErrors.resourceNotFound("Service credential binding"));
    if (sub === undefined) return presentBinding(ctx, binding);
    if (sub === "details") {
      // CC answers a role that cannot read secrets in the binding's space as if the binding did not exist.
      if (services.auditors.has(who)) {
        throw new CcRequestError(ccErrors.resourceNotFound("Service credential binding"));
      }
      // A binding not created yet (or whose creation failed) has no credentials: CC answers 404.
      const op = binding.lastOperation;
      if (op && op.type === "create" && op.state !== "succeeded") {
        throw new CcRequestError(ccErrors.resourceNotFound("Service credential binding"));
      }
      return { credentials: binding.credentials, syslog_drain_url: null, volume_mounts: [] };
    }
  }
  return undefined;
}

function listInstances(ctx: SimContext, list: ListContext): object {
  const q = parseListQuery(list.params, INSTANCE_SPEC);
  const f = q.filters;
  const guids = setOf(f.get("guids"));
  const names = setOf(f.get("names"));
  const spaces = setOf(f.get("space_guids"));
  const orgs = setOf(f.get("organization_guids"));
  const types = f.get("type");
  const items = collect(ctx.services.instances, undefined, (i) => {
    if (guids && !guids.has(i.guid)) return false;
    if (names && !names.has(i.name)) return false;
    if (spaces && !spaces.has(i.spaceGuid)) return false;
    if (orgs && !orgs.has(ctx.store.spaces.get(i.spaceGuid)?.orgGuid ?? "")) return false;
    if (types && !types.includes(i.type)) return false;
    return matchesTimestamps(i, q.timestamps);
  });
  const { pagination, resources } = pageOf(
    list,
    q,
    order(items, q, (i) => i.name),
    (i) => presentInstance(ctx, i),
  );
  return { pagination, resources };
}

function listBindings(ctx: SimContext, list: ListContext): object {
  const q = parseListQuery(list.params, BINDING_SPEC);
  const f = q.filters;
  const types = f.get("type");
  if (types?.some((t) => t !== "app" && t !== "key")) {
    throw new CcRequestError(ccErrors.badQueryParameter(["Type must be one of 'app', 'key'"]));
  }
  const guids = setOf(f.get("guids"));
  const names = setOf(f.get("names"));
  const instanceGuids = setOf(f.get("service_instance_guids"));
  const instanceNames = setOf(f.get("service_instance_names"));
  const appGuids = setOf(f.get("app_guids"));
  const appNames = setOf(f.get("app_names"));
  const s = ctx.services;
  const byGuid = new Map(s.liveBindings().map((b) => [b.guid, b] as const));
  const items = collect(byGuid, undefined, (b) => {
    const instance = s.instances.get(b.instanceGuid);
    // Only app bindings exist here; type=key matches none.
    if (types && !types.includes("app")) return false;
    if (guids && !guids.has(b.guid)) return false;
    if (names && !names.has(b.name ?? "")) return false;
    if (instanceGuids && !instanceGuids.has(b.instanceGuid)) return false;
    if (instanceNames && !instanceNames.has(instance?.name ?? "")) return false;
    if (appGuids && !appGuids.has(b.appGuid)) return false;
    if (appNames && !appNames.has(ctx.store.apps.get(b.appGuid)?.name ?? "")) return false;
    return matchesTimestamps(b, q.timestamps);
  });
  const result = pageOf(
    list,
    q,
    order(items, q, (b) => b.name ?? ""),
    (b) => presentBinding(ctx, b),
  );
  const included: Record<string, object[]> = {};
  if (q.include.includes("app")) {
    const apps = new Set(result.page.map((b) => b.appGuid));
    included.apps = [...apps].flatMap((g) => {
      const app = ctx.store.apps.get(g);
      return app ? [ctx.presenter.app(app)] : [];
    });
  }
  if (q.include.includes("service_instance")) {
    const instances = new Set(result.page.map((b) => b.instanceGuid));
    included.service_instances = [...instances].flatMap((g) => {
      const instance = s.instances.get(g);
      return instance ? [presentInstance(ctx, instance)] : [];
    });
  }
  return {
    pagination: result.pagination,
    resources: result.resources,
    ...(q.include.length > 0 ? { included } : {}),
  };
}

/** CC's two shapes (api_resources/_service_instances.erb): a managed instance has a plan and no credentials link. */
function presentInstance(ctx: SimContext, i: ServiceInstanceRecord): object {
  const link = (p: string) => ({ href: `${ctx.apiUrl}${p}` });
  const self = `/v3/service_instances/${i.guid}`;
  const common = {
    guid: i.guid,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    name: i.name,
    tags: [],
    last_operation: {
      type: "create",
      state: "succeeded",
      description: "Operation succeeded",
      created_at: i.createdAt,
      updated_at: i.updatedAt,
    },
    metadata: { labels: {}, annotations: {} },
  };
  const bindingLinks = {
    service_credential_bindings: link(`/v3/service_credential_bindings?service_instance_guids=${i.guid}`),
    service_route_bindings: link(`/v3/service_route_bindings?service_instance_guids=${i.guid}`),
  };
  if (i.type === "managed") {
    const plan = deriveGuid("service-plan", i.guid);
    return {
      ...common,
      type: "managed",
      maintenance_info: { version: "1.0.0" },
      upgrade_available: false,
      dashboard_url: null,
      relationships: { service_plan: { data: { guid: plan } }, space: { data: { guid: i.spaceGuid } } },
      links: {
        self: link(self),
        service_plan: link(`/v3/service_plans/${plan}`),
        space: link(`/v3/spaces/${i.spaceGuid}`),
        parameters: link(`${self}/parameters`),
        ...bindingLinks,
      },
    };
  }
  return {
    ...common,
    type: "user-provided",
    syslog_drain_url: null,
    route_service_url: null,
    relationships: { space: { data: { guid: i.spaceGuid } } },
    links: {
      self: link(self),
      space: link(`/v3/spaces/${i.spaceGuid}`),
      credentials: link(`${self}/credentials`),
      ...bindingLinks,
    },
  };
}

function presentBinding(ctx: SimContext, b: ServiceBindingRecord): object {
  const link = (p: string) => ({ href: `${ctx.apiUrl}${p}` });
  const self = `/v3/service_credential_bindings/${b.guid}`;
  return {
    guid: b.guid,
    created_at: b.createdAt,
    updated_at: b.updatedAt,
    name: b.name ?? null,
    type: "app",
    // User-provided bindings are created at once: CC records a succeeded create. A managed one may be under way.
    last_operation: {
      type: b.lastOperation?.type ?? "create",
      state: b.lastOperation?.state ?? "succeeded",
      description: "",
      created_at: b.createdAt,
      updated_at: b.updatedAt,
    },
    metadata: { labels: {}, annotations: {} },
    relationships: {
      app: { data: { guid: b.appGuid } },
      service_instance: { data: { guid: b.instanceGuid } },
    },
    links: {
      self: link(self),
      details: link(`${self}/details`),
      service_instance: link(`/v3/service_instances/${b.instanceGuid}`),
      app: link(`/v3/apps/${b.appGuid}`),
    },
  };
}
