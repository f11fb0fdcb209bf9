import { deriveGuid } from "../guid.js";
import type {
  AppRecord,
  DomainRecord,
  OrgRecord,
  ProcessRecord,
  RouteRecord,
  SpaceRecord,
} from "../model/records.js";
import type { LandscapeStore } from "../model/store.js";

/** JSON shapes of the CC v3 resources, field for field as the v3 docs show them. */
export class Presenter {
  constructor(
    private readonly api: string,
    private readonly store: LandscapeStore,
  ) {}

  private link(path: string): { href: string } {
    return { href: `${this.api}${path}` };
  }

  private post(path: string): { href: string; method: "POST" } {
    return { href: `${this.api}${path}`, method: "POST" };
  }

  organization(o: OrgRecord): object {
    return {
      guid: o.guid,
      created_at: o.createdAt,
      updated_at: o.updatedAt,
      name: o.name,
      suspended: false,
      relationships: { quota: { data: { guid: deriveGuid("quota", "default") } } },
      metadata: { labels: {}, annotations: {} },
      links: {
        self: this.link(`/v3/organizations/${o.guid}`),
        domains: this.link(`/v3/organizations/${o.guid}/domains`),
        default_domain: this.link(`/v3/organizations/${o.guid}/domains/default`),
        quota: this.link(`/v3/organization_quotas/${deriveGuid("quota", "default")}`),
      },
    };
  }

  space(s: SpaceRecord): object {
    return {
      guid: s.guid,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
      name: s.name,
      suspended: false,
      relationships: { organization: { data: { guid: s.orgGuid } }, quota: { data: null } },
      metadata: { labels: {}, annotations: {} },
      links: {
        self: this.link(`/v3/spaces/${s.guid}`),
        features: this.link(`/v3/spaces/${s.guid}/features`),
        organization: this.link(`/v3/organizations/${s.orgGuid}`),
        apply_manifest: this.post(`/v3/spaces/${s.guid}/actions/apply_manifest`),
      },
    };
  }

  app(a: AppRecord): object {
    const p = `/v3/apps/${a.guid}`;
    const droplet = deriveGuid("droplet", `${a.guid}:${a.generation}`);
    return {
      guid: a.guid,
      created_at: a.createdAt,
      updated_at: a.updatedAt,
      name: a.name,
      state: a.state,
      lifecycle: { type: "buildpack", data: { buildpacks: ["nodejs_buildpack"], stack: "cflinuxfs4" } },
      relationships: {
        space: { data: { guid: a.spaceGuid } },
        current_droplet: { data: { guid: droplet } },
      },
      metadata: { labels: { ...a.labels }, annotations: { ...a.annotations } },
      links: {
        self: this.link(p),
        environment_variables: this.link(`${p}/environment_variables`),
        space: this.link(`/v3/spaces/${a.spaceGuid}`),
        processes: this.link(`${p}/processes`),
        packages: this.link(`${p}/packages`),
        current_droplet: this.link(`${p}/droplets/current`),
        droplets: this.link(`${p}/droplets`),
        tasks: this.link(`${p}/tasks`),
        start: this.post(`${p}/actions/start`),
        stop: this.post(`${p}/actions/stop`),
        revisions: this.link(`${p}/revisions`),
        deployed_revisions: this.link(`${p}/revisions/deployed`),
        features: this.link(`${p}/features`),
      },
    };
  }

  process(pr: ProcessRecord): object {
    const app = this.store.apps.get(pr.appGuid);
    const p = `/v3/processes/${pr.guid}`;
    return {
      guid: pr.guid,
      created_at: pr.createdAt,
      updated_at: pr.updatedAt,
      version: pr.version,
      type: pr.type,
      command: "[PRIVATE DATA HIDDEN IN LISTS]",
      user: "vcap",
      instances: pr.instances,
      memory_in_mb: 256,
      disk_in_mb: 1024,
      log_rate_limit_in_bytes_per_second: -1,
      health_check: { type: "port", data: { timeout: null, invocation_timeout: null, interval: null } },
      readiness_health_check: { type: "process", data: { invocation_timeout: null, interval: null } },
      relationships: { app: { data: { guid: pr.appGuid } }, revision: { data: null } },
      metadata: { labels: {}, annotations: {} },
      links: {
        self: this.link(p),
        scale: this.post(`${p}/actions/scale`),
        app: this.link(`/v3/apps/${pr.appGuid}`),
        space: this.link(`/v3/spaces/${app?.spaceGuid ?? ""}`),
        stats: this.link(`${p}/stats`),
        process_instances: this.link(`${p}/process_instances`),
      },
    };
  }

