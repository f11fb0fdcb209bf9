import type { DiscoveredInstance, DiscoverySnapshot, TargetReport } from "../../src/discovery/types.js";

/**
 * Instance `index` of the app `appGuid` as discovery reports it (instanceId `<appGuid>:<index>`), on a
 * plain-HTTP route of the first target and the default foundation; `fields` replace any of that.
 */
export function discoveredInstance(
  appGuid: string,
  index: number,
  fields: Partial<DiscoveredInstance> = {},
): DiscoveredInstance {
  return {
    instanceId: `${appGuid}:${index}`,
    appGuid,
    index,
    orgName: "org",
    spaceName: "space",
    appName: "app",
    url: "http://app.example/metrics",
    sendInstanceHeader: true,
    targetIndex: 0,
    foundation: "default",
    ...fields,
  };
}

/** A discovery snapshot holding `instances`, indexed by instanceId, with `targets` (none by default). */
export function snapshotOf(
  instances: DiscoveredInstance[],
  targets: TargetReport[] = [],
  refreshedAt = 0,
): DiscoverySnapshot {
  return { instances, byInstanceId: new Map(instances.map((i) => [i.instanceId, i])), targets, refreshedAt };
}
