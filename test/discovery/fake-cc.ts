import type {
  CfApp,
  CfDomain,
  CfOrganization,
  CfProcess,
  CfRoute,
  CfServiceBinding,
  CfServiceBindingDetails,
  CfSpace,
  CloudControllerApi,
} from "../../src/cf/types.js";

type Method = Exclude<keyof CloudControllerApi, "close" | "getInfo">;

export interface AppOptions {
  state?: "STARTED" | "STOPPED";
  instances?: number;
  /** Route urls; the domain is the longest known domain the url ends with (before any path). */
  routes?: string[];
  annotations?: Record<string, string>;
  /** Number of web processes (default 1). */
  webProcesses?: number;
}

let counter = 0;
const guid = (kind: string) => `${kind}-${(++counter).toString(16).padStart(8, "0")}`;

/** An in-memory Cloud Controller that counts calls, can hold or fail them, and can be changed at will. */
export class FakeCloudController implements CloudControllerApi {
  orgs: CfOrganization[] = [];
  spaces: CfSpace[] = [];
  apps: CfApp[] = [];
  processes: CfProcess[] = [];
  routes: CfRoute[] = [];
  domains: CfDomain[] = [];
  /** Service instances by guid (name only: credentials live on the bindings). */
  serviceInstances = new Map<string, string>();
  /** Type of each service instance by guid: "user-provided" unless bound with another `instanceType`. */
  serviceInstanceTypes = new Map<string, string>();
  bindings: CfServiceBinding[] = [];
  /** Details per binding guid: the credentials, or an Error to fail with (e.g. a 404 for an auditor). */
  bindingDetails = new Map<string, unknown>();
  readonly calls: { method: Method; filter?: unknown }[] = [];
  /** While set, every call fails with this error. */
  failure: Error | undefined;
  /** Only these methods fail (all when empty). */
  failOnly = new Set<Method>();
  private gate: Promise<void> | undefined;

  /** Domains declared with tcp=true carry TCP routes ("domain:port" urls). */
  private readonly tcpDomains = new Set<string>();

  // ---- landscape building ----
  domain(name: string, internal = false, opts: { tcp?: boolean } = {}): string {
    const d = { guid: guid("domain"), name, internal };
    if (opts.tcp) this.tcpDomains.add(d.guid);
    this.domains.push(d);
    return d.guid;
  }

  org(name: string): string {
    const o = { guid: guid("org"), name };
    this.orgs.push(o);
    return o.guid;
  }

  space(orgGuid: string, name: string): string {
    const s = { guid: guid("space"), name, orgGuid };
    this.spaces.push(s);
    return s.guid;
  }

  app(spaceGuid: string, name: string, opts: AppOptions = {}): string {
    const appGuid = guid("app");
    this.apps.push({
      guid: appGuid,
      name,
      state: opts.state ?? "STARTED",
      spaceGuid,
      annotations: opts.annotations ?? {},
      labels: {},
    });
    for (let i = 0; i < (opts.webProcesses ?? 1); i++) {
      this.processes.push({ guid: guid("process"), appGuid, type: "web", instances: opts.instances ?? 1 });
    }
    this.processes.push({ guid: guid("process"), appGuid, type: "worker", instances: 5 });
    for (const url of opts.routes ?? [`${name.toLowerCase()}.apps.example.com`]) this.mapRoute(url, appGuid);
    return appGuid;
  }

  /** Maps a route to the app's `web` process (or `opts.process`), on port 8080 (or `opts.port`). */
  mapRoute(url: string, appGuid: string, opts: { process?: string; port?: number } = {}): void {
    const destination = { appGuid, processType: opts.process ?? "web", port: opts.port ?? 8080 };
    const existing = this.routes.find((r) => r.url === url);
    if (existing) {
      if (!existing.appGuids.includes(appGuid)) existing.appGuids.push(appGuid);
      existing.destinations.push(destination);
      return;
    }
    const host = url.split(/[/:]/)[0];
    const domain = [...this.domains]
      .sort((a, b) => b.name.length - a.name.length)
      .find((d) => host === d.name || host.endsWith(`.${d.name}`));
    this.routes.push({
      guid: guid("route"),
      url,
      domainGuid: domain?.guid ?? "unknown-domain",
      appGuids: [appGuid],
      protocol: domain && this.tcpDomains.has(domain.guid) ? "tcp" : "http",
      destinations: [destination],
    });
  }

