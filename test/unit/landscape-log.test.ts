import { describe, expect, it } from "vitest";
import type { DiscoveredInstance } from "../../src/discovery/types.js";
import { createLandscapeLog } from "../../src/landscape-log.js";
import { createLogger } from "../../src/log.js";
import { discoveredInstance, snapshotOf } from "../support/instances.js";

function inst(app: string, index: number, guid = `${app}-guid`): DiscoveredInstance {
  return discoveredInstance(guid, index, {
    orgName: "o",
    spaceName: "s",
    appName: app,
    url: `http://${app}.example/metrics`,
  });
}

describe("landscape log", () => {
  it("logs the first discovery, then +n / -m per app on changes, and nothing when the instances stay", () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLandscapeLog(
      createLogger("info", { write: (l: string) => void lines.push(JSON.parse(l)) }),
    );
    log(snapshotOf([inst("a", 0), inst("a", 1), inst("b", 0)]));
    log(snapshotOf([inst("a", 0), inst("a", 1), inst("b", 0)]));
    log(snapshotOf([inst("a", 0), inst("a", 1), inst("a", 2), inst("c", 0)]));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ["info", "first discovery: 3 instances in 2 apps"],
      ["info", "landscape changed: +2 / -1 instances in 3 apps"],
    ]);
    expect(lines[1].apps).toEqual([
      { org: "o", space: "s", app: "a", added: 1, removed: 0 },
      { org: "o", space: "s", app: "b", added: 0, removed: 1 },
      { org: "o", space: "s", app: "c", added: 1, removed: 0 },
    ]);
  });

  it("counts a restaged app (new guid, same name) as instances removed and added", () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLandscapeLog(
      createLogger("info", { write: (l: string) => void lines.push(JSON.parse(l)) }),
    );
    log(snapshotOf([inst("a", 0, "g1")]));
    log(snapshotOf([inst("a", 0, "g2")]));
    expect(lines[1]).toMatchObject({
      added: 1,
      removed: 1,
      msg: "landscape changed: +1 / -1 instances in 1 apps",
    });
  });
});
