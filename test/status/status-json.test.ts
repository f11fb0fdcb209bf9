import { afterEach, describe, expect, it } from "vitest";
import { createStatusView, wantsJson } from "../../src/status/index.js";
import type { StatusDeps, StatusDocument } from "../../src/status/types.js";
import { GUID, instance, NOW, serve, snapshotOf } from "./helpers.js";

const deps: StatusDeps = {
  ready: () => true,
  snapshot: () =>
    snapshotOf(
      [
        instance(0),
        instance(1, { appName: "web", url: "http://web.apps.internal:8080/metrics", targetIndex: 1 }),
      ],
      [
        { targetIndex: 0, description: "org=org-a space=space-a app=app-a", instances: 1 },
        {
          targetIndex: 1,
          description: "org=org-a app=/w.*/",
          instances: 1,
          problem: "route lookup failed once",
        },
      ],
    ),
  lastScrape: (id) =>
    id === `${GUID}:0` ? { ok: true, seconds: 0.05, bytes: 900, at: NOW - 2_000 } : undefined,
  cacheStats: () => [{ cache: "application", entries: 2, oldestAgeSeconds: 30, loads: 5, loadFailures: 0 }],
  identity: { processId: "proc-1", appName: "promregator", instanceIndex: 0, instanceGuid: "ig-1" },
  version: "1.2.3",
  cfApiUrl: "https://api.sys.example.com",
  cfHealth: () => ({ ok: true, lastSuccessAt: NOW - 30_000 }),
  lastRefresh: () => ({ at: NOW - 3_000, ok: true, lastOkAt: NOW - 3_000 }),
  now: () => NOW,
};

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function get(path: string, accept?: string) {
  const server = await serve(createStatusView(deps));
  close = server.close;
  const res = await fetch(`${server.base}${path}`, { headers: accept ? { accept } : {} });
  return { contentType: res.headers.get("content-type"), body: await res.text() };
}

describe("status JSON twin", () => {
  it("serves the whole state at /status.json", async () => {
    const page = await get("/status.json");
    expect(page.contentType).toBe("application/json");
    const doc = JSON.parse(page.body) as StatusDocument;
    expect(doc).toEqual({
      version: "1.2.3",
      generatedAt: "2024-05-01T12:00:00.000Z",
      process: { id: "proc-1", cf: { appName: "promregator", instanceIndex: 0, instanceGuid: "ig-1" } },
      ready: true,
      cf: {
        apiUrl: "https://api.sys.example.com",
        health: { ok: true, lastSuccess: { at: "2024-05-01T11:59:30.000Z", ageSeconds: 30 } },
      },
      discovery: {
        lastRefresh: { at: "2024-05-01T11:59:57.000Z", ageSeconds: 3 },
        lastChange: { at: "2024-05-01T11:59:48.000Z", ageSeconds: 12 },
        targets: [
          { targetIndex: 0, description: "org=org-a space=space-a app=app-a", instances: 1 },
          {
            targetIndex: 1,
            description: "org=org-a app=/w.*/",
            instances: 1,
            problem: "route lookup failed once",
          },
        ],
      },
      summary: { instances: 2, scrapeOk: 1, scrapeFailed: 0, notScrapedYet: 1 },
      instances: [
        {
          instanceId: `${GUID}:0`,
          orgName: "org-a",
          spaceName: "space-a",
          appName: "app-a",
          index: 0,
          url: "https://app-a.apps.example.com/metrics",
          targetIndex: 0,
          lastScrape: {
            ok: true,
            latencySeconds: 0.05,
            bytes: 900,
            when: { at: "2024-05-01T11:59:58.000Z", ageSeconds: 2 },
          },
        },
        {
          instanceId: `${GUID}:1`,
          orgName: "org-a",
          spaceName: "space-a",
          appName: "web",
          index: 1,
          url: "http://web.apps.internal:8080/metrics",
          targetIndex: 1,
        },
      ],
      caches: [{ cache: "application", entries: 2, oldestAgeSeconds: 30, loads: 5, loadFailures: 0 }],
    });
  });

  it("answers / with JSON when the client prefers it, and the same document as json()", async () => {
    const page = await get("/", "application/json");
    expect(page.contentType).toBe("application/json");
    expect(JSON.parse(page.body)).toEqual(createStatusView(deps).json());
  });

  it("has no CF identity or health when not running on CF and nothing reports health", () => {
    const doc = createStatusView({
      ...deps,
      identity: { processId: "p" },
      cfHealth: undefined,
      lastRefresh: undefined,
      snapshot: () => undefined,
    }).json();
    expect(doc.process).toEqual({ id: "p" });
    expect(doc.cf).toEqual({ apiUrl: "https://api.sys.example.com" });
    expect(doc.discovery).toEqual({ targets: [] });
    expect(doc.summary).toEqual({ instances: 0, scrapeOk: 0, scrapeFailed: 0, notScrapedYet: 0 });
  });

  it("serves HTML to browsers at /", async () => {
    const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    expect((await get("/", browser)).contentType).toBe("text/html; charset=utf-8");
  });
});

describe("wantsJson", () => {
  it.each([
    ["/status.json", undefined, true],
    ["/status.json", "text/html", true],
    ["/", undefined, false],
    ["/", "*/*", false],
    ["/", "application/json", true],
    ["/", "application/json, text/plain, */*", true],
    ["/", "text/html, application/json", false],
    ["/", "text/html;q=0.5, application/json", true],
    ["/", "application/json;q=0, */*", false],
    ["/", "application/*", true],
    ["/", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false],
    ["/", "garbage,;;q=x", false],
  ])("%s with Accept %s -> %s", (path, accept, expected) => {
    expect(wantsJson(path, accept)).toBe(expected);
  });
});
