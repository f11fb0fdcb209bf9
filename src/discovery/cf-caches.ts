import type {
  CfApp,
  CfDomain,
  CfOrganization,
  CfProcess,
  CfRoute,
  CfSpace,
  CloudControllerApi,
} from "../cf/types.js";
import type { CfConfig } from "../config/types.js";
import { type BatchLoader, type LoadSettled, RefreshAheadCache } from "./refresh-ahead-cache.js";

/** Key of the org cache entry holding every org, and of the single domain cache entry. */
export const ALL = "*";

/**
 * Up to this many apps, processes and routes are fetched by app guid (small answers);
 * beyond it by space guid, which costs far fewer requests for big landscapes.
 */
export const APP_GUID_FILTER_LIMIT = 100;

/**
 * One cache per Cloud Controller layer, each loading many keys with one client call. Empty lists are
 * cached like any other answer, so a name that matches nothing is not asked for again on every refresh.
 */
export interface CfCaches {
  /** Key: lower-cased org name, or ALL for every org. */
  org: RefreshAheadCache<CfOrganization[]>;
  /** Key: org guid; value: all spaces of the org. */
  space: RefreshAheadCache<CfSpace[]>;
  /** Key: space guid; value: all apps of the space. */
  application: RefreshAheadCache<CfApp[]>;
  /** Key: appKey(space, app); value: the app's web processes. */
  process: RefreshAheadCache<CfProcess[]>;
  /** Key: appKey(space, app); value: the app's routes in Cloud Controller order. */
  route: RefreshAheadCache<CfRoute[]>;
  /** Key: ALL; value: every visible domain by guid. */
  domain: RefreshAheadCache<ReadonlyMap<string, CfDomain>>;
}

export type CfLayer = keyof CfCaches;

export interface CfCacheOptions {
  now?: () => number;
  onLoadSettled?: (layer: CfLayer, outcome: LoadSettled) => void;
}

/** Process and route entries are keyed by space and app, so that a batch can be fetched by space. */
export function appKey(spaceGuid: string, appGuid: string): string {
  return `${spaceGuid}/${appGuid}`;
}

function splitAppKey(key: string): { spaceGuid: string; appGuid: string } {
  const slash = key.indexOf("/");
  return { spaceGuid: key.slice(0, slash), appGuid: key.slice(slash + 1) };
}

export function createCfCaches(
  cf: CloudControllerApi,
  config: CfConfig,
  options: CfCacheOptions = {},
): CfCaches {
  const { timeout, expiry } = config.cache;
  const make = <V>(layer: CfLayer, load: BatchLoader<V>) =>
    new RefreshAheadCache<V>({
      name: layer,
      refreshAfterMs: timeout[layer] * 1000,
      expireAfterMs: expiry[layer] * 1000,
      load,
      now: options.now,
      onLoadSettled: (outcome) => options.onLoadSettled?.(layer, outcome),
    });

  return {
    org: make("org", (keys) => loadOrgs(cf, keys)),
    space: make("space", async (orgGuids) =>
      groupBy(orgGuids, await cf.listSpaces({ organizationGuids: orgGuids }), (s) => s.orgGuid),
    ),
    application: make("application", async (spaceGuids) =>
      groupBy(spaceGuids, await cf.listApps({ spaceGuids }), (a) => a.spaceGuid),
    ),
    process: make("process", (keys) =>
      loadPerApp(
        keys,
        (filter) => cf.listWebProcesses(filter),
        (p) => [p.appGuid],
      ),
    ),
    route: make("route", (keys) =>
      loadPerApp(
        keys,
        (filter) => cf.listRoutes(filter),
        (r) => r.appGuids,
      ),
    ),
    domain: make<ReadonlyMap<string, CfDomain>>("domain", async (keys) => {
      const byGuid = new Map((await cf.listDomains()).map((d) => [d.guid, d] as const));
      return new Map(keys.map((key) => [key, byGuid] as const));
    }),
  };
}

/** With ALL among the keys one unfiltered list serves every key; otherwise one list filtered by names. */
async function loadOrgs(cf: CloudControllerApi, keys: string[]): Promise<Map<string, CfOrganization[]>> {
  const wantsAll = keys.includes(ALL);
  const names = keys.filter((k) => k !== ALL);
  const orgs = wantsAll ? await cf.listOrganizations() : await cf.listOrganizations({ names });
  const result = new Map<string, CfOrganization[]>();
  if (wantsAll) result.set(ALL, orgs);
  for (const name of names)
    result.set(
      name,
      orgs.filter((o) => o.name.toLowerCase() === name),
    );
  return result;
}

async function loadPerApp<T>(
  keys: string[],
  list: (filter: { appGuids?: string[]; spaceGuids?: string[] }) => Promise<T[]>,
  appsOf: (item: T) => string[],
): Promise<Map<string, T[]>> {
  const wanted = keys.map(splitAppKey);
  const items =
    wanted.length <= APP_GUID_FILTER_LIMIT
      ? await list({ appGuids: wanted.map((w) => w.appGuid) })
      : await list({ spaceGuids: [...new Set(wanted.map((w) => w.spaceGuid))] });
  const byApp = new Map<string, T[]>();
  for (const item of items) {
    // a route shared by several apps belongs to each of them
    for (const appGuid of new Set(appsOf(item))) {
      const list = byApp.get(appGuid);
      if (list) list.push(item);
      else byApp.set(appGuid, [item]);
    }
  }
  return new Map(keys.map((key, i) => [key, byApp.get(wanted[i].appGuid) ?? []] as const));
}

/** Every requested key gets a list, empty when the answer had nothing for it. */
function groupBy<T>(keys: string[], items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const result = new Map<string, T[]>(keys.map((k) => [k, [] as T[]] as const));
  for (const item of items) result.get(keyOf(item))?.push(item);
  return result;
}
