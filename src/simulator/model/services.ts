import { deriveGuid, isGuid, randomGuid } from "../guid.js";
import type { ServiceInstanceSpec } from "../types.js";
import { ccTimestamp } from "./records.js";
import type { LandscapeStore } from "./store.js";

/**
 * A service instance: user-provided (`cf create-user-provided-service`; its credentials are what every binding to
 * it gets) or managed (created by a service broker; each binding gets the broker's credentials, e.g. a database
 * user, here the binding's own or the instance's `credentials`).
 */
export interface ServiceInstanceRecord {
  guid: string;
  name: string;
  type: ServiceInstanceType;
  spaceGuid: string;
  credentials: unknown;
  seq: number;
  createdAt: string;
  updatedAt: string;
}

export type ServiceInstanceType = "user-provided" | "managed";

/** CC v3 `last_operation` of a binding: type create | delete, state initial | in progress | succeeded | failed. */
export interface BindingOperation {
  type: "create" | "delete";
  state: "initial" | "in progress" | "succeeded" | "failed";
}

/** An app binding (service credential binding of type app). */
export interface ServiceBindingRecord {
  guid: string;
  name?: string;
  appGuid: string;
  instanceGuid: string;
  /** Copied from the instance when bound, as CC does for user-provided instances. */
  credentials: unknown;
  /** Default: create succeeded (a user-provided binding is complete at once). */
  lastOperation?: BindingOperation;
  seq: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * Service instances and app bindings of the simulated foundation, and who may not read credentials: users or
 * clients with auditor roles only (Space Auditor, Global Auditor), who list bindings but get 404 on their
 * details and 403 on an instance's credentials, as CC answers them.
 */
export class ServiceStore {
  readonly instances = new Map<string, ServiceInstanceRecord>();
  readonly bindings = new Map<string, ServiceBindingRecord>();
  /** User names and client ids that may not read credentials. */
  auditors = new Set<string>();
  private seq = 0;

  constructor(
    private readonly store: LandscapeStore,
    specs: readonly ServiceInstanceSpec[] = [],
    auditors: readonly string[] = [],
  ) {
    this.auditors = new Set(auditors);
    for (const spec of specs) {
      const space = this.spaceByPath(spec.space);
      const guid = this.addInstance(space, spec);
      for (const b of spec.bindings ?? []) {
        const binding = typeof b === "string" ? { app: b } : b;
        const app = [...(store.appsBySpace.get(space) ?? [])]
          .map((g) => store.apps.get(g))
          .find((a) => a?.name === binding.app);
        if (!app) {
          throw new Error(
            `landscape: service instance '${spec.name}' binds app '${binding.app}', which is not in space '${spec.space}'`,
          );
        }
        // Stable guids for the landscape file, like every other resource declared there.
        this.bind(guid, app.guid, { guid: deriveGuid("service-binding", `${guid}/${app.guid}`), ...binding });
      }
    }
  }

  addInstance(
    spaceGuid: string,
    spec: { name: string; guid?: string; type?: ServiceInstanceType; credentials?: unknown },
  ): string {
    if (!this.store.spaces.has(spaceGuid)) throw new Error(`no space with guid ${spaceGuid}`);
    if (!spec.name) throw new Error("a service instance needs a name");
    const type = spec.type ?? "user-provided";
    if (type !== "user-provided" && type !== "managed") {
      throw new Error(`service instance type must be user-provided or managed, got ${String(type)}`);
    }
    const taken = [...this.instances.values()].some((i) => i.spaceGuid === spaceGuid && i.name === spec.name);
    if (taken) throw new Error(`service instance '${spec.name}' already exists in space ${spaceGuid}`);
    const guid = spec.guid ?? deriveGuid("service-instance", `${spaceGuid}/${spec.name}`);
    if (!isGuid(guid) || this.instances.has(guid))
      throw new Error(`service instance guid '${guid}' is unusable`);
    this.instances.set(guid, {
      guid,
      name: spec.name,
      type,
      spaceGuid,
      credentials: spec.credentials ?? {},
      ...this.stamp(),
    });
    return guid;
  }

  bind(
    instanceGuid: string,
    appGuid: string,
    opts: { name?: string; guid?: string; credentials?: unknown; lastOperation?: BindingOperation } = {},
  ): string {
    const instance = this.instances.get(instanceGuid);
    if (!instance) throw new Error(`no service instance with guid ${instanceGuid}`);
    if (!this.store.apps.has(appGuid)) throw new Error(`no app with guid ${appGuid}`);
    const bound = [...this.bindings.values()].some(
      (b) => b.appGuid === appGuid && b.instanceGuid === instanceGuid,
    );
    if (bound) throw new Error(`app ${appGuid} is already bound to service instance ${instance.name}`);
    const guid = opts.guid ?? randomGuid();
    this.bindings.set(guid, {
      guid,
      ...(opts.name ? { name: opts.name } : {}),
      appGuid,
      instanceGuid,
      credentials: opts.credentials !== undefined ? opts.credentials : instance.credentials,
      ...(opts.lastOperation ? { lastOperation: { ...opts.lastOperation } } : {}),
      ...this.stamp(),
    });
    return guid;
  }

  unbind(bindingGuid: string): void {
    if (!this.bindings.delete(bindingGuid)) throw new Error(`no service binding with guid ${bindingGuid}`);
  }

  /** Bindings whose app still exists, in creation order. */
  liveBindings(): ServiceBindingRecord[] {
    return [...this.bindings.values()].filter((b) => this.store.apps.has(b.appGuid));
  }

  private spaceByPath(path: string): string {
    const [org, space] = path.split("/");
    for (const s of this.store.spaces.values()) {
      if (s.name === space && this.store.orgs.get(s.orgGuid)?.name === org) return s.guid;
    }
    throw new Error(`landscape: service instance space '${path}' is not declared (write "org/space")`);
  }

  private stamp(): { seq: number; createdAt: string; updatedAt: string } {
    const at = ccTimestamp(Date.now());
    return { seq: ++this.seq, createdAt: at, updatedAt: at };
  }
}
