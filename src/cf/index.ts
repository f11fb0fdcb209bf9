import { CloudControllerClient, type CloudControllerClientDeps } from "./client.js";

export type { CfRequestCounters } from "./cc-request.js";
export {
  CloudControllerClient,
  type CloudControllerClientDeps,
  type CloudControllerClientOptions,
} from "./client.js";
export { CfApiError, type CfFailureKind, PartialListError, settleList, UaaError } from "./errors.js";
export type * from "./types.js";
export { MIN_API_VERSION } from "./versions.js";
export { startWatchdog, type WatchdogHandle, type WatchdogOptions } from "./watchdog.js";

/**
 * The Cloud Controller v3 client used by discovery. Throws at once only for an unusable API URL;
 * missing credentials surface on the first list call.
 */
export function createCloudControllerClient(deps: CloudControllerClientDeps): CloudControllerClient {
  return new CloudControllerClient(deps);
}
