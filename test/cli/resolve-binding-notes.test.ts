import { describe, expect, it } from "vitest";
import type { DiscoveredInstance, DiscoverySnapshot } from "../../src/discovery/index.js";
import { renderTextReport, reportJson } from "../../src/resolve-report/index.js";

const instance: DiscoveredInstance = {
  instanceId: "a-1:0",
  appGuid: "a-1",
  index: 0,
  orgName: "acme",
  spaceName: "prod",
  appName: "shop",
  url: "https://shop.example.org/metrics",
  sendInstanceHeader: true,
  targetIndex: 0,
  foundation: "default",
};

describe("check-config --resolve with service binding notes", () => {
  it("shows a binding problem of a target that also has instances next to its ok", () => {
    const snapshot: DiscoverySnapshot = {
      instances: [instance],
      byInstanceId: new Map([[instance.instanceId, instance]]),
      targets: [
        {
          targetIndex: 0,
          description: 'org=* space=* app=* bound to "metrics-endpoint"',
          instances: 1,
          problem:
            'acme/prod/cart (binding b-2 to "metrics-endpoint"): left out, credentials.path does not start with "/"',
          kind: "service-binding",
        },
      ],
      refreshedAt: 0,
    };
    const text = renderTextReport({ ok: true, apiUrl: "https://api.example.org", snapshot, elapsedMs: 10 });
    expect(text).toContain('ok; acme/prod/cart (binding b-2 to "metrics-endpoint"): left out');
  });
});

describe("check-config --resolve with a secret in a binding path's query", () => {
  it("masks the query values of instance URLs in the text and the JSON report", () => {
    const secret = { ...instance, url: "https://shop.example.org/metrics?token=QSECRET123&x" };
    const snapshot: DiscoverySnapshot = {
      instances: [secret],
      byInstanceId: new Map([[secret.instanceId, secret]]),
      targets: [{ targetIndex: 0, description: "org=acme", instances: 1 }],
      refreshedAt: 0,
    };
    const outcome = { ok: true as const, apiUrl: "https://api.example.org", snapshot, elapsedMs: 10 };
    const text = renderTextReport(outcome);
    const json = JSON.stringify(reportJson(outcome));
    expect(text).toContain("https://shop.example.org/metrics?token=***&***");
    expect(json).toContain("https://shop.example.org/metrics?token=***&***");
    expect(text + json).not.toContain("QSECRET123");
  });
});

describe("check-config --resolve text with invisible characters in names", () => {
  it("escapes zero-width and bidi characters instead of printing them raw", () => {
    const odd = { ...instance, appName: "sh\u200bop\u202e" };
    const snapshot: DiscoverySnapshot = {
      instances: [odd],
      byInstanceId: new Map([[odd.instanceId, odd]]),
      targets: [{ targetIndex: 0, description: "org=acme", instances: 1 }],
      refreshedAt: 0,
    };
    const text = renderTextReport({ ok: true, apiUrl: "https://api.example.org", snapshot, elapsedMs: 10 });
    expect(text).toContain("sh\\u{200b}op\\u{202e}");
    expect(text).not.toMatch(/[\u200b\u202e]/);
  });
});
