import type {
  CfApp,
  CfDomain,
  CfOrganization,
  CfProcess,
  CfRoute,
  CfRouteDestination,
  CfServiceBinding,
  CfServiceBindingDetails,
  CfSpace,
} from "./types.js";

/**
 * The resources a list page includes (`include=`), by guid: CC answers them in `included.<plural type>[]` next to
 * `resources`, each once per page and only those the page's resources relate to (CC v3 docs, concepts/includes).
 * `where` names the item for errors, e.g. "included.service_instances[0]". Read by paging.ts `includedOf`.
 */
export type Included = ReadonlyMap<string, { item: Record<string, unknown>; where: string }>;

/** A CC document did not have the expected shape; `message` says where. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

type Json = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

export function asObject(value: unknown, where: string): Json {
  if (value && typeof value === "object" && !Array.isArray(value)) return value as Json;
  throw new ShapeError(`${where} should be an object but is ${describe(value)}`);
}

function str(o: Json, key: string, where: string): string {
  const v = o[key];
  if (typeof v === "string") return v;
  throw new ShapeError(
    `${where}.${key} should be a string but is ${v === undefined ? "missing" : describe(v)}`,
  );
}

/** Follows `keys` through nested objects to a string, e.g. relationships.space.data.guid. */
function nestedStr(o: Json, keys: string[], where: string): string {
  let cur: Json = o;
  let at = where;
  for (const key of keys.slice(0, -1)) {
    at = `${at}.${key}`;
    cur = asObject(cur[key], at);
  }
  return str(cur, keys[keys.length - 1]!, at);
}

