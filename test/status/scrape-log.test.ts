import { describe, expect, it } from "vitest";
import { buildSnapshot } from "../../src/discovery/snapshot.js";
import type { DiscoveredInstance } from "../../src/discovery/types.js";
import { ScrapeLog } from "../../src/status/scrape-log.js";

function instance(instanceId: string, appName = "app"): DiscoveredInstance {
  return {
    instanceId,
    appGuid: instanceId.split(":")[0],
    index: Number(instanceId.split(":")[1]),
    orgName: "o",
    spaceName: "s",
    appName,
    url: "https://app.example.test/metrics",
    sendInstanceHeader: true,
    targetIndex: 0,
    foundation: "default",
  };
}

describe("scrape log", () => {
  it("keeps the last scrape per instance and forgets instances a new snapshot no longer holds", () => {
    let now = 1000;
    const log = new ScrapeLog(() => now);
    const gone = instance("gone:0");
    const kept = instance("kept:0");
    log.recordScrape({ instance: gone, ok: true, bytes: 300, seconds: 0.1 });
    log.recordScrape({ instance: kept, ok: false, seconds: 0.2, reason: "x".repeat(1000) });
    now = 2000;
    log.recordScrape({ instance: kept, ok: true, bytes: 300, seconds: 0.1 });
    expect(log.lastScrape("kept:0")).toEqual({ ok: true, bytes: 300, seconds: 0.1, at: 2000 });

    log.retain(buildSnapshot([kept], [], now));
    expect(log.lastScrape("gone:0")).toBeUndefined();
    expect(log.lastScrape("kept:0")).toMatchObject({ ok: true, bytes: 300 });
    expect(log.size).toBe(1);
  });

  it("keys by instance id, so a renamed app keeps its last scrape", () => {
    const log = new ScrapeLog(() => 1);
    log.recordScrape({ instance: instance("a:0", "old-name"), ok: true, bytes: 1, seconds: 0 });
    const renamed = instance("a:0", "new-name");
    log.retain(buildSnapshot([renamed], [], 1));
    expect(log.lastScrape(renamed.instanceId)).toBeDefined();
  });

  it("cuts long failure reasons to one line's worth", () => {
    const log = new ScrapeLog(() => 1);
    log.recordScrape({ instance: instance("a:0"), ok: false, seconds: 1, reason: "x".repeat(1000) });
    expect(log.lastScrape("a:0")?.reason).toHaveLength(300);
  });
});
