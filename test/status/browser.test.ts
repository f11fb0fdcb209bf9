/**
 * The status page in a real headless Chromium: it must render the instance table of a running Promregator
 * (simulator landscape) with real rows, visibly (non-zero layout box), and be screenshot-able.
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningPromregator, startPromregator } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import { simulatorConfigYaml } from "../../src/demo.js";
import type { FoundationHealth } from "../../src/discovery/index.js";
import { silentLogger } from "../../src/log.js";
import { demoLandscape, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { createStatusView } from "../../src/status/index.js";
import { GUID, instance, NOW, snapshotOf } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
const title = hasChromium
  ? "status page in headless Chromium"
  : `status page in headless Chromium — SKIPPED: ${CHROMIUM} is missing (install Debian's chromium package)`;

const VIEWPORT = { width: 1280, height: 800 };

/** Width and height from the IHDR chunk, after checking the PNG signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!png.subarray(0, 8).equals(signature)) throw new Error("not a PNG (bad signature)");
  if (png.subarray(12, 16).toString("latin1") !== "IHDR") throw new Error("not a PNG (no IHDR first)");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe.skipIf(!hasChromium)(title, () => {
  let sim: RunningSimulator;
  let app: RunningPromregator;
  let context: BrowserContext;
  let userDataDir: string;

  beforeAll(async () => {
    const user = { username: "browser", password: "browser-test-password" };
    sim = await startSimulator({ landscape: demoLandscape(), users: [user] });
    const yaml = simulatorConfigYaml(
      sim,
      user.username,
      { port: 0, address: "127.0.0.1" },
      "    - orgName: acme-prod\n      protocol: http",
    );
    const { config } = loadConfig({ text: yaml, env: { CF_PASSWORD: user.password } });
    app = await startPromregator({ config, logger: silentLogger, cfCa: sim.caPem, env: {} });
    await app.whenReady();
    // one scrape, so that the page has a row with a last-scrape result
    const cart = sim.admin.findApp("cart-service")!.guid;
    const scrape = await fetch(`${app.url}/singleTargetMetrics/${cart}/0`);
    expect(scrape.status).toBe(200);
    await scrape.arrayBuffer();

    userDataDir = mkdtempSync(join(tmpdir(), "promregator-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: VIEWPORT,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await app?.close();
    await sim?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it("renders the instance table with the landscape's apps and a last-scrape result", async () => {
    const page = await context.newPage();
    const response = await page.goto(`${app.url}/`, { waitUntil: "load" });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe("Promregator status");

    const table = page.locator('section[aria-labelledby="instances"] table');
    const rows = table.locator("tbody tr");
    // acme-prod: cart-service (3), payment-gateway (2), node-exporter-demo (1); legacy-batch is stopped
    expect(await rows.count()).toBe(6);
    const apps = await rows.locator("th").allTextContents();
    expect(apps.sort()).toEqual([
      "cart-service",
      "cart-service",
      "cart-service",
      "node-exporter-demo",
      "payment-gateway",
      "payment-gateway",
    ]);
    expect(await rows.first().locator("td").first().textContent()).toBe("acme-prod");
    // the scraped instance shows its result
    const scraped = rows.filter({ has: page.locator('th[title$=":0"]', { hasText: "cart-service" }) });
    expect(await scraped.locator(".state").textContent()).toBe("OK");
    // ... and the URL it is scraped at, visibly
    const url = scraped.locator("td.url");
    expect(await url.textContent()).toMatch(/^https?:\/\/\S+/);
    expect(await url.isVisible()).toBe(true);

    const box = await table.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(6 * 10);
    await page.close();
  });

  it("tells the same app in two foundations apart by a Foundation column, and shows an unused foundation as such", async () => {
    const twin = (foundation: string, appGuid: string) =>
      instance(0, {
        foundation,
        appGuid,
        appName: "payment-gateway",
        orgName: "acme-prod",
        spaceName: "prod",
      });
    const health = (name: string, extra: Partial<FoundationHealth> = {}): FoundationHealth => ({
      name,
      apiUrl: `https://api.${name}.example.org`,
      lastRefresh: { at: NOW - 1000, ok: true, lastOkAt: NOW - 1000 },
      instances: 1,
      targets: 1,
      ...extra,
    });
    const view = createStatusView({
      snapshot: () => snapshotOf([twin("eu", GUID), twin("us", "7d2e7dbf-6c8b-4e9f-a021-123456789abc")]),
      ready: () => true,
      lastScrape: () => undefined,
      cacheStats: () => [],
      identity: { processId: "p-1" },
      version: "test",
      cfApiUrl: "https://api.default.example.org",
      foundations: () => [
        health("default", { lastRefresh: undefined, instances: 0, targets: 0, unused: true }),
        health("eu"),
        health("us"),
      ],
      now: () => NOW,
    });
    const { body } = await view.render({ url: "/", headers: {} } as IncomingMessage);
    const page = await context.newPage();
    try {
      await page.setContent(body, { waitUntil: "load" });
      const table = page.locator('section[aria-labelledby="instances"] table');
      expect(await table.locator("thead th").first().textContent()).toBe("Foundation");
      const rows = table.locator("tbody tr");
      const cells = await rows.evaluateAll((trs) =>
        trs.map((tr) => [tr.children[0].textContent, tr.querySelector("th")?.textContent]),
      );
      expect(cells.sort()).toEqual([
        ["eu", "payment-gateway"],
        ["us", "payment-gateway"],
      ]);
      const unused = page.locator('section[aria-labelledby="foundations"] tbody tr', { hasText: "default" });
      expect(await unused.locator(".state").textContent()).toBe("unused: no targets");
      expect(await page.locator(".notice", { hasText: "default" }).count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it("takes a full-page screenshot that is a real PNG of the page", async () => {
    const page = await context.newPage();
    await page.goto(`${app.url}/`, { waitUntil: "load" });
    const png = await page.screenshot({ fullPage: true });
    const { width, height } = pngSize(png);
    expect(width).toBe(VIEWPORT.width);
    expect(height).toBeGreaterThanOrEqual(VIEWPORT.height);
    // a blank page compresses to a few hundred bytes; text, tables and colours do not
    expect(png.length).toBeGreaterThan(20_000);
    await page.close();
  });
});
