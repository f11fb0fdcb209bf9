/**
 * The same app guid in two foundations, for `check-config --resolve`: as the running process does, an instance id
 * that an earlier foundation lists already is served from that one only, and both targets' reports say so
 * (problem kind `same-app-guid`), so that the later target's 0 instances are explained.
 */
import { Clashes, type DiscoveredInstance } from "../discovery/index.js";
import type { ResolveOutcome } from "./run.js";

/** The outcomes of the foundations in configuration order, with the instances and reports the server would have. */
export function withSameAppGuids(outcomes: readonly ResolveOutcome[]): ResolveOutcome[] {
  const clashes = new Clashes();
  const kept = new Map<string, DiscoveredInstance>();
  const dropped = new Set<DiscoveredInstance>();
  for (const outcome of outcomes) {
    if (!outcome.ok) continue;
    for (const instance of outcome.snapshot.instances) {
      const first = kept.get(instance.instanceId);
      if (first === undefined) kept.set(instance.instanceId, instance);
      else {
        clashes.add(instance, first);
        dropped.add(instance);
      }
    }
  }
  return outcomes.map((outcome) => {
    if (!outcome.ok) return outcome;
    const { snapshot } = outcome;
    const instances = snapshot.instances.filter((i) => !dropped.has(i));
    return {
      ...outcome,
      snapshot: {
        ...snapshot,
        instances,
        byInstanceId: new Map(instances.map((i) => [i.instanceId, i])),
        targets: snapshot.targets.map((t) => clashes.apply(t)),
      },
    };
  });
}
