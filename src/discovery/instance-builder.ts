import type { CfDomain, CfProcess, CfRoute } from "../cf/index.js";
import type { TargetConfig } from "../config/index.js";
import { nextTurn } from "../event-loop-turn.js";
import { ALL, appKey } from "./cf-caches.js";
import { keyFailure, keysPerFailure, layerError } from "./layer-error.js";
import type { CacheReader } from "./refresh-ahead-cache.js";
import { candidateRoutes, chooseRoute } from "./routes.js";
import { sameInstance } from "./snapshot.js";
import { type ResolvedApp, summarise } from "./target-resolver.js";
import type { DiscoveredInstance, NoInstancesKind } from "./types.js";

export interface ScanInput {
  apps: readonly ResolvedApp[];
  targets: readonly TargetConfig[];
  /** preferredRouteRegex per target index, compiled. */
  routePatterns: readonly (readonly RegExp[])[];
  defaultInternalRoutePort: number;
  /** Name of the foundation the apps come from, carried by each instance. */
  foundation: string;
  /**
   * The instances of the snapshot published so far, by instance id: an instance built equal to one of them
   * is that object itself, so that an unchanged landscape yields the same objects refresh after refresh
   * (compared by identity, and found by their object in the own metrics' InstanceTracker).
   */
  previous?: ReadonlyMap<string, DiscoveredInstance>;
}

/**
 * Apps turned into instances between two turns of the event loop: a refresh of 10,000 instances in one go
 * blocks scrapes for 100 ms and more (with the garbage collection of what it allocates).
 */
export const APPS_PER_TURN = 100;

export interface ScanResult {
  /**
   * Instances per target index, apps in resolution order, indices ascending; for an app in `appErrors`, the
   * instances it had in `previous`.
   */
  instances: Map<number, DiscoveredInstance[]>;
  /** Why selected apps produced no instances, per target index. */
  reasons: Map<number, AppProblem[]>;
  /**
   * Targets of which nothing fresh is known: the domains could not be loaded, or none of the target's apps could
   * be read. Such a target keeps its previous instances as a whole (refresh-step.ts).
   */
  errors: Map<number, Error>;
  /**
   * Targets of which some apps could be read and others not (their processes or routes failed to load, or their
   * data cannot be used): the failure of each such app, in resolution order. The other apps are current.
   */
  appErrors: Map<number, Error[]>;
}

/**
 * The most instances discovery builds for one app. The Cloud Controller accepts a web process with up to
 * 2,147,483,647 instances (MAX_DB_INT, cloud_controller_ng app/messages/process_scale_message.rb), and every
 * instance costs a DiscoveredInstance: such a value would take the heap (--max-old-space-size=160) down with it.
 * 10,000 is the whole landscape that docs/performance.md sizes a 256 MB container for, far more than any app
 * runs in practice: an app asking for more is reported as a Cloud Controller error of its target instead.
 */
export const MAX_INSTANCES_PER_APP = 10_000;

/**
 * Turns selected apps into instances: web process (desired instance count), chosen route, domain
 * (internal or not) and the access URL. Everything is joined by app guid, never by position.
 *
 * An app whose own Cloud Controller data failed is left out of the fresh result on its own and keeps the
 * instances it had in `previous` (last good data per app, so that a flapping CC does not make apps disappear);
 * the other apps of its target are current. Only when none of a target's apps could be read is the target
 * failed as a whole.
 */
