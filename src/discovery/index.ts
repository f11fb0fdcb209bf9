export { type BindingAccess, readBindingCredentials } from "./binding-credentials.js";
export { ALL, APP_GUID_FILTER_LIMIT, appKey, type CfCaches, createCfCaches } from "./cf-caches.js";
export {
  type DiscoveryDocumentOptions,
  discoveryScheme,
  followDiscoveryFile,
  OWN_METRICS_PATH,
  preparedDiscoveryDocument,
  renderDiscoveryDocument,
  writeDiscoveryFile,
} from "./document.js";
export {
  composeFoundations,
  type FoundationHealth,
  type FoundationPart,
  type FoundationsDiscovery,
} from "./foundations.js";
export { internalRouteUrl, joinUrl, scanInstances } from "./instance-builder.js";
export { compileTarget, describeTarget, wholeMatch } from "./matching.js";
export { PublishedSnapshot } from "./published.js";
export { type CacheReader, RefreshAheadCache, type RefreshAheadCacheOptions } from "./refresh-ahead-cache.js";
export { RefreshLoop, type RefreshLoopOptions, type RefreshLoopStats } from "./refresh-loop.js";
export { type RefreshCaches, type RefreshInput, type RefreshResult, refreshOnce } from "./refresh-step.js";
export {
  candidateRoutes,
  chooseRoute,
  type RouteProblem,
  reachesWebProcess,
  WEB_PROCESS_TYPE,
} from "./routes.js";
export { createDiscoveryService, DEFAULT_TICK_MS, type DiscoveryServiceDeps } from "./service.js";
export { compareInstances, mergeTargets, sameInstances } from "./snapshot.js";
export { type ResolvedApp, resolveTargets, type TargetResolution } from "./target-resolver.js";
export type * from "./types.js";
