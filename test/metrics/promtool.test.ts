import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { instance, ownMetrics, textOf } from "./helpers.js";

const PROMTOOL = "/usr/bin/promtool";
const hasPromtool = existsSync(PROMTOOL);
if (!hasPromtool) console.warn(`${PROMTOOL} not found: skipping the promtool lint of own metrics`);

/**
 * The one lint finding we keep on purpose: the Java-compatible name of the latency family (values are in
 * seconds despite the name; renaming it would break existing dashboards).
 */
const ACCEPTED_FINDINGS = [
  'promregator_request_latency_milliseconds use base unit "seconds" instead of "milliseconds"',
];

describe.skipIf(!hasPromtool)("promtool check metrics", () => {
  it("parses the text render and finds nothing but the accepted Java latency name", async () => {
    const metrics = ownMetrics({ internal: true, requestLatency: true, labelNamePrefix: "target_" });
    metrics.markSeen([instance()]);
    metrics.recordScrape({ instance: instance(), ok: true, bytes: 2000, seconds: 0.2 });
    metrics.recordScrape({ instance: instance({ instanceId: "x:1", index: 1 }), ok: false, seconds: 5 });
    metrics.observeCfRequest("space", 0.3, "ok");
    metrics.observeRateLimitWait("space", 0.1);
    metrics.recordWatchdogReconnect();
    metrics.setCacheStats(() => [
      { cache: "org", entries: 2, oldestAgeSeconds: 10, loads: 1, loadFailures: 0 },
    ]);

    const result = spawnSync(PROMTOOL, ["check", "metrics"], {
      input: await textOf(metrics),
      encoding: "utf8",
    });
    const findings = `${result.stdout}${result.stderr}`
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "");
    // Exit 1 would be a parse error; 3 is lint only, allowed just for the accepted finding.
    expect(findings.filter((f) => !ACCEPTED_FINDINGS.includes(f))).toEqual([]);
    expect(result.status).toBe(findings.length === 0 ? 0 : 3);
  });

  it("lints the default set-up clean (exit 0): the latency family is absent unless enabled", async () => {
    const metrics = ownMetrics({ internal: true, requestLatency: false });
    metrics.recordScrape({ instance: instance(), ok: true, bytes: 2000, seconds: 0.2 });
    const body = await textOf(metrics);
    expect(body).not.toContain("promregator_request_latency_milliseconds");
    const result = spawnSync(PROMTOOL, ["check", "metrics"], { input: body, encoding: "utf8" });
    expect(`${result.stdout}${result.stderr}`.trim()).toBe("");
    expect(result.status).toBe(0);
  });
});
