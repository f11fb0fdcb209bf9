import type { DiscoveredInstance, DiscoverySnapshot } from "./discovery/index.js";
import type { Logger } from "./log.js";

/** Apps listed per line at most; the counts always cover all. */
const MAX_APPS_PER_LINE = 20;

export interface AppChange {
  org: string;
  space: string;
  app: string;
  added: number;
  removed: number;
}

function countByApp(
  instances: readonly DiscoveredInstance[],
): Map<string, { key: AppChange; ids: Set<string> }> {
  const apps = new Map<string, { key: AppChange; ids: Set<string> }>();
  for (const i of instances) {
    const id = `${i.orgName}\n${i.spaceName}\n${i.appName}`;
    let entry = apps.get(id);
    if (!entry) {
      entry = {
        key: { org: i.orgName, space: i.spaceName, app: i.appName, added: 0, removed: 0 },
        ids: new Set(),
      };
      apps.set(id, entry);
    }
    entry.ids.add(i.instanceId);
  }
  return apps;
}

/** Instances added and removed per app (org, space, app name) between two snapshots, in name order. */
export function landscapeChanges(
  previous: readonly DiscoveredInstance[],
  next: readonly DiscoveredInstance[],
): AppChange[] {
  const before = countByApp(previous);
  const after = countByApp(next);
  const changes: AppChange[] = [];
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(id)?.ids ?? new Set<string>();
    const now = after.get(id)?.ids ?? new Set<string>();
    const added = [...now].filter((x) => !old.has(x)).length;
    const removed = [...old].filter((x) => !now.has(x)).length;
    if (added + removed > 0) {
      changes.push({ ...(after.get(id) ?? before.get(id))!.key, added, removed });
    }
  }
  return changes.sort((a, b) => (a.org + a.space + a.app < b.org + b.space + b.app ? -1 : 1));
}

/**
 * Logs at info when the discovered landscape changes: "+n / -m instances", with the apps concerned. Subscribe it to
 * the published snapshots; a snapshot with only other changes (routes, target reports) logs nothing.
 */
export function createLandscapeLog(logger: Logger): (snapshot: DiscoverySnapshot) => void {
  let previous: readonly DiscoveredInstance[] | undefined;
  return (snapshot) => {
    const first = previous === undefined;
    const changes = landscapeChanges(previous ?? [], snapshot.instances);
    previous = snapshot.instances;
    if (changes.length === 0 && !first) return;
    const added = changes.reduce((sum, c) => sum + c.added, 0);
    const removed = changes.reduce((sum, c) => sum + c.removed, 0);
    logger.info(
      {
        instances: snapshot.instances.length,
        added,
        removed,
        apps: changes.slice(0, MAX_APPS_PER_LINE),
        ...(changes.length > MAX_APPS_PER_LINE && { moreApps: changes.length - MAX_APPS_PER_LINE }),
      },
      first
        ? `first discovery: ${snapshot.instances.length} instances in ${changes.length} apps`
        : `landscape changed: +${added} / -${removed} instances in ${changes.length} apps`,
    );
  };
}