export async function scanInstances(
  input: ScanInput,
  caches: {
    process: CacheReader<CfProcess[]>;
    route: CacheReader<CfRoute[]>;
    domain: CacheReader<ReadonlyMap<string, CfDomain>>;
  },
): Promise<ScanResult> {
  const result: ScanResult = {
    instances: new Map(),
    reasons: new Map(),
    errors: new Map(),
    appErrors: new Map(),
  };
  if (input.apps.length === 0) return result;
  const keys = input.apps.map((app) => appKey(app.spaceGuid, app.appGuid));
  // One layer per turn of the event loop: reading thousands of keys (and starting their reloads) is work of
  // several milliseconds per cache.
  const processesRead = caches.process.getMany(keys);
  await nextTurn();
  const routesRead = caches.route.getMany(keys);
  await nextTurn();
  const [processes, routes, domains] = await Promise.all([
    processesRead,
    routesRead,
    caches.domain.getMany([ALL]),
  ]);
  const domainsByGuid = domains.values.get(ALL);
  const named = keys.map((key, i) => [key, input.apps[i].appName] as const);
  const processFailures = keysPerFailure(named, processes.errors);
  const routeFailures = keysPerFailure(named, routes.errors);
  /** Targets with at least one app whose data was read. */
  const current = new Set<number>();

  for (let i = 0; i < input.apps.length; i++) {
    if (i > 0 && i % APPS_PER_TURN === 0) await nextTurn();
    const app = input.apps[i];
    const t = app.targetIndex;
    if (result.errors.has(t)) continue;
    if (!domainsByGuid) {
      // Every app of every target needs the domains: nothing of the target can be built.
      result.errors.set(t, layerError("domains", domains.errors.get(ALL)));
      continue;
    }
    const key = keys[i];
    const appProcesses = processes.values.get(key);
    const appRoutes = routes.values.get(key);
    let failure: Error | undefined;
    if (!appProcesses)
      failure = keyFailure("processes", "app", app.appName, processes.errors.get(key), processFailures);
    else if (!appRoutes)
      failure = keyFailure("routes", "app", app.appName, routes.errors.get(key), routeFailures);
    else failure = instanceCountFailure(app, appProcesses);
    if (failure || !appProcesses || !appRoutes) {
      push(
        result.appErrors,
        t,
        failure ?? new Error(`incomplete Cloud Controller data of app ${app.appName}`),
      );
      for (const instance of previousInstances(app, input.previous)) push(result.instances, t, instance);
      continue;
    }
    current.add(t);
    const built = buildInstances(app, input, appProcesses, appRoutes, domainsByGuid);
    if (Array.isArray(built)) for (const instance of built) push(result.instances, t, instance);
    else
      push(result.reasons, t, {
        kind: built.kind,
        text: `${app.orgName}/${app.spaceName}/${app.appName} ${built.text}`,
      });
  }
  failWholeTargets(result, current);
  return result;
}

/**
 * A target none of whose apps could be read fails as a whole (nothing fresh is known of it, which is what
 * decides whether a refresh failed: refresh-step.ts); its cause is the apps' failure, or each distinct one.
 */
function failWholeTargets(result: ScanResult, current: ReadonlySet<number>): void {
  for (const [t, failures] of result.appErrors) {
    if (current.has(t)) continue;
    result.appErrors.delete(t);
    result.instances.delete(t);
    if (!result.errors.has(t)) result.errors.set(t, combinedFailure(failures));
  }
}

/** The failure itself when all share one message (a batch that failed whole), else their messages in one. */
function combinedFailure(failures: readonly Error[]): Error {
  const messages = distinctMessages(failures);
  if (messages.length === 1) return failures[0];
  return new Error(summarise(messages), { cause: failures[0] });
}

/** Each message once, in order: the apps of one failed batch share theirs. */
export function distinctMessages(failures: readonly Error[]): string[] {
  return [...new Set(failures.map((f) => f.message))];
}

/** Why an app's web process cannot be turned into instances although its data was read; see MAX_INSTANCES_PER_APP. */
function instanceCountFailure(app: ResolvedApp, processes: readonly CfProcess[]): Error | undefined {
  if (processes.length !== 1) return undefined; // reported as "no-web-process" by buildInstances
  const count = processes[0].instances;
  if (count <= MAX_INSTANCES_PER_APP) return undefined;
  return new Error(
    `could not use the web process of app ${app.appName}: it asks for ${count} instances, more than the ${MAX_INSTANCES_PER_APP} Promregator discovers per app`,
  );
}

/**
 * The instances the app had through the same target in the published snapshot: instance ids are
 * "<appGuid>:<index>" with indices from 0 on, so they are looked up rather than searched for.
 */
function previousInstances(
  app: ResolvedApp,
  previous: ReadonlyMap<string, DiscoveredInstance> | undefined,
): DiscoveredInstance[] {
  const kept: DiscoveredInstance[] = [];
  if (!previous) return kept;
  for (let index = 0; index < MAX_INSTANCES_PER_APP; index++) {
    const instance = previous.get(`${app.appGuid}:${index}`);
    if (!instance) break;
    if (instance.targetIndex === app.targetIndex) kept.push(instance);
  }
  return kept;
}

/** Why one selected app has no instances. */
export interface AppProblem {
  kind: NoInstancesKind;
  /** "<org>/<space>/<app> <why>" in a scan result; only "<why>" as buildInstances returns it. */
  text: string;
}

