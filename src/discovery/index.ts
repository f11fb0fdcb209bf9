/**
 * Discovery, the only door into `discovery/`: the background CF discovery service, its composition over several
 * foundations, the snapshot types it publishes, and the http_sd document made from a snapshot
 * (docs/architecture.md).
 */
export { type BindingAccess, readBindingCredentials } from "./binding-credentials.js";
export {
  discoveryScheme,
  followDiscoveryFile,
  OWN_METRICS_PATH,
  preparedDiscoveryDocument,
} from "./document.js";
export {
  Clashes,
  composeFoundations,
  type FoundationHealth,
  type FoundationPart,
  type FoundationsDiscovery,
} from "./foundations.js";
export { describeTarget } from "./matching.js";
export { createDiscoveryService, type DiscoveryServiceDeps } from "./service.js";
export type * from "./types.js";
