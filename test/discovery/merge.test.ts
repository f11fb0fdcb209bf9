import { describe, expect, it } from "vitest";
import { MERGE_PER_TURN, mergeTargets } from "../../src/discovery/snapshot.js";
import type { DiscoveredInstance } from "../../src/discovery/types.js";
import { discoveredInstance } from "../support/instances.js";
import { countLoopTurns } from "../support/loop-turns.js";

function instance(app: string, index: number, targetIndex: number): DiscoveredInstance {
  return discoveredInstance(app, index, {
    orgName: "o",
    spaceName: "s",
    appName: app,
    url: `https://${app}.apps.example.test/metrics`,
    targetIndex,
  });
}

describe("merging the targets' instances", () => {
  it("gives the event loop turns while it merges thousands of instances, with the same result", async () => {
    const apps = Array.from({ length: MERGE_PER_TURN }, (_, i) => `app${String(i).padStart(5, "0")}`);
    // target 0: two instances of every app, in reverse order; target 1: the first instance of each again
    const first = apps.toReversed().flatMap((app) => [instance(app, 0, 0), instance(app, 1, 0)]);
    const second = apps.map((app) => instance(app, 0, 1));
    const loop = countLoopTurns();
    const merged = await mergeTargets([first, second]);
    loop.stop();

    expect(loop.turns).toBeGreaterThanOrEqual(2);
    expect(merged.instances.map((i) => i.instanceId)).toEqual(
      apps.flatMap((app) => [`${app}:0`, `${app}:1`]),
    );
    expect(merged.instances.every((i) => i.targetIndex === 0)).toBe(true);
    expect(merged.duplicates).toHaveLength(apps.length);
    expect(merged.duplicates[0]).toEqual({ instanceId: `${apps[0]}:0`, keptTarget: 0, droppedTarget: 1 });
    expect(merged.byInstanceId.size).toBe(2 * apps.length);
    expect(merged.byInstanceId.get(`${apps[0]}:1`)).toBe(merged.instances[1]);
  });
});
