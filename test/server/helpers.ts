import type { DiscoveredInstance } from "../../src/discovery/types.js";
import { discoveredInstance } from "../support/instances.js";

export { snapshotOf } from "../support/instances.js";

/** The app every server test scrapes. */
export const GUID = "6c1d6c9e-5b7a-4d8e-9f10-0123456789ab";

/** Instance `index` of the GUID app, on a plain-HTTP route. */
export function instance(index: number): DiscoveredInstance {
  return discoveredInstance(GUID, index);
}
