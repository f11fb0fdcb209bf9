import type { DiscoveredInstance, DiscoverySnapshot } from "../../src/discovery/types.js";

/** The app every server test scrapes. */
export const GUID = "6c1d6c9e-5b7a-4d8e-9f10-0123456789ab";

/** Instance `index` of the GUID app, on a plain-HTTP route. */
export function instance(index: number): DiscoveredInstance {
  return {
    instanceId: `${GUID}:${index}`,
    appGuid: GUID,
    index,
    orgName: "org",
    spaceName: "space",
    appName: "app",
    url: "http://app.example/metrics",
    sendInstanceHeader: true,
    targetIndex: 0,
    foundation: "default",
  };
}

/** A discovery snapshot holding `instances`, with no target rows. */
export function snapshotOf(instances: DiscoveredInstance[]): DiscoverySnapshot {
  return {
    instances,
    byInstanceId: new Map(instances.map((i) => [i.instanceId, i])),
    targets: [],
    refreshedAt: 0,
  };
}
