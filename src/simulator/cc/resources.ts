import type { SimContext } from "../context.js";
import { CcRequestError, ccErrors } from "./errors.js";
import { listApps, listDomains, listOrganizations, listProcesses, listRoutes, listSpaces } from "./lists.js";
import type { ListContext } from "./select.js";

/** Answers the authenticated /v3 resource paths (GET only); throws CcRequestError for 4xx answers. */
export function resolveV3(ctx: SimContext, path: string, params: URLSearchParams): object {
  const segments = path.split("/").slice(2); // ["apps", guid, ...] after "", "v3"
  const list: ListContext = { store: ctx.store, present: ctx.presenter, api: ctx.apiUrl, path, params };
  const s = ctx.store;
  const p = ctx.presenter;
  const [collection, guid, sub, subId, subSub] = segments;
  const notFound = (what: string) => new CcRequestError(ccErrors.resourceNotFound(what));

  switch (collection) {
    case "organizations":
      if (guid === undefined) return listOrganizations(list);
      if (sub === undefined) {
        const org = s.orgs.get(guid);
        if (!org) throw notFound("Organization");
        return p.organization(org);
      }
      if (sub === "domains" && subId === undefined) return listDomains(list, guid);
      break;
    case "spaces":
      if (guid === undefined) return listSpaces(list);
      if (sub === undefined) {
        const space = s.spaces.get(guid);
        if (!space) throw notFound("Space");
        return p.space(space);
      }
      break;
    case "apps": {
      if (guid === undefined) return listApps(list);
      const app = s.apps.get(guid);
      if (sub === undefined) {
        if (!app) throw notFound("App");
        return p.app(app);
      }
      if (sub === "processes" && subId === undefined) return listProcesses(list, guid);
      if (sub === "routes" && subId === undefined) return listRoutes(list, guid);
      if (sub === "processes" && subId !== undefined) {
        if (!app) throw notFound("App");
        if (subId !== app.web.type) throw notFound("Process");
        if (subSub === undefined) return p.process(app.web);
        if (subSub === "stats" && segments.length === 5) return p.stats(app);
      }
      break;
    }
    case "processes": {
      if (guid === undefined) return listProcesses(list);
      const process = s.processes.get(guid);
      const app = process ? s.apps.get(process.appGuid) : undefined;
      if (sub === undefined) {
        if (!process) throw notFound("Process");
        return p.process(process);
      }
      if (sub === "stats" && subId === undefined) {
        if (!process || !app) throw notFound("Process");
        return p.stats(app);
      }
      break;
    }
    case "routes":
      if (guid === undefined) return listRoutes(list);
      if (sub === undefined) {
        const route = s.routes.get(guid);
        if (!route) throw notFound("Route");
        return p.route(route);
      }
      break;
    case "domains":
      if (guid === undefined) return listDomains(list);
      if (sub === undefined) {
        const domain = s.domains.get(guid);
        if (!domain) throw notFound("Domain");
        return p.domain(domain);
      }
      break;
  }
  throw new CcRequestError(ccErrors.notFound());
}

/** GET / : the global root document. */
export function rootDocument(ctx: SimContext): object {
  const api = ctx.apiUrl;
  return {
    links: {
      self: { href: api },
      bits_service: null,
      cloud_controller_v3: { href: `${api}/v3`, meta: { version: ctx.apiVersion } },
      network_policy_v0: { href: `${api}/networking/v0/external` },
      network_policy_v1: { href: `${api}/networking/v1/external` },
      login: { href: ctx.uaaUrl },
      uaa: { href: ctx.uaaUrl },
      credhub: null,
      routing: null,
      logging: null,
      log_cache: null,
      log_stream: null,
      app_ssh: null,
    },
  };
}

/** GET /v3 : links to the v3 resources. */
export function v3Document(ctx: SimContext): object {
  const v3 = `${ctx.apiUrl}/v3`;
  const names = ["apps", "domains", "info", "organizations", "processes", "routes", "spaces"];
  return {
    links: { self: { href: v3 }, ...Object.fromEntries(names.map((n) => [n, { href: `${v3}/${n}` }])) },
  };
}

export function v3Info(ctx: SimContext): object {
  const limit = ctx.limiter.current();
  return {
    build: "",
    cli_version: { minimum: "", recommended: "" },
    custom: {},
    description: "Cloud Foundry simulator",
    name: "",
    version: 0,
    osbapi_version: "2.15",
    rate_limits: {
      enabled: limit !== undefined,
      general_limit: limit?.limit ?? 0,
      reset_interval_in_minutes: limit ? Math.ceil(limit.windowSeconds / 60) : 0,
    },
    links: { self: { href: `${ctx.apiUrl}/v3/info` }, support: { href: "" } },
  };
}

/** GET /v2/info as CC serves it with v2 disabled; `user` only for a valid token. */
export function v2Info(ctx: SimContext, userGuid: string | undefined): object {
  return {
    name: "",
    build: "",
    support: "CF API v2 is disabled",
    version: 0,
    description: "",
    authorization_endpoint: ctx.uaaUrl,
    token_endpoint: ctx.uaaUrl,
    min_cli_version: null,
    min_recommended_cli_version: null,
    app_ssh_endpoint: "",
    app_ssh_host_key_fingerprint: "",
    app_ssh_oauth_client: "ssh-proxy",
    doppler_logging_endpoint: "",
    api_version: "",
    osbapi_version: "2.15",
    ...(userGuid ? { user: userGuid } : {}),
  };
}