/** metadata.labels / metadata.annotations; values are strings in CC, anything else is dropped. */
function stringMap(o: Json, key: "labels" | "annotations", where: string): Record<string, string> {
  const metadata = o.metadata;
  if (metadata === undefined || metadata === null) return {};
  const map = asObject(metadata, `${where}.metadata`)[key];
  if (map === undefined || map === null) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObject(map, `${where}.metadata.${key}`))) {
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

export function toOrganization(value: unknown, where: string): CfOrganization {
  const o = asObject(value, where);
  return { guid: str(o, "guid", where), name: str(o, "name", where) };
}

export function toSpace(value: unknown, where: string): CfSpace {
  const o = asObject(value, where);
  return {
    guid: str(o, "guid", where),
    name: str(o, "name", where),
    orgGuid: nestedStr(o, ["relationships", "organization", "data", "guid"], where),
  };
}

/** The desired states an app can have (CC v3 docs, the app object: "Valid values are STOPPED or STARTED"). */
const APP_STATES = new Set(["STARTED", "STOPPED"]);

export function toApp(value: unknown, where: string): CfApp {
  const o = asObject(value, where);
  const state = str(o, "state", where);
  // Any other value is a broken document: read as "not started" it would drop the app from discovery.
  if (!APP_STATES.has(state)) {
    throw new ShapeError(
      `${where}.state should be "STARTED" or "STOPPED" but is ${JSON.stringify(state.slice(0, 40))}`,
    );
  }
  return {
    guid: str(o, "guid", where),
    name: str(o, "name", where),
    state,
    spaceGuid: nestedStr(o, ["relationships", "space", "data", "guid"], where),
    annotations: stringMap(o, "annotations", where),
    labels: stringMap(o, "labels", where),
  };
}

export function toProcess(value: unknown, where: string): CfProcess {
  const o = asObject(value, where);
  const instances = o.instances;
  if (typeof instances !== "number" || !Number.isInteger(instances) || instances < 0) {
    throw new ShapeError(`${where}.instances should be a non-negative integer but is ${describe(instances)}`);
  }
  return {
    guid: str(o, "guid", where),
    appGuid: nestedStr(o, ["relationships", "app", "data", "guid"], where),
    type: str(o, "type", where),
    instances,
  };
}

export function toRoute(value: unknown, where: string): CfRoute {
  const o = asObject(value, where);
  // Always present in CC v3 (an empty array for a route mapped to no app); missing, the route would
  // silently lead nowhere and its apps drop out of discovery.
  const destinations = o.destinations;
  if (!Array.isArray(destinations)) {
    throw new ShapeError(
      `${where}.destinations should be an array but is ${destinations === undefined ? "missing" : describe(destinations)}`,
    );
  }
  const parsed = destinations.map((d, i) => toDestination(d, `${where}.destinations[${i}]`));
  // One app can be a destination twice (two ports, two process types); it still has this route once.
  const appGuids = [...new Set(parsed.map((d) => d.appGuid))];
  const protocol = o.protocol;
  if (protocol !== undefined && protocol !== null && typeof protocol !== "string") {
    throw new ShapeError(`${where}.protocol should be a string but is ${describe(protocol)}`);
  }
  return {
    guid: str(o, "guid", where),
    url: str(o, "url", where),
    domainGuid: nestedStr(o, ["relationships", "domain", "data", "guid"], where),
    appGuids,
    protocol: typeof protocol === "string" ? protocol : "http",
    destinations: parsed,
  };
}

function toDestination(value: unknown, where: string): CfRouteDestination {
  const d = asObject(value, where);
  const app = asObject(d.app, `${where}.app`);
  const process = app.process;
  let processType = "web"; // CC docs: the process type defaults to web
  if (process !== undefined && process !== null) {
    const type = asObject(process, `${where}.app.process`).type;
    if (typeof type !== "string" || type === "") {
      throw new ShapeError(`${where}.app.process.type should be a non-empty string but is ${describe(type)}`);
    }
    processType = type;
  }
  const port = d.port;
  if (port !== undefined && port !== null && (typeof port !== "number" || !Number.isInteger(port))) {
    throw new ShapeError(`${where}.port should be an integer but is ${describe(port)}`);
  }
  return {
    appGuid: str(app, "guid", `${where}.app`),
    processType,
    ...(typeof port === "number" ? { port } : {}),
  };
}

export function toDomain(value: unknown, where: string): CfDomain {
  const o = asObject(value, where);
  const internal = o.internal;
  if (internal !== undefined && internal !== null && typeof internal !== "boolean") {
    throw new ShapeError(`${where}.internal should be a boolean but is ${describe(internal)}`);
  }
  return { guid: str(o, "guid", where), name: str(o, "name", where), internal: internal === true };
}

/**
 * A service credential binding of the list; `relationships.app` is required, as only type=app is asked for.
 * `included`: the page's `included.service_instances` (include=service_instance); the binding's instance there
 * gives `serviceInstanceType`, whose `type` must then be a string. An instance the page does not include leaves
 * it unset.
 */
export function toServiceBinding(
  value: unknown,
  where: string,
  included: Included = new Map(),
): CfServiceBinding {
  const o = asObject(value, where);
  const name = o.name;
  if (name !== undefined && name !== null && typeof name !== "string") {
    throw new ShapeError(`${where}.name should be a string or null but is ${describe(name)}`);
  }
  const binding: CfServiceBinding = {
    guid: str(o, "guid", where),
    appGuid: nestedStr(o, ["relationships", "app", "data", "guid"], where),
    serviceInstanceGuid: nestedStr(o, ["relationships", "service_instance", "data", "guid"], where),
  };
  if (typeof name === "string" && name !== "") binding.name = name;
  const instance = included.get(binding.serviceInstanceGuid);
  if (instance) binding.serviceInstanceType = str(instance.item, "type", instance.where);
  const op = o.last_operation;
  if (op !== undefined && op !== null) {
    const last = asObject(op, `${where}.last_operation`);
    binding.lastOperation = {
      type: str(last, "type", `${where}.last_operation`),
      state: str(last, "state", `${where}.last_operation`),
    };
  }
  return binding;
}

/** The details document; only `credentials` is kept (its shape is the discovery's to judge). */
export function toServiceBindingDetails(value: unknown, where: string): CfServiceBindingDetails {
  const o = asObject(value, where);
  if (!("credentials" in o)) throw new ShapeError(`${where}.credentials is missing`);
  return { credentials: o.credentials };
}
