import { describe, expect, it } from "vitest";
import { buildStatusDocument } from "../../src/status/document.js";
import { renderStatusHtml } from "../../src/status/html.js";
import type { StatusDeps } from "../../src/status/types.js";
import { instance, NOW, section, snapshotOf } from "./helpers.js";

function deps(overrides: Partial<StatusDeps> = {}): StatusDeps {
  return {
    snapshot: () => undefined,
    ready: () => false,
    lastScrape: () => undefined,
    cacheStats: () => [],
    identity: { processId: "proc-1" },
    version: "1.0.0",
    cfApiUrl: "https://api.sys.example.com",
    ...overrides,
  };
}

const html = (d: StatusDeps) =>
  renderStatusHtml(buildStatusDocument(d, NOW), { maxInstanceRows: 10, refreshSeconds: 15 });

describe("status document: refresh times, configured targets, scrape URLs", () => {
  it("tells the latest successful refresh apart from the latest change of the landscape", () => {
    // The landscape last changed an hour ago; refreshes since found the same and succeeded, the latest 4 s ago.
    const d = deps({
      ready: () => true,
      snapshot: () => snapshotOf([instance(0)], undefined, NOW - 3_600_000),
      lastRefresh: () => ({ at: NOW - 4_000, ok: true, lastOkAt: NOW - 4_000 }),
    });
    const doc = buildStatusDocument(d, NOW);
    expect(doc.discovery.lastRefresh).toEqual({ at: "2024-05-01T11:59:56.000Z", ageSeconds: 4 });
    expect(doc.discovery.lastChange).toEqual({ at: "2024-05-01T11:00:00.000Z", ageSeconds: 3600 });
    const overview = section(html(d), "overview");
    expect(overview).toMatch(/Last successful refresh<\/dt><dd>[^\n]*4 s ago \(2024-05-01 11:59:56 UTC\)/);
    expect(overview).toMatch(/Landscape last changed<\/dt><dd>[^\n]*\(2024-05-01 11:00:00 UTC\)/);
  });

  it("keeps the latest successful refresh when the latest one failed", () => {
    const d = deps({
      ready: () => true,
      snapshot: () => snapshotOf([instance(0)], undefined, NOW - 600_000),
      lastRefresh: () => ({ at: NOW - 1_000, ok: false, error: "CC answered 503", lastOkAt: NOW - 61_000 }),
    });
    expect(buildStatusDocument(d, NOW).discovery.lastRefresh).toEqual({
      at: "2024-05-01T11:58:59.000Z",
      ageSeconds: 61,
    });
  });

  it("has no successful refresh while none succeeded", () => {
    const d = deps({ lastRefresh: () => ({ at: NOW - 1_000, ok: false, error: "UAA answered 401" }) });
    const doc = buildStatusDocument(d, NOW);
    expect(doc.discovery.lastRefresh).toBeUndefined();
    expect(doc.discovery.lastChange).toBeUndefined();
    expect(section(html(d), "overview")).toMatch(/Last successful refresh<\/dt><dd>none yet/);
  });

  it("lists the configured targets before the first discovery completed", () => {
    const d = deps({ configuredTargets: ["org=shop space=prod app=cart", "org=shop space=* app=/api-.*/"] });
    expect(buildStatusDocument(d, NOW).discovery.targets).toEqual([
      { targetIndex: 0, description: "org=shop space=prod app=cart", instances: 0, pending: true },
      { targetIndex: 1, description: "org=shop space=* app=/api-.*/", instances: 0, pending: true },
    ]);
    const targets = section(html(d), "targets");
    expect(targets).toContain("<code>org=shop space=prod app=cart</code>");
    expect(targets).toContain("<code>org=shop space=* app=/api-.*/</code>");
    expect(targets).toContain("not resolved yet");
    expect(targets).not.toContain("No discovery has completed yet");
  });

  it("lists what the discovery reported, not the configuration, once there is a snapshot", () => {
    const d = deps({
      ready: () => true,
      snapshot: () => snapshotOf([instance(0)]),
      configuredTargets: ["org=org-a space=space-a app=app-a"],
    });
    expect(buildStatusDocument(d, NOW).discovery.targets).toEqual([
      { targetIndex: 0, description: "org=org-a space=space-a app=app-a", instances: 1 },
    ]);
  });

  it("shows the URL each instance is scraped at, without user info", () => {
    const d = deps({
      ready: () => true,
      snapshot: () =>
        snapshotOf([
          instance(0, { url: "https://app-a.apps.example.com/actuator/prometheus" }),
          instance(1, { url: "https://user:s3cret@app-a.apps.example.com/metrics" }),
          instance(2, { url: "http://app-a.apps.internal:9100/metrics" }),
        ]),
    });
    const doc = buildStatusDocument(d, NOW);
    expect(doc.instances.map((i) => i.url)).toEqual([
      "https://app-a.apps.example.com/actuator/prometheus",
      "https://app-a.apps.example.com/metrics",
      "http://app-a.apps.internal:9100/metrics",
    ]);
    const instances = section(html(d), "instances");
    expect(instances).toContain('<th scope="col">Scrape URL</th>');
    expect(instances).toContain(
      '<td class="url"><code>https://app-a.apps.example.com/actuator/prometheus</code></td>',
    );
    expect(instances).toContain('<td class="url"><code>http://app-a.apps.internal:9100/metrics</code></td>');
    expect(instances).not.toContain("s3cret");
  });
});
