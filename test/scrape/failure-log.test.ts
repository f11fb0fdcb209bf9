import { describe, expect, it } from "vitest";
import type { DiscoveredInstance } from "../../src/discovery/types.js";
import { createLogger } from "../../src/log.js";
import { REPEAT_SUMMARY_MS, ScrapeFailureLog } from "../../src/scrape/failure-log.js";

const instance = (index: number): DiscoveredInstance => ({
  instanceId: `6c1d6c9e-5b7a-4d8e-9f10-0123456789ab:${index}`,
  appGuid: "6c1d6c9e-5b7a-4d8e-9f10-0123456789ab",
  index,
  orgName: "o",
  spaceName: "s",
  appName: "app",
  url: "http://app.example/metrics?token=secret",
  sendInstanceHeader: true,
  targetIndex: 0,
  foundation: "default",
});

function harness() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) });
  let now = 1_000_000;
  const log = new ScrapeFailureLog(logger, () => now);
  return { lines, log, advance: (ms: number) => (now += ms) };
}

describe("scrape failure log", () => {
  it("warns on the first failure, then once per period with the count, then logs the recovery", () => {
    const h = harness();
    const broken = instance(0);
    h.log.failed(broken, "target answered 404 Not Found");
    for (let i = 0; i < 40; i++) {
      h.advance(15_000); // Prometheus' default interval: 40 scrapes = 10 minutes
      h.log.failed(broken, "target answered 404 Not Found");
    }
    const warnings = h.lines.filter((l) => l.level === "warn");
    expect(warnings.map((w) => w.msg)).toEqual([
      "scrape failed",
      "scrape still failing: 40 more failures since the last line",
    ]);
    expect(warnings[1]).toMatchObject({ failures: 40, failingSinceSeconds: REPEAT_SUMMARY_MS / 1000 });
    expect(String(warnings[0].url)).not.toContain("secret");

    h.log.succeeded(broken);
    h.log.succeeded(broken);
    const infos = h.lines.filter((l) => l.level === "info");
    expect(infos).toHaveLength(1);
    expect(infos[0]).toMatchObject({ msg: "scrape succeeds again", failures: 41 });
  });

  it("keeps instances apart and says nothing for an instance that never failed", () => {
    const h = harness();
    h.log.succeeded(instance(2));
    h.log.failed(instance(0), "a");
    h.log.failed(instance(1), "b");
    h.log.failed(instance(0), "a");
    expect(h.lines.map((l) => [l.instanceId, l.reason])).toEqual([
      [instance(0).instanceId, "a"],
      [instance(1).instanceId, "b"],
    ]);
  });
});
