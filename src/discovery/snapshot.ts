import { nextTurn } from "../event-loop-turn.js";
import type { DiscoveredInstance, DiscoverySnapshot, ScrapeCredential, TargetReport } from "./types.js";

export interface Duplicate {
  instanceId: string;
  keptTarget: number;
  droppedTarget: number;
}

/**
 * Instances merged between two turns of the event loop: the map of 10,000 instance ids alone takes
 * several milliseconds.
 */
export const MERGE_PER_TURN = 2000;

/**
 * Merges the instances of all targets. The same instance reached through two targets is kept once:
 * the first target in configuration order wins (and with it its authenticator and URL).
 * Input must be given in target order. `byInstanceId` holds the kept instances, for the snapshot.
 */
export async function mergeTargets(perTarget: readonly (readonly DiscoveredInstance[])[]): Promise<{
  instances: DiscoveredInstance[];
  byInstanceId: Map<string, DiscoveredInstance>;
  duplicates: Duplicate[];
}> {
  const byId = new Map<string, DiscoveredInstance>();
  const duplicates: Duplicate[] = [];
  let merged = 0;
  for (const list of perTarget) {
    for (const instance of list) {
      if (++merged % MERGE_PER_TURN === 0) await nextTurn();
      const kept = byId.get(instance.instanceId);
      if (!kept) byId.set(instance.instanceId, instance);
      else if (kept.targetIndex !== instance.targetIndex) {
        duplicates.push({
          instanceId: instance.instanceId,
          keptTarget: kept.targetIndex,
          droppedTarget: instance.targetIndex,
        });
      }
    }
  }
  return { instances: [...byId.values()].sort(compareInstances), byInstanceId: byId, duplicates };
}

/** Org, space, app name, then app guid and index, so the document is stable between refreshes. */
export function compareInstances(a: DiscoveredInstance, b: DiscoveredInstance): number {
  return (
    compareText(a.orgName, b.orgName) ||
    compareText(a.spaceName, b.spaceName) ||
    compareText(a.appName, b.appName) ||
    compareText(a.appGuid, b.appGuid) ||
    a.index - b.index
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `byInstanceId`: the instances by id when the caller has that map already (see mergeTargets). */
export function buildSnapshot(
  instances: readonly DiscoveredInstance[],
  targets: readonly TargetReport[],
  refreshedAt: number,
  byInstanceId?: ReadonlyMap<string, DiscoveredInstance>,
): DiscoverySnapshot {
  return {
    instances,
    byInstanceId: byInstanceId ?? new Map(instances.map((i) => [i.instanceId, i] as const)),
    targets,
    refreshedAt,
  };
}

/** True when both lists describe the same instances in the same order with the same access details. */
export function sameInstances(a: readonly DiscoveredInstance[], b: readonly DiscoveredInstance[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    // a refresh hands over the previous snapshot's objects for instances it found unchanged
    if (a[i] !== b[i] && !sameInstance(a[i], b[i])) return false;
  }
  return true;
}

/**
 * True when two instances are equal in every field (`parsedUrl` is `url` parsed); a binding credential is
 * compared by its `equals`.
 */
export function sameInstance(x: DiscoveredInstance, y: DiscoveredInstance): boolean {
  return (
    x.instanceId === y.instanceId &&
    x.appGuid === y.appGuid &&
    x.index === y.index &&
    x.url === y.url &&
    x.sendInstanceHeader === y.sendInstanceHeader &&
    x.authenticatorId === y.authenticatorId &&
    x.targetIndex === y.targetIndex &&
    x.orgName === y.orgName &&
    x.spaceName === y.spaceName &&
    x.appName === y.appName &&
    x.foundation === y.foundation &&
    sameCredential(x.bindingCredential, y.bindingCredential)
  );
}

function sameCredential(a: ScrapeCredential | undefined, b: ScrapeCredential | undefined): boolean {
  return a === undefined ? b === undefined : a.equals(b);
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return (
    a === b || (a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]))
  );
}

export function sameReports(a: readonly TargetReport[], b: readonly TargetReport[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (x, i) =>
        x.instances === b[i].instances &&
        x.problem === b[i].problem &&
        x.kind === b[i].kind &&
        x.description === b[i].description &&
        sameList(x.leftOut, b[i].leftOut),
    )
  );
}
