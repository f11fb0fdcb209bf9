import { describe, expect, it } from "vitest";
import { createDiscoveryService } from "../../src/discovery/service.js";
import { silentLogger } from "../../src/log.js";
import { createStatusView } from "../../src/status/index.js";
import { testConfig } from "../discovery/config.js";
import { FakeCloudController } from "../discovery/fake-cc.js";

describe("status page: why a configured target has no instances", () => {
  it("names no HTTP route, no matching app and a Cloud Controller error with its cause", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.test");
    cc.domain("tcp.example.test", false, { tcp: true });
    const space = cc.space(cc.org("o"), "s");
    cc.app(space, "tcp-only", { routes: ["tcp.example.test:1050"] });
    cc.app(space, "web-app", { routes: ["web-app.apps.example.test"] });
    const discovery = createDiscoveryService({
      config: testConfig([
        { orgName: "o", spaceName: "s", applicationName: "tcp-only" },
        { orgName: "o", spaceName: "s", applicationName: "missing" },
        { orgName: "o", spaceName: "s", applicationName: "web-app" },
      ]),
      cf: cc,
      logger: silentLogger,
    });
    const status = createStatusView({
      snapshot: () => discovery.current(),
      ready: () => discovery.ready(),
      lastScrape: () => undefined,
      cacheStats: () => [],
      identity: { processId: "p" },
      version: "test",
      cfApiUrl: "https://api.example.test",
    });

    await discovery.refresh();
    let targets = status.json().discovery.targets;
    expect(targets.map((t) => t.why)).toEqual([
      { kind: "no-http-route", text: "no HTTP route" },
      { kind: "no-matching-app", text: "no matching app" },
      undefined,
    ]);
    expect(targets[0].problem).toContain("o/s/tcp-only has no HTTP route");
    const page = async () =>
      (await status.render({ url: "/", headers: { accept: "text/html" } } as never)).body;
    expect(await page()).toContain("<strong>no HTTP route</strong>");

    cc.failOnly.add("listRoutes");
    cc.failure = new Error("GET /v3/routes answered 503 Service Unavailable");
    await discovery.invalidate({ route: true });
    targets = status.json().discovery.targets;
    expect(targets[2]).toMatchObject({ instances: 1, why: { kind: "cc-error" } });
    expect(targets[2].why?.text).toMatch(
      // One routes request for both apps failed: the cause names the batch, not one app of it.
      /^Cloud Controller error: could not load routes of 2 apps \(tcp-only, web-app\): .*503 Service Unavailable/,
    );

    expect(await page()).toContain("<strong>Cloud Controller error</strong>");
    await discovery.stop();
  });
});