  /** Binds the app to the service instance of that name (created on first use) with these credentials. */
  bind(
    appGuid: string,
    instanceName: string,
    credentials: unknown,
    opts: {
      name?: string;
      lastOperation?: CfServiceBinding["lastOperation"];
      /** "user-provided" (default), "managed"; null: the list does not include the instance. */
      instanceType?: string | null;
    } = {},
  ): string {
    const type = opts.instanceType === undefined ? "user-provided" : opts.instanceType;
    let instanceGuid = [...this.serviceInstances].find(
      ([g, name]) => name === instanceName && (this.serviceInstanceTypes.get(g) ?? null) === type,
    )?.[0];
    if (!instanceGuid) {
      instanceGuid = guid("si");
      this.serviceInstances.set(instanceGuid, instanceName);
      if (type !== null) this.serviceInstanceTypes.set(instanceGuid, type);
    }
    const binding: CfServiceBinding = { guid: guid("binding"), appGuid, serviceInstanceGuid: instanceGuid };
    if (type !== null) binding.serviceInstanceType = type;
    if (opts.name) binding.name = opts.name;
    if (opts.lastOperation) binding.lastOperation = opts.lastOperation;
    this.bindings.push(binding);
    this.bindingDetails.set(binding.guid, credentials);
    return binding.guid;
  }

  scale(appGuid: string, instances: number): void {
    for (const p of this.processes) if (p.appGuid === appGuid && p.type === "web") p.instances = instances;
  }

  setState(appGuid: string, state: "STARTED" | "STOPPED"): void {
    const app = this.apps.find((a) => a.guid === appGuid);
    if (app) app.state = state;
  }

  // ---- call control ----
  /** Holds every call until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => {
      release = resolve;
    });
    return () => {
      this.gate = undefined;
      release();
    };
  }

  count(method?: Method): number {
    return method ? this.calls.filter((c) => c.method === method).length : this.calls.length;
  }

  // ---- CloudControllerApi ----
  async listOrganizations(filter?: { names?: string[] }): Promise<CfOrganization[]> {
    await this.enter("listOrganizations", filter);
    const names = filter?.names?.map((n) => n.toLowerCase());
    return this.orgs.filter((o) => !names || names.includes(o.name.toLowerCase())).map((o) => ({ ...o }));
  }

  async listSpaces(filter?: { organizationGuids?: string[]; names?: string[] }): Promise<CfSpace[]> {
    await this.enter("listSpaces", filter);
    return this.spaces
      .filter((s) => !filter?.organizationGuids || filter.organizationGuids.includes(s.orgGuid))
      .map((s) => ({ ...s }));
  }

  async listApps(filter: {
    spaceGuids?: string[];
    organizationGuids?: string[];
    names?: string[];
  }): Promise<CfApp[]> {
    await this.enter("listApps", filter);
    return this.apps
      .filter((a) => !filter.spaceGuids || filter.spaceGuids.includes(a.spaceGuid))
      .map((a) => ({ ...a, annotations: { ...a.annotations } }));
  }

  async listWebProcesses(filter: { appGuids?: string[]; spaceGuids?: string[] }): Promise<CfProcess[]> {
    await this.enter("listWebProcesses", filter);
    return this.processes
      .filter((p) => p.type === "web" && this.appMatches(p.appGuid, filter))
      .map((p) => ({ ...p }));
  }

  async listRoutes(filter: { appGuids?: string[]; spaceGuids?: string[] }): Promise<CfRoute[]> {
    await this.enter("listRoutes", filter);
    return this.routes
      .filter((r) => r.appGuids.some((g) => this.appMatches(g, filter)))
      .map((r) => ({ ...r, appGuids: [...r.appGuids], destinations: r.destinations.map((d) => ({ ...d })) }));
  }

  async listDomains(): Promise<CfDomain[]> {
    await this.enter("listDomains");
    return this.domains.map((d) => ({ ...d }));
  }

  async listAppBindings(filter: { serviceInstanceNames: string[] }): Promise<CfServiceBinding[]> {
    await this.enter("listAppBindings", filter);
    return this.bindings
      .filter((b) =>
        filter.serviceInstanceNames.includes(this.serviceInstances.get(b.serviceInstanceGuid) ?? ""),
      )
      .map((b) => ({ ...b }));
  }

  async getBindingDetails(bindingGuid: string): Promise<CfServiceBindingDetails> {
    await this.enter("getBindingDetails", bindingGuid);
    const credentials = this.bindingDetails.get(bindingGuid);
    if (credentials instanceof Error) throw credentials;
    if (!this.bindingDetails.has(bindingGuid)) throw new Error(`no binding ${bindingGuid}`);
    return { credentials };
  }

  async getInfo(): Promise<{ version?: number | string }> {
    return { version: "3.180.0" };
  }

  async close(): Promise<void> {}

  private appMatches(appGuid: string, filter: { appGuids?: string[]; spaceGuids?: string[] }): boolean {
    if (filter.appGuids && !filter.appGuids.includes(appGuid)) return false;
    if (filter.spaceGuids) {
      const app = this.apps.find((a) => a.guid === appGuid);
      if (!app || !filter.spaceGuids.includes(app.spaceGuid)) return false;
    }
    return true;
  }

  private async enter(method: Method, filter?: unknown): Promise<void> {
    this.calls.push({ method, filter });
    if (this.gate) await this.gate;
    if (this.failure && (this.failOnly.size === 0 || this.failOnly.has(method))) throw this.failure;
  }
}
