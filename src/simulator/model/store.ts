import { deriveGuid, isGuid } from "../guid.js";
import type { AppSpec, InstanceBehaviour, LandscapeSpec, RouteSpec } from "../types.js";
import {
  APP_PORT,
  type AppRecord,
  ccTimestamp,
  type DestinationRecord,
  type DomainRecord,
  type OrgRecord,
  type ProcessRecord,
  type RouteRecord,
  type SpaceRecord,
} from "./records.js";

export type InstanceState = "RUNNING" | "CRASHED" | "STARTING" | "DOWN";

function addToIndex(index: Map<string, Set<string>>, key: string, value: string): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(value);
}

function removeFromIndex(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

/**
 * The simulated foundation: every resource by guid plus the secondary indexes the list filters and the
 * router need, so a query touches only matching records (10,000+ apps stay cheap).
 */
export class LandscapeStore {
  readonly domains = new Map<string, DomainRecord>();
  readonly orgs = new Map<string, OrgRecord>();
  readonly spaces = new Map<string, SpaceRecord>();
  readonly apps = new Map<string, AppRecord>();
  readonly processes = new Map<string, ProcessRecord>();
  readonly routes = new Map<string, RouteRecord>();

  readonly orgsByName = new Map<string, Set<string>>();
  readonly spacesByOrg = new Map<string, Set<string>>();
  readonly spacesByName = new Map<string, Set<string>>();
  readonly appsBySpace = new Map<string, Set<string>>();
  readonly appsByOrg = new Map<string, Set<string>>();
  readonly appsByName = new Map<string, Set<string>>();
  readonly routesByApp = new Map<string, Set<string>>();
  readonly routesBySpace = new Map<string, Set<string>>();
  readonly routesByOrg = new Map<string, Set<string>>();
  /** lower-case "host.domain" -> routes on that hostname, longest path first (router lookup). */
  readonly routesByHostname = new Map<string, RouteRecord[]>();
  private readonly appNamesInSpace = new Set<string>();
  private readonly routesByKey = new Map<string, RouteRecord>();
  private readonly domainsByName = new Map<string, DomainRecord>();
  private readonly sharedDomain: DomainRecord | undefined;
  private seq = 0;
  private readonly baseMs: number;

  constructor(spec: LandscapeSpec, now = Date.now()) {
    // Creation times lie in the past, one second apart, so created_at order equals creation order.
    this.baseMs = now - 30 * 24 * 3600 * 1000;
    for (const d of spec.domains) {
      const name = d.name.toLowerCase();
      if (this.domainsByName.has(name)) throw new Error(`landscape: domain '${d.name}' is declared twice`);
      const seq = this.nextSeq();
      const rec: DomainRecord = {
        seq,
        createdAt: this.createdAtOf(seq),
        updatedAt: this.createdAtOf(seq),
        guid: this.checkGuid(d.guid ?? deriveGuid("domain", name), `domain '${d.name}'`),
        name,
        internal: d.internal === true,
        tcp: d.tcp === true,
      };
      this.domains.set(rec.guid, rec);
      this.domainsByName.set(name, rec);
    }
    this.sharedDomain = [...this.domains.values()].find((d) => !d.internal && !d.tcp);
    for (const o of spec.orgs) {
      if (this.orgsByName.has(o.name.toLowerCase()))
        throw new Error(`landscape: org '${o.name}' is declared twice`);
      const seq = this.nextSeq();
      const org: OrgRecord = {
        seq,
        createdAt: this.createdAtOf(seq),
        updatedAt: this.createdAtOf(seq),
        guid: this.checkGuid(o.guid ?? deriveGuid("org", o.name), `org '${o.name}'`),
        name: o.name,
      };
      this.orgs.set(org.guid, org);
      addToIndex(this.orgsByName, org.name.toLowerCase(), org.guid);
      for (const s of o.spaces) {
        const where = `space '${o.name}/${s.name}'`;
        const siblings = this.spacesByOrg.get(org.guid);
        if (
          siblings &&
          [...siblings].some((g) => this.spaces.get(g)?.name.toLowerCase() === s.name.toLowerCase())
        ) {
          throw new Error(`landscape: ${where} is declared twice`);
        }
        const seq = this.nextSeq();
        const space: SpaceRecord = {
          seq,
          createdAt: this.createdAtOf(seq),
          updatedAt: this.createdAtOf(seq),
          guid: this.checkGuid(s.guid ?? deriveGuid("space", `${o.name}/${s.name}`), where),
          name: s.name,
          orgGuid: org.guid,
        };
        this.spaces.set(space.guid, space);
        addToIndex(this.spacesByOrg, org.guid, space.guid);
        addToIndex(this.spacesByName, space.name.toLowerCase(), space.guid);
        for (const a of s.apps ?? []) this.addApp(space.guid, a);
      }
    }
  }

  /** Next creation sequence number; its timestamp comes from createdAtOf. */
  private nextSeq(): number {
    return ++this.seq;
  }

  private createdAtOf(seq: number): string {
    return ccTimestamp(Math.min(Date.now(), this.baseMs + seq * 1000));
  }

  private checkGuid(guid: string, where: string): string {
    if (!isGuid(guid)) throw new Error(`landscape: ${where}: guid '${guid}' is not a lowercase UUID`);
    const taken =
      this.domains.has(guid) ||
      this.orgs.has(guid) ||
      this.spaces.has(guid) ||
      this.apps.has(guid) ||
      this.processes.has(guid) ||
      this.routes.has(guid);
    if (taken) throw new Error(`landscape: ${where}: guid '${guid}' is already used`);
    return guid;
  }

  private touch(rec: { updatedAt: string }): void {
    rec.updatedAt = ccTimestamp(Date.now());
  }

  /** Adds an app with its web process and routes; returns the app record. */
  addApp(spaceGuid: string, spec: AppSpec): AppRecord {
    const space = this.spaces.get(spaceGuid);
    if (!space) throw new Error(`space '${spaceGuid}' does not exist`);
    const org = this.orgs.get(space.orgGuid)!;
    const where = `app '${org.name}/${space.name}/${spec.name}'`;
    if (!spec.name) throw new Error("app name must not be empty");
    const lower = spec.name.toLowerCase();
    if (this.appNamesInSpace.has(`${spaceGuid}|${lower}`))
      throw new Error(`landscape: ${where} already exists`);
    const instances = spec.instances ?? 1;
    if (!Number.isInteger(instances) || instances < 0) {
      throw new Error(`landscape: ${where}: instances must be a non-negative integer`);
    }
    const guid = this.checkGuid(
      spec.guid ?? deriveGuid("app", `${org.name}/${space.name}/${spec.name}`),
      where,
    );
    const processSeq = this.nextSeq();
    const processCreated = this.createdAtOf(processSeq);
    const web: ProcessRecord = {
      seq: processSeq,
      createdAt: processCreated,
      updatedAt: processCreated,
      guid: deriveGuid("process", `${guid}:web`),
      appGuid: guid,
      type: "web",
      instances,
      version: deriveGuid("process-version", `${guid}:1`),
    };
    const instanceBehaviour = new Map<number, InstanceBehaviour>();
    for (const [index, b] of Object.entries(spec.instanceBehaviour ?? {}))
      instanceBehaviour.set(Number(index), b);
    const appSeq = this.nextSeq();
    const appCreated = this.createdAtOf(appSeq);
    const app: AppRecord = {
      seq: appSeq,
      createdAt: appCreated,
      updatedAt: appCreated,
      guid,
      name: spec.name,
      spaceGuid,
      orgGuid: org.guid,
      state: spec.state ?? "STARTED",
      labels: { ...(spec.labels ?? {}) },
      annotations: { ...(spec.annotations ?? {}) },
      metricsPath: spec.metricsPath ?? "/metrics",
      behaviour: { ...(spec.behaviour ?? {}) },
      instanceBehaviour,
      generation: 1,
      web,
      otherProcesses: this.otherProcessesOf(guid, spec, where),
    };
    // Like `cf push` without routes: a host named after the app on the first shared domain.
    const defaultHost = lower.replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "app";
    const defaultUrls =
      spec.routeMappings || !this.sharedDomain ? [] : [`${defaultHost}.${this.sharedDomain.name}`];
    const mappings = [...(spec.routes ?? defaultUrls).map((url) => ({ url })), ...(spec.routeMappings ?? [])];
    const parsed = mappings.map((m) => this.parseRouteMapping(app, m, where));
    this.apps.set(guid, app);
    this.processes.set(web.guid, web);
    for (const p of app.otherProcesses) this.processes.set(p.guid, p);
    addToIndex(this.appsBySpace, spaceGuid, guid);
    addToIndex(this.appsByOrg, org.guid, guid);
    addToIndex(this.appsByName, lower, guid);
    this.appNamesInSpace.add(`${spaceGuid}|${lower}`);
    for (const r of parsed) this.mapRoute(app, r.host, r.domain, r.path, r.destination, r.tcpPort);
    return app;
  }

  /** The app's process types besides web (AppSpec.processes). */
  private otherProcessesOf(appGuid: string, spec: AppSpec, where: string): ProcessRecord[] {
    const seen = new Set(["web"]);
    return (spec.processes ?? []).map((p) => {
      if (seen.has(p.type))
        throw new Error(`landscape: ${where}: process type '${p.type}' is declared twice`);
      seen.add(p.type);
      const seq = this.nextSeq();
      return {
        seq,
        createdAt: this.createdAtOf(seq),
        updatedAt: this.createdAtOf(seq),
        guid: deriveGuid("process", `${appGuid}:${p.type}`),
        appGuid,
        type: p.type,
        instances: p.instances ?? 1,
        version: deriveGuid("process-version", `${appGuid}:${p.type}:1`),
      };
    });
  }

  /** A route of the app with its destination; "domain:port" on a TCP domain is a TCP route. */
  private parseRouteMapping(app: AppRecord, mapping: RouteSpec, where: string) {
    const processType = mapping.process ?? "web";
    if (processType !== "web" && !app.otherProcesses.some((p) => p.type === processType)) {
      throw new Error(
        `landscape: ${where}: route '${mapping.url}' leads to undeclared process type '${processType}'`,
      );
    }
    const destination = { processType, port: mapping.port ?? APP_PORT };
    const tcp = /^([^/:]+):(\d+)$/.exec(mapping.url);
    const tcpDomain = tcp ? this.domainsByName.get(tcp[1].toLowerCase()) : undefined;
    if (tcpDomain?.tcp) {
      return { host: "", domain: tcpDomain, path: "", destination, tcpPort: Number(tcp?.[2]) };
    }
    const parsed = this.parseRouteUrl(mapping.url, where);
    if (parsed.domain.tcp) {
      throw new Error(
        `landscape: ${where}: route '${mapping.url}' is on TCP domain ${parsed.domain.name}: write "domain:port"`,
      );
    }
    return { ...parsed, destination, tcpPort: undefined };
  }

  private parseRouteUrl(url: string, where: string): { host: string; domain: DomainRecord; path: string } {
    const slash = url.indexOf("/");
    const hostname = (slash < 0 ? url : url.slice(0, slash)).toLowerCase();
    const path = slash < 0 ? "" : url.slice(slash).replace(/\/+$/, "");
    let best: DomainRecord | undefined;
    for (const d of this.domainsByName.values()) {
      const matches = hostname === d.name || hostname.endsWith(`.${d.name}`);
      if (matches && (!best || d.name.length > best.name.length)) best = d;
    }
    if (!best)
      throw new Error(`landscape: ${where}: route '${url}' uses a domain that is not declared in domains`);
    const host = hostname === best.name ? "" : hostname.slice(0, -(best.name.length + 1));
    return { host, domain: best, path };
  }

  private mapRoute(
    app: AppRecord,
    host: string,
    domain: DomainRecord,
    path: string,
    destination: { processType: string; port: number } = { processType: "web", port: APP_PORT },
    tcpPort?: number,
  ): void {
    const key = `${host}|${domain.guid}|${path}|${tcpPort ?? ""}`;
    let route = this.routesByKey.get(key);
    if (!route) {
      const hostname = host ? `${host}.${domain.name}` : domain.name;
      const seq = this.nextSeq();
      route = {
        seq,
        createdAt: this.createdAtOf(seq),
        updatedAt: this.createdAtOf(seq),
        guid: deriveGuid("route", `${hostname}${path}${tcpPort !== undefined ? `:${tcpPort}` : ""}`),
        host,
        path,
        domainGuid: domain.guid,
        spaceGuid: app.spaceGuid,
        orgGuid: app.orgGuid,
        ...(tcpPort !== undefined ? { port: tcpPort } : {}),
        destinations: [],
      };
      this.routes.set(route.guid, route);
      this.routesByKey.set(key, route);
      addToIndex(this.routesBySpace, route.spaceGuid, route.guid);
      addToIndex(this.routesByOrg, route.orgGuid, route.guid);
      // The HTTP router never serves a TCP route.
      if (tcpPort === undefined) {
        const list = this.routesByHostname.get(hostname) ?? [];
        list.push(route);
        list.sort((a, b) => b.path.length - a.path.length);
        this.routesByHostname.set(hostname, list);
      }
    }
    const same = (d: DestinationRecord) =>
      d.appGuid === app.guid && d.processType === destination.processType && d.port === destination.port;
    if (route.destinations.some(same)) return;
    const suffix =
      destination.processType === "web" && destination.port === APP_PORT
        ? ""
        : `:${destination.processType}:${destination.port}`;
    route.destinations.push({
      guid: deriveGuid("destination", `${route.guid}:${app.guid}${suffix}`),
      appGuid: app.guid,
      processType: destination.processType,
      port: destination.port,
      createdAt: ccTimestamp(Date.now()),
    });
    addToIndex(this.routesByApp, app.guid, route.guid);
  }

  /** Deletes an app, its process and its route destinations (routes themselves stay, as in CF). */
  removeApp(appGuid: string): void {
    const app = this.requireApp(appGuid);
    this.apps.delete(appGuid);
    this.processes.delete(app.web.guid);
    for (const p of app.otherProcesses) this.processes.delete(p.guid);
    removeFromIndex(this.appsBySpace, app.spaceGuid, appGuid);
    removeFromIndex(this.appsByOrg, app.orgGuid, appGuid);
    removeFromIndex(this.appsByName, app.name.toLowerCase(), appGuid);
    this.appNamesInSpace.delete(`${app.spaceGuid}|${app.name.toLowerCase()}`);
    for (const routeGuid of this.routesByApp.get(appGuid) ?? []) {
      const route = this.routes.get(routeGuid);
      if (!route) continue;
      route.destinations = route.destinations.filter((d) => d.appGuid !== appGuid);
      this.touch(route);
    }
    this.routesByApp.delete(appGuid);
  }

  requireApp(appGuid: string): AppRecord {
    const app = this.apps.get(appGuid);
    if (!app) throw new Error(`app '${appGuid}' does not exist`);
    return app;
  }

  scaleApp(appGuid: string, instances: number): void {
    if (!Number.isInteger(instances) || instances < 0) {
      throw new Error(`instances must be a non-negative integer, got ${String(instances)}`);
    }
    const app = this.requireApp(appGuid);
    app.web.instances = instances;
    this.touch(app.web);
  }

  setAppState(appGuid: string, state: "STARTED" | "STOPPED"): void {
    if (state !== "STARTED" && state !== "STOPPED")
      throw new Error(`state must be STARTED or STOPPED, got ${state}`);
    const app = this.requireApp(appGuid);
    if (app.state === state) return;
    app.state = state;
    if (state === "STARTED") app.generation++;
    this.touch(app);
  }

  setInstanceBehaviour(appGuid: string, index: number, behaviour: InstanceBehaviour): void {
    if (!Number.isInteger(index) || index < 0)
      throw new Error(`instance index must be a non-negative integer`);
    const app = this.requireApp(appGuid);
    app.instanceBehaviour.set(index, { ...behaviour });
  }

  /** App-wide behaviour overlaid with the per-index override. */
  behaviourOf(app: AppRecord, index: number): InstanceBehaviour {
    const own = app.instanceBehaviour.get(index);
    return own ? { ...app.behaviour, ...own } : app.behaviour;
  }

  /** What Diego would report for one instance slot. */
  instanceState(app: AppRecord, index: number): InstanceState {
    if (app.state !== "STARTED" || index < 0 || index >= app.web.instances) return "DOWN";
    return this.behaviourOf(app, index).state ?? "RUNNING";
  }

  instanceGuid(app: AppRecord, index: number): string {
    return deriveGuid("instance", `${app.guid}:${index}:${app.generation}`);
  }

  findAppByName(name: string): AppRecord | undefined {
    const guids = this.appsByName.get(name.toLowerCase());
    if (!guids) return undefined;
    const exact = [...guids].map((g) => this.apps.get(g)!).find((a) => a.name === name);
    return exact ?? this.apps.get([...guids][0]);
  }

  domainName(route: RouteRecord): string {
    return this.domains.get(route.domainGuid)?.name ?? "";
  }

  /** CC's `url`: host.domain + path, or domain + path when the host is empty. */
  routeUrl(route: RouteRecord): string {
    const domain = this.domainName(route);
    if (route.port !== undefined) return `${domain}:${route.port}`; // a TCP route (CC route_presenter)
    return `${route.host ? `${route.host}.${domain}` : domain}${route.path}`;
  }
}