  route(r: RouteRecord): object {
    // CC takes a route's protocol from its domain; TCP routes have a port, and their destinations speak tcp.
    const tcp = r.port !== undefined;
    return {
      guid: r.guid,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      protocol: tcp ? "tcp" : "http",
      host: r.host,
      path: r.path,
      port: r.port ?? null,
      url: this.store.routeUrl(r),
      destinations: r.destinations.map((d) => ({
        guid: d.guid,
        app: { guid: d.appGuid, process: { type: d.processType } },
        weight: null,
        port: d.port,
        protocol: tcp ? "tcp" : "http1",
        created_at: d.createdAt,
        updated_at: d.createdAt,
      })),
      relationships: { space: { data: { guid: r.spaceGuid } }, domain: { data: { guid: r.domainGuid } } },
      metadata: { labels: {}, annotations: {} },
      links: {
        self: this.link(`/v3/routes/${r.guid}`),
        space: this.link(`/v3/spaces/${r.spaceGuid}`),
        destinations: this.link(`/v3/routes/${r.guid}/destinations`),
        domain: this.link(`/v3/domains/${r.domainGuid}`),
      },
    };
  }

  domain(d: DomainRecord): object {
    return {
      guid: d.guid,
      created_at: d.createdAt,
      updated_at: d.updatedAt,
      name: d.name,
      internal: d.internal,
      router_group: d.tcp ? { guid: deriveGuid("router-group", "default-tcp") } : null,
      supported_protocols: [d.tcp ? "tcp" : "http"],
      relationships: { organization: { data: null }, shared_organizations: { data: [] } },
      metadata: { labels: {}, annotations: {} },
      links: {
        self: this.link(`/v3/domains/${d.guid}`),
        route_reservations: this.link(`/v3/domains/${d.guid}/route_reservations`),
        shared_organizations: this.link(`/v3/domains/${d.guid}/relationships/shared_organizations`),
      },
    };
  }

  /** One entry per desired index; indices Diego does not report are DOWN fill-ins. */
  stats(app: AppRecord): { resources: object[] } {
    const resources: object[] = [];
    for (let index = 0; index < app.web.instances; index++) {
      const state = this.store.instanceState(app, index);
      if (state === "DOWN") {
        resources.push({
          type: "web",
          index,
          state,
          routable: false,
          uptime: 0,
          isolation_segment: null,
          details: null,
        });
        continue;
      }
      resources.push({
        type: "web",
        index,
        instance_guid: this.store.instanceGuid(app, index),
        state,
        routable: state === "RUNNING",
        host: `10.0.16.${10 + (index % 200)}`,
        instance_internal_ip: `10.255.${index % 250}.${(app.web.seq % 250) + 1}`,
        instance_ports: [
          {
            external: 61000 + index,
            internal: 8080,
            external_tls_proxy_port: 61500 + index,
            internal_tls_proxy_port: 61443,
          },
        ],
        uptime: state === "RUNNING" ? 3600 + index : 0,
        mem_quota: 268435456,
        disk_quota: 1073741824,
        log_rate_limit: -1,
        fds_quota: 16384,
        isolation_segment: null,
        details: state === "CRASHED" ? "APP/PROC/WEB: Exited with status 1" : null,
        usage: {
          time: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          cpu: 0.004,
          cpu_entitlement: 0.01,
          mem: 19177472,
          disk: 69705728,
          log_rate: 0,
        },
      });
    }
    return { resources };
  }
}