/** The app's instances, or why it has none. */
function buildInstances(
  app: ResolvedApp,
  input: ScanInput,
  processes: readonly CfProcess[],
  routes: readonly CfRoute[],
  domains: ReadonlyMap<string, CfDomain>,
): DiscoveredInstance[] | AppProblem {
  if (processes.length !== 1) {
    return { kind: "no-web-process", text: `has ${processes.length} web processes, expected exactly one` };
  }
  // An app that asks for no instances is "scaled to 0" whatever its routes: that is not a route problem.
  const count = processes[0].instances;
  if (count <= 0) return { kind: "scaled-to-zero", text: "is scaled to 0 instances" };
  const target = input.targets[app.targetIndex];
  const candidates = candidateRoutes(routes, app.appGuid, Boolean(target.overrideRouteAndPath));
  if (!Array.isArray(candidates)) return candidates;
  const route = chooseRoute(candidates, input.routePatterns[app.targetIndex] ?? []);
  const access = accessFor(target, route, domains.get(route.domainGuid), input.defaultInternalRoutePort);
  const instances: DiscoveredInstance[] = [];
  let parsed: { url: string; value: URL | undefined } | undefined;
  for (let index = 0; index < count; index++) {
    const candidate = CANDIDATE;
    candidate.instanceId = `${app.appGuid}:${index}`;
    candidate.appGuid = app.appGuid;
    candidate.index = index;
    candidate.orgName = app.orgName;
    candidate.spaceName = app.spaceName;
    candidate.appName = app.appName;
    candidate.url = access.url(index, app.path);
    candidate.sendInstanceHeader = access.sendInstanceHeader;
    candidate.authenticatorId = target.authenticatorId;
    candidate.targetIndex = app.targetIndex;
    candidate.bindingCredential = app.bindingCredential;
    candidate.foundation = input.foundation;
    const before = input.previous?.get(candidate.instanceId);
    if (before && sameInstance(before, candidate)) {
      instances.push(before);
      continue;
    }
    // Only a new or changed instance has its URL parsed; route and override URLs are the same for every
    // instance of an app, so they are parsed once.
    const { url } = candidate;
    if (parsed?.url !== url) parsed = { url, value: URL.canParse(url) ? new URL(url) : undefined };
    instances.push({
      instanceId: candidate.instanceId,
      appGuid: app.appGuid,
      index,
      orgName: app.orgName,
      spaceName: app.spaceName,
      appName: app.appName,
      url,
      ...(parsed.value ? { parsedUrl: parsed.value } : {}),
      sendInstanceHeader: access.sendInstanceHeader,
      ...(target.authenticatorId !== undefined ? { authenticatorId: target.authenticatorId } : {}),
      targetIndex: app.targetIndex,
      ...(app.bindingCredential ? { bindingCredential: app.bindingCredential } : {}),
      foundation: input.foundation,
    });
  }
  return instances;
}

/**
 * Every instance a refresh builds is first written here and compared with the published one, so that an
 * unchanged instance (nearly all of them, refresh after refresh) costs no object. Objects built for the
 * comparison alone would not stay young: V8 allocates objects of a site whose first objects lived long (the
 * first discovery's instances) straight into the old generation, where 10,000 of them per refresh are
 * garbage for its full collections (docs/performance.md).
 */
const CANDIDATE: DiscoveredInstance = {
  instanceId: "",
  appGuid: "",
  index: 0,
  orgName: "",
  spaceName: "",
  appName: "",
  url: "",
  sendInstanceHeader: false,
  authenticatorId: undefined,
  targetIndex: 0,
  bindingCredential: undefined,
  foundation: "",
};

interface Access {
  sendInstanceHeader: boolean;
  url(index: number, path: string): string;
}

function accessFor(
  target: TargetConfig,
  route: CfRoute,
  domain: CfDomain | undefined,
  defaultInternalRoutePort: number,
): Access {
  if (target.overrideRouteAndPath) {
    const override = target.overrideRouteAndPath;
    return { sendInstanceHeader: false, url: (_i, path) => joinUrl(target.protocol, override, path) };
  }
  if (domain?.internal) {
    const port = target.internalRoutePort || defaultInternalRoutePort;
    return { sendInstanceHeader: false, url: (i, path) => internalRouteUrl(route.url, i, port, path) };
  }
  return { sendInstanceHeader: true, url: (_i, path) => joinUrl(target.protocol, route.url, path) };
}

/**
 * `<scheme>://<base>` + exactly one "/" + path without its leading slashes, so that "metrics" and
 * "/metrics" mean the same and a route path is kept. A base that already names a scheme keeps it.
 */
export function joinUrl(scheme: string, base: string, path: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(base) ? base : `${scheme}://${base}`;
  const separator = withScheme.endsWith("/") ? "" : "/";
  return `${withScheme}${separator}${path.replace(/^\/+/, "")}`;
}

/**
 * Internal routes go straight to one container: `http://<index>.<host.domain>:<port>`, plain http
 * because no router terminates TLS there. A route path (rare on internal domains) stays after the port.
 */
export function internalRouteUrl(routeUrl: string, index: number, port: number, path: string): string {
  const slash = routeUrl.indexOf("/");
  const host = slash < 0 ? routeUrl : routeUrl.slice(0, slash);
  const routePath = slash < 0 ? "" : routeUrl.slice(slash);
  return joinUrl("http", `${index}.${host}:${port}${routePath}`, path);
}

function push<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
