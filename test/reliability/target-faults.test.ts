import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  guardUnhandledRejections,
  type Harness,
  httpGet,
  startHarness,
} from "./support/harness.js";
import {
  BAD_MODES,
  type BadMode,
  type BadTarget,
  badLandscape,
  startBadTarget,
  startCanary,
  type TestServer,
} from "./support/servers.js";

guardUnhandledRejections();

const BUDGET_MS = 1000;
const MAX_BODY = 1024 * 1024;

let canary: TestServer;
let bad: BadTarget;
let h: Harness;
let appGuid: string;

beforeAll(async () => {
  canary = await startCanary();
  bad = await startBadTarget(canary.url);
  h = await startHarness({
    landscape: badLandscape(bad),
    logLevel: "info",
    configure: (config) => {
      Object.assign(config.promregator.scraping, {
        maxProcessingTime: BUDGET_MS,
        connectionTimeout: BUDGET_MS,
        socketReadTimeout: BUDGET_MS,
        maxBodySize: MAX_BODY,
      });
    },
  });
  await h.app.whenReady();
  appGuid = h.sim.admin.findApp("bad")!.guid;
});

afterAll(async () => {
  await h?.close();
  await bad?.close();
  await canary?.close();
});

const pathOf = (mode: BadMode) => `/singleTargetMetrics/${appGuid}/${BAD_MODES.indexOf(mode)}`;

/** Scrapes one instance; the elapsed time is only checked against a generous multiple of the budget. */
async function scrape(mode: BadMode) {
  const started = performance.now();
  const answer = await httpGet(h.app.url, pathOf(mode));
  return { ...answer, elapsedMs: performance.now() - started };
}

describe("misbehaving targets", () => {
  it.each([
    ["hang", 504, /sent no response within 1000 ms|scrape budget of 1000 ms/],
    ["trickle", 504, /no complete answer within the scrape budget of 1000 ms/],
    ["close-early", 502, /closed unexpectedly|other side closed|terminated/],
    ["close-mid", 502, /closed unexpectedly|other side closed|terminated/],
    ["corrupt-gzip", 502, /corrupt compressed body/],
    [
      "redirect-301",
      502,
      /301 Moved Permanently redirecting to http:\/\/127\.0\.0\.1:\d+\/stolen\/metrics; redirects to another origin are not followed/,
    ],
    ["redirect-302", 502, /302 Found redirecting to .*; redirects to another origin are not followed/],
  ] as [BadMode, number, RegExp][])(
    "%s: %i with the reason, within the budget",
    async (mode, status, reason) => {
      const answer = await scrape(mode);
      expect(answer.status).toBe(status);
      expect(answer.text).toMatch(reason);
      expect(answer.elapsedMs).toBeLessThan(3 * BUDGET_MS);
    },
  );

  it("passes on a body of any other content type as Prometheus reads it: as the text format", async () => {
    // Prometheus 2.42 reads an unknown type with its text parser, so the verdict is Prometheus' to give.
    // Neither body ends with a newline, so both pass unchanged, without own samples (docs/operations.md).
    const html = await scrape("html");
    expect(html.status).toBe(200);
    expect(html.headers["content-type"]).toBe("text/html");
    expect(html.text).toBe("<html><body>Login</body></html>");
    const binary = await scrape("garbage-type");
    expect(binary.status).toBe(200);
    expect(binary.headers["content-type"]).toBe("application/octet-stream");
    expect(binary.text.startsWith("\u0000")).toBe(true);
  });

  it("redirect targets on another host receive nothing", async () => {
    await scrape("redirect-301");
    await scrape("redirect-302");
    expect(canary.requests).toEqual([]);
  });

  it("an endless body is cut at maxBodySize and the target connection closed", async () => {
    const before = bad.endlessClosed();
    // past what is held back (COMMIT_THRESHOLD_BYTES) the 200 is on the wire: the only honest failure left is
    // an incomplete body
    await expect(httpGet(h.app.url, pathOf("endless"))).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    await eventually("the target's connection to close", () =>
      bad.endlessClosed() > before ? true : undefined,
    );
    // what was read stays near the limit (plus socket and router buffers), nowhere near a gigabyte
    expect(bad.endlessBytes()).toBeLessThan(MAX_BODY + 16 * 1024 * 1024);
    expect(
      h.logs.warnings(/^scrape failed$/).some((l) => /larger than maxBodySize/.test(String(l.reason))),
    ).toBe(true);
  });

  it("a connection closed after the 200 was committed ends the answer incomplete", async () => {
    await expect(httpGet(h.app.url, pathOf("close-late"))).rejects.toThrow(
      /aborted|socket hang up|ECONNRESET/,
    );
  });

  it("each failure is logged with its instance and reason, and counted in the own metrics", async () => {
    await scrape("corrupt-gzip");
    const failed = h.logs.warnings(/^scrape failed$/);
    expect(failed.some((l) => l.instanceId === `${appGuid}:${BAD_MODES.indexOf("corrupt-gzip")}`)).toBe(true);
    const own = await httpGet(h.app.url, "/promregatorMetrics", { accept: "text/plain" });
    expect(own.text).toMatch(/promregator_scrape_up\{[^}]*\} 0/);
  });

  it("compatible failure mode answers 200 with promregator_up 0 instead", async () => {
    const compatible = await startHarness({
      landscape: badLandscape(bad),
      logLevel: "silent",
      configure: (config) => {
        config.promregator.scraping.failureMode = "compatible";
      },
    });
    try {
      await compatible.app.whenReady();
      const answer = await httpGet(compatible.app.url, pathOf("corrupt-gzip"));
      expect(answer.status).toBe(200);
      expect(answer.text).toMatch(/^promregator_up 0\.0$/m);
    } finally {
      await compatible.close();
    }
  });
});
