import {
  type CfApp,
  type CfDomain,
  type CfOrganization,
  type CfProcess,
  type CfRoute,
  type CfSpace,
  type CloudControllerApi,
  settleList,
} from "../cf/index.js";
import type { CfConfig } from "../config/index.js";
import { type BatchLoader, type LoadSettled, RefreshAheadCache } from "./refresh-ahead-cache.js";

/** Key of the org cache entry holding every org, and of the single domain cache entry. */
export const ALL = "*";

/**
 * Up to this many apps, processes are fetched by app guid (small answers); beyond it by space guid, which
 * costs far fewer requests for big landscapes. Routes are always fetched by app guid (100 per request).
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

function spaceGuidOf(key: string): string {
  return key.slice(0, key.indexOf("/"));
}

function appGuidOf(key: string): string {
  return key.slice(key.indexOf("/") + 1);
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
      groupBy(orgGuids, await settleList(cf.listSpaces({ organizationGuids: orgGuids })), (s) => s.orgGuid),
    ),
    application: make("application", async (spaceGuids) =>
      groupBy(spaceGuids, await settleList(cf.listApps({ spaceGuids })), (a) => a.spaceGuid),
    ),
    process: make("process", (keys) =>
      loadPerApp(
        keys,
        (filter) => cf.listWebProcesses(filter),
        (p) => [p.appGuid],
        true,
      ),
    ),
    // A route lives in one space but can lead to apps of other spaces: listing by space would miss it.
    route: make("route", (keys) =>
      loadPerApp(
        keys,
        (filter) => cf.listRoutes(filter),
        (r) => r.appGuids,
        false,
      ),
    ),
    domain: make<ReadonlyMap<string, CfDomain>>("domain", async (keys) => {
      const byGuid = new Map((await cf.listDomains()).map((d) => [d.guid, d] as const));
      return new Map(keys.map((key) => [key, byGuid] as const));
    }),
  };
}

/** With ALL among the keys one unfiltered list serves every key; otherwise one list filtered by names. */
async function loadOrgs(
  cf: CloudControllerApi,
  keys: string[],
): Promise<Map<string, CfOrganization[] | Error>> {
  const wantsAll = keys.includes(ALL);
  const names = keys.filter((k) => k !== ALL);
  const { items: orgs, failed } = await settleList(
    wantsAll ? cf.listOrganizations() : cf.listOrganizations({ names }),
  );
  const result = new Map<string, CfOrganization[] | Error>();
  if (wantsAll) result.set(ALL, orgs);
  for (const name of names)
    result.set(name, failed.get(name) ?? orgs.filter((o) => o.name.toLowerCase() === name));
  return result;
}

/**
 * Items per app key, by app guids, or by space guids beyond APP_GUID_FILTER_LIMIT apps when `bySpace` is
 * allowed (only for items that live in their app's space). A failed app or space fails only its keys.
 */
async function loadPerApp<T>(
  keys: string[],
  list: (filter: { appGuids?: string[]; spaceGuids?: string[] }) => Promise<T[]>,
  appsOf: (item: T) => string[],
  bySpace: boolean,
): Promise<Map<string, T[] | Error>> {
  // Only the guids the query needs live while the list loads (seconds, for thousands of keys): objects that
  // live that long are promoted to the old generation, where the next refresh leaves them as garbage.
  const useSpaces = bySpace && keys.length > APP_GUID_FILTER_LIMIT;
  const { items, failed } = await settleList(
    useSpaces
      ? list({ spaceGuids: [...new Set(keys.map(spaceGuidOf))] })
      : list({ appGuids: keys.map(appGuidOf) }),
  );
  const byApp = new Map<string, T[]>();
  for (const item of items) {
    // a route shared by several apps belongs to each of them
    for (const appGuid of new Set(appsOf(item))) {
      const list = byApp.get(appGuid);
      if (list) list.push(item);
      else byApp.set(appGuid, [item]);
    }
  }
  const result = new Map<string, T[] | Error>();
  for (const key of keys) {
    const appGuid = appGuidOf(key);
    const error = failed.size > 0 ? failed.get(useSpaces ? spaceGuidOf(key) : appGuid) : undefined;
    result.set(key, error ?? byApp.get(appGuid) ?? []);
  }
  return result;
}

/** Every requested key gets a list (empty when the answer had nothing for it), or its own failure. */
function groupBy<T>(
  keys: string[],
  { items, failed }: { items: T[]; failed: ReadonlyMap<string, Error> },
  keyOf: (item: T) => string,
): Map<string, T[] | Error> {
  const result = new Map<string, T[]>(keys.map((k) => [k, [] as T[]] as const));
  for (const item of items) result.get(keyOf(item))?.push(item);
  return new Map(keys.map((k) => [k, failed.get(k) ?? (result.get(k) as T[])] as const));
}
