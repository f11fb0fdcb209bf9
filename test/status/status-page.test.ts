import { afterEach, describe, expect, it } from "vitest";
import { createStatusView, MAX_INSTANCE_ROWS } from "../../src/status/index.js";
import type { LastScrape } from "../../src/status/scrape-log.js";
import type { StatusDeps } from "../../src/status/types.js";
import { GUID, instance, NOW, section, serve, snapshotOf, unbalancedTags } from "./helpers.js";

const OTHER = "0f0e0d0c-0b0a-4908-8706-050403020100";

function deps(overrides: Partial<StatusDeps> = {}): StatusDeps {
  return {
    snapshot: () => undefined,
    ready: () => false,
    lastScrape: () => undefined,
    cacheStats: () => [],
    identity: { processId: "proc-1234" },
    version: "9.8.7",
    cfApiUrl: "https://api.sys.example.com",
    now: () => NOW,
    ...overrides,
  };
}

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

async function get(d: StatusDeps, path = "/", accept?: string) {
  const server = await serve(createStatusView(d));
  closers.push(server.close);
  const res = await fetch(`${server.base}${path}`, { headers: accept ? { accept } : {} });
  return { status: res.status, contentType: res.headers.get("content-type"), body: await res.text() };
}

describe("status page (HTML)", () => {
  const scrapes = new Map<string, LastScrape>([
    [`${GUID}:0`, { ok: true, seconds: 0.412, bytes: 1536, at: NOW - 5_000 }],
    [`${OTHER}:1`, { ok: false, seconds: 2.5, reason: "HTTP 502 from the router", at: NOW - 65_000 }],
  ]);
  const landscape = deps({
    ready: () => true,
    snapshot: () =>
      snapshotOf([
        instance(0),
        instance(1, { appGuid: OTHER, appName: "billing", spaceName: "prod", orgName: "shop" }),
        instance(2, { appName: "never-scraped" }),
      ]),
    lastScrape: (id) => scrapes.get(id),
    cacheStats: () => [
      { cache: "org", entries: 3, oldestAgeSeconds: 125, loads: 4, loadFailures: 1 },
      { cache: "route", entries: 0 },
    ],
    identity: {
      processId: "proc-1234",
      appName: "promregator",
      orgName: "ops",
      spaceName: "mon",
      instanceIndex: 1,
    },
  });

  it("shows one row per instance with its last scrape, failed ones first", async () => {
    const page = await get(landscape);
    expect(page.status).toBe(200);
    expect(page.contentType).toBe("text/html; charset=utf-8");
    const table = section(page.body, "instances");
    const rows = table.match(/<tr><td>.*<\/tr>/g) ?? [];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain("billing");
    expect(rows[0]).toContain("failed");
    expect(rows[0]).toContain("HTTP 502 from the router");
    expect(rows[0]).toContain("2.50 s");
    expect(rows[0]).toContain("1 min 5 s ago");
    expect(rows[1]).toContain("app-a");
    expect(rows[1]).toContain(">OK<");
    expect(rows[1]).toContain("412 ms");
    expect(rows[1]).toContain("1.5 KiB");
    expect(rows[1]).toContain('datetime="2024-05-01T11:59:55.000Z"');
    expect(rows[2]).toContain("never-scraped");
    expect(rows[2]).toContain("not yet");
  });

  it("shows identity, readiness, CF API, last discovery and caches", async () => {
    const { body } = await get(landscape);
    const overview = section(body, "overview");
    expect(overview).toContain("9.8.7");
    expect(overview).toContain("proc-1234");
    expect(overview).toMatch(/app promregator \(index 1\) in org ops, space mon/);
    expect(overview).toMatch(/Ready<\/dt><dd><span class="state ok">yes/);
    expect(overview).toContain("https://api.sys.example.com");
    expect(overview).toContain("12 s ago (2024-05-01 11:59:48 UTC)");
    expect(overview).toContain("3 discovered: 1 last scrape OK, 1 failed, 1 not scraped yet");
    const caches = section(body, "caches");
    expect(caches).toMatch(
      /<th scope="row">org<\/th><td class="num">3<\/td><td class="num">2 min 5 s<\/td><td class="num">4<\/td><td class="num">1<\/td>/,
    );
    expect(caches).toMatch(/<th scope="row">route<\/th><td class="num">0<\/td><td class="num">–<\/td>/);
  });

  it("is self-contained, accessible and refreshes every 15 s", async () => {
    const { body } = await get(landscape);
    expect(body).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(body).toContain('<meta http-equiv="refresh" content="15">');
    // URLs only as text: the CF API and the instances' scrape URLs
    expect(body).not.toMatch(
      /<script|<link|src=|https?:\/\/(?!api\.sys\.example\.com|app-a\.apps\.example\.com)/,
    );
    expect(body.match(/<h1>/g)).toHaveLength(1);
    const tables = body.match(/<table>/g)?.length ?? 0;
    expect(tables).toBe(3);
    expect(body.match(/<caption>/g)).toHaveLength(tables);
    // every header cell says whether it heads a row or a column
    expect(body.match(/<th(?=[\s>])(?![^>]*scope=")/g)).toBeNull();
    expect(unbalancedTags(body)).toEqual([]);
  });

  it("escapes every value taken from CF, config or errors", async () => {
    const evil = "<script>alert(1)</script>";
    const { body } = await get(
      deps({
        ready: () => true,
        snapshot: () =>
          snapshotOf(
            [instance(0, { appName: evil, orgName: 'a&b "q"', spaceName: "<b>s</b>" })],
            [
              {
                targetIndex: 0,
                description: `app=${evil}`,
                instances: 1,
                problem: "<img src=x onerror=alert(2)>",
              },
            ],
          ),
        lastScrape: () => ({ ok: false, seconds: 1, reason: "</td></tr></table><h1>pwned</h1>", at: NOW }),
        cacheStats: () => [{ cache: "<i>c</i>", entries: 1 }],
        version: "1.0.0<br>",
        identity: { processId: '"><svg onload=alert(3)>', appName: evil, instanceIndex: 0 },
      }),
    );
    expect(body).not.toContain("<script>");
    expect(body).not.toContain("<img");
    expect(body).not.toContain("<svg");
    expect(body).not.toContain("<h1>pwned");
    expect(body).not.toContain("<b>s</b>");
    expect(body).not.toContain("<i>c</i>");
    expect(body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(body).toContain("a&amp;b &quot;q&quot;");
    expect(body).toContain("&lt;img src=x onerror=alert(2)&gt;");
    expect(body).toContain("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;h1&gt;pwned&lt;/h1&gt;");
    expect(unbalancedTags(body)).toEqual([]);
  });

  it("caps the instance table and still shows failures beyond the cap", async () => {
    const many = Array.from({ length: MAX_INSTANCE_ROWS + 100 }, (_, i) => instance(i));
    const lastFailed = many[many.length - 1].instanceId;
    const d = deps({
      ready: () => true,
      snapshot: () => snapshotOf(many),
      lastScrape: (id) =>
        id === lastFailed ? { ok: false, seconds: 0.1, reason: "timeout after 5 s", at: NOW } : undefined,
    });
    const table = section((await get(d)).body, "instances");
    const rows = table.match(/<tr><td>.*<\/tr>/g) ?? [];
    expect(rows).toHaveLength(MAX_INSTANCE_ROWS);
    expect(rows[0]).toContain("timeout after 5 s");
    expect(table).toContain(`showing ${MAX_INSTANCE_ROWS} of ${many.length}`);
    expect(table).toContain("100 more instances are not shown");
    expect(JSON.parse((await get(d, "/status.json")).body).instances).toHaveLength(many.length);
  });
});

describe("status page when nothing shows up", () => {
  it("puts the target problems of an empty landscape up front", async () => {
    const { body } = await get(
      deps({
        ready: () => true,
        snapshot: () =>
          snapshotOf(
            [],
            [
              {
                targetIndex: 0,
                description: "org=shop space=prod app=billing",
                instances: 0,
                problem: "space prod not found in org shop",
              },
              {
                targetIndex: 1,
                description: "org=shop app=/web-.*/",
                instances: 0,
                problem: "nothing matched",
              },
            ],
          ),
      }),
    );
    const notice = body.indexOf("No app instances were discovered");
    expect(body).toMatch(/No app instances were discovered[^<]*<a href="#targets">/);
    expect(notice).toBeGreaterThan(0);
    const targets = section(body, "targets");
    expect(body.indexOf(targets)).toBeGreaterThan(notice);
    const rows = targets.match(/<tr class="bad">.*<\/tr>/g) ?? [];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain("space prod not found in org shop");
    expect(rows[0]).toMatch(/<td class="num">0<\/td>/);
    expect(rows[1]).toContain("nothing matched");
    expect(section(body, "instances")).toContain("No instances discovered.");
  });

  it("says that discovery has not completed and why CF is failing", async () => {
    const { body } = await get(
      deps({
        cfApiUrl: "https://admin:hunter2@api.sys.example.com",
        cfHealth: () => ({ ok: false, lastError: "UAA answered 401: Bad credentials" }),
      }),
    );
    expect(body).toContain("<title>Promregator status (not ready)</title>");
    expect(body).toMatch(
      /<p class="notice bad" role="alert">Not ready: the first discovery has not completed yet/,
    );
    expect(body).toMatch(
      /role="alert">The Cloud Controller at https:\/\/api\.sys\.example\.com\/ is failing: UAA answered 401: Bad credentials/,
    );
    expect(section(body, "overview")).toMatch(/Last successful refresh<\/dt><dd>none yet/);
    expect(section(body, "overview")).toContain("no success yet");
    expect(section(body, "targets")).toContain("No discovery has completed yet");
    expect(body).not.toContain("hunter2");
    expect(body).not.toContain("admin");
  });

  it("keeps rendering when a source throws, and names what is missing", async () => {
    const page = await get(
      deps({
        ready: () => true,
        snapshot: () => snapshotOf([instance(0)]),
        lastScrape: () => {
          throw new Error("scrape store broken");
        },
        cacheStats: () => {
          throw new Error("cache stats broken");
        },
      }),
    );
    expect(page.status).toBe(200);
    expect(page.body).toContain("cache statistics unavailable: cache stats broken");
    expect(page.body).toContain(`last scrape of ${GUID}:0 unavailable: scrape store broken`);
    expect(section(page.body, "instances")).toContain("app-a");
  });
});
