/** One scrapeable app instance, as found by discovery. Read by /discovery, the scrape proxy and the status page. */
export interface DiscoveredInstance {
  /** "<appGuid>:<index>", also the `instance` label users relabel to. */
  instanceId: string;
  appGuid: string;
  index: number;
  orgName: string;
  spaceName: string;
  appName: string;
  /** Full URL the proxy fetches: route + path, internal route URL, or overrideRouteAndPath. */
  url: string;
  /** False for internal routes and overrideRouteAndPath: no X-CF-APP-INSTANCE header then. */
  sendInstanceHeader: boolean;
  /** authenticatorId of the configured target that produced this instance, if any. */
  authenticatorId?: string;
  /** Index into promregator.targets of that target. */
  targetIndex: number;
}

/** What one configured target resolved to in the last refresh; for diagnostics and the status page. */
export interface TargetReport {
  targetIndex: number;
  /** Human-readable description of the target, e.g. "org=a space=b app=/x.*\/". */
  description: string;
  instances: number;
  /** Why nothing matched, or the last error; undefined when instances > 0. */
  problem?: string;
}

export interface DiscoverySnapshot {
  /** Stable order: org name, space name, app name, index. */
  instances: readonly DiscoveredInstance[];
  byInstanceId: ReadonlyMap<string, DiscoveredInstance>;
  targets: readonly TargetReport[];
  /** epoch ms of the refresh that produced this snapshot */
  refreshedAt: number;
}

export interface CacheInvalidation {
  org?: boolean;
  space?: boolean;
  application?: boolean;
  domain?: boolean;
  route?: boolean;
  process?: boolean;
  resolver?: boolean;
}
