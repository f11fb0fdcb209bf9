import { describe, expect, it } from "vitest";
import type { CfRoute } from "../../src/cf/types.js";
import type { TargetConfig } from "../../src/config/types.js";
import { internalRouteUrl, joinUrl } from "../../src/discovery/instance-builder.js";
import { wholeMatch } from "../../src/discovery/matching.js";
import { chooseRoute } from "../../src/discovery/routes.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import { silentLogger } from "../../src/log.js";
import { testConfig } from "./config.js";
import { type AppOptions, FakeCloudController } from "./fake-cc.js";

/** One app in one space; returns the instances discovered for the given target settings. */
async function instancesOf(
  app: AppOptions,
  t: Partial<TargetConfig> = {},
  defaultInternalRoutePort?: number,
) {
  const cc = new FakeCloudController();
  cc.domain("apps.example.com");
  cc.domain("example.com");
  cc.domain("apps.internal", true);
  cc.app(cc.space(cc.org("o"), "s"), "app", app);
  const config = testConfig([t]);
  if (defaultInternalRoutePort) config.promregator.defaultInternalRoutePort = defaultInternalRoutePort;
  const snapshot = await createDiscoveryService({ config, cf: cc, logger: silentLogger }).refresh();
  return snapshot.instances;
}

const route = (url: string): CfRoute => ({
  guid: url,
  url,
  domainGuid: "d",
  appGuids: ["a"],
  protocol: "http",
  destinations: [{ appGuid: "a", processType: "web", port: 8080 }],
});

describe("access URLs", () => {
  it("appends the path after the route's own path with exactly one slash", async () => {
    const [a] = await instancesOf({ routes: ["app.apps.example.com/additionalPath"] }, { path: "/testpath" });
    expect(a).toMatchObject({
      url: "https://app.apps.example.com/additionalPath/testpath",
      sendInstanceHeader: true,
    });
    const [b] = await instancesOf(
      { routes: ["app.apps.example.com"] },
      { path: "metrics", protocol: "http" },
    );
    expect(b.url).toBe("http://app.apps.example.com/metrics");
    expect(joinUrl("https", "h.example.com/", "//m")).toBe("https://h.example.com/m");
  });

  it("uses http://<index>.<route>:<port> without the instance header for internal domains", async () => {
    const list = await instancesOf(
      { instances: 2, routes: ["svc.apps.internal"] },
      { internalRoutePort: 9090, protocol: "https", path: "/prom" },
    );
    expect(list.map((i) => [i.url, i.sendInstanceHeader])).toEqual([
      ["http://0.svc.apps.internal:9090/prom", false],
      ["http://1.svc.apps.internal:9090/prom", false],
    ]);
    const [d] = await instancesOf({ routes: ["svc.apps.internal"] }, {}, 8181);
    expect(d.url).toBe("http://0.svc.apps.internal:8181/metrics");
    expect(internalRouteUrl("svc.apps.internal/p", 3, 8080, "/m")).toBe(
      "http://3.svc.apps.internal:8080/p/m",
    );
  });

  it("uses overrideRouteAndPath for every instance, without the instance header", async () => {
    const list = await instancesOf(
      { instances: 2, routes: ["app.apps.example.com"] },
      { overrideRouteAndPath: "gateway.example.com/proxy", protocol: "http" },
    );
    expect(list.map((i) => [i.url, i.sendInstanceHeader])).toEqual([
      ["http://gateway.example.com/proxy/metrics", false],
      ["http://gateway.example.com/proxy/metrics", false],
    ]);
  });

  it("carries the instance index, guid and the target's authenticator", async () => {
    const list = await instancesOf({ instances: 3 }, { authenticatorId: "auth-1" });
    expect(list.map((i) => i.index)).toEqual([0, 1, 2]);
    expect(
      list.every((i) => i.instanceId === `${i.appGuid}:${i.index}` && i.authenticatorId === "auth-1"),
    ).toBe(true);
  });
});

describe("route choice", () => {
  const routes = [
    route("first.example.com"),
    route("second.apps.example.com/x"),
    route("third.apps.example.com"),
  ];

  it("takes the first route when no preference is configured", () => {
    expect(chooseRoute(routes, []).url).toBe("first.example.com");
  });

  it("tries the patterns in configured order, each against all routes", () => {
    const patterns = [wholeMatch("third\\..*"), wholeMatch(".*\\.apps\\.example\\.com.*")];
    expect(chooseRoute(routes, patterns).url).toBe("third.apps.example.com");
  });

  it("matches the whole url, path included, and case-sensitively; falls back to the first route", () => {
    expect(chooseRoute(routes, [wholeMatch("second.apps.example.com")]).url).toBe("first.example.com");
    expect(chooseRoute(routes, [wholeMatch("second.apps.example.com/x")]).url).toBe(
      "second.apps.example.com/x",
    );
    expect(chooseRoute(routes, [wholeMatch("THIRD.apps.example.com")]).url).toBe("first.example.com");
  });

  it("applies preferredRouteRegex from the target configuration", async () => {
    const app = { routes: ["app.example.com", "app.apps.example.com", "app-2.apps.example.com"] };
    const [a] = await instancesOf(app, { preferredRouteRegex: ["nomatch", "app-2\\..*", "app\\..*"] });
    expect(a.url).toBe("https://app-2.apps.example.com/metrics");
    const [b] = await instancesOf(app, { preferredRouteRegex: ["nomatch"] });
    expect(b.url).toBe("https://app.example.com/metrics");
  });

  it("decides internal or not by the chosen route's domain", async () => {
    const app = { routes: ["app.apps.example.com", "app.apps.internal"] };
    const [a] = await instancesOf(app, { preferredRouteRegex: [".*internal"] });
    expect(a).toMatchObject({ url: "http://0.app.apps.internal:8080/metrics", sendInstanceHeader: false });
    const [b] = await instancesOf(app);
    expect(b).toMatchObject({ url: "https://app.apps.example.com/metrics", sendInstanceHeader: true });
  });
});
