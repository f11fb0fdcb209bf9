import { describe, expect, it } from "vitest";
import type { TargetConfig } from "../../src/config/types.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import { silentLogger } from "../../src/log.js";
import { captureLogger, testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

/** One app "app-a" in o/s on a landscape with an HTTP, a TCP and an internal domain; routes are mapped by `map`. */
async function discover(
  map: (cc: FakeCloudController, app: string) => void,
  target: Partial<TargetConfig> = {},
) {
  const cc = new FakeCloudController();
  cc.domain("apps.example.test");
  cc.domain("tcp.example.test", false, { tcp: true });
  cc.domain("apps.internal", true);
  const app = cc.app(cc.space(cc.org("o"), "s"), "app-a", { instances: 2, routes: [] });
  map(cc, app);
  const service = createDiscoveryService({
    config: testConfig([{ orgName: "o", spaceName: "s", applicationName: "app-a", ...target }]),
    cf: cc,
    logger: silentLogger,
  });
  const snapshot = await service.refresh();
  await service.stop();
  return { instances: snapshot.instances, report: snapshot.targets[0] };
}

describe("route semantics: protocol", () => {
  it("never scrapes through a TCP route that comes first in CC order", async () => {
    const { instances } = await discover((cc, app) => {
      cc.mapRoute("tcp.example.test:1050", app);
      cc.mapRoute("app-a.apps.example.test", app);
    });
    expect(instances.map((i) => i.url)).toEqual([
      "https://app-a.apps.example.test/metrics",
      "https://app-a.apps.example.test/metrics",
    ]);
    expect(instances.every((i) => i.sendInstanceHeader)).toBe(true);
    // parsed once at discovery and shared by the app's instances, so a scrape does not parse it again
    expect(instances[0].parsedUrl?.href).toBe(instances[0].url);
    expect(instances[1].parsedUrl).toBe(instances[0].parsedUrl);
  });

  it("does not let a preferredRouteRegex pick a TCP route", async () => {
    const { instances } = await discover(
      (cc, app) => {
        cc.mapRoute("app-a.apps.example.test", app);
        cc.mapRoute("tcp.example.test:1050", app);
      },
      { preferredRouteRegex: ["tcp\\..*"] },
    );
    expect(instances[0].url).toBe("https://app-a.apps.example.test/metrics");
  });

  it("gives an app with only TCP routes no target and reports it as having no HTTP route", async () => {
    const { instances, report } = await discover((cc, app) => {
      cc.mapRoute("tcp.example.test:1050", app);
      cc.mapRoute("tcp.example.test:1051", app);
    });
    expect(instances).toEqual([]);
    expect(report).toMatchObject({ instances: 0, kind: "no-http-route" });
    expect(report.problem).toMatch(/o\/s\/app-a has no HTTP route \(only TCP routes\)/);
  });

  it("still serves an app with only TCP routes through overrideRouteAndPath", async () => {
    const { instances } = await discover((cc, app) => cc.mapRoute("tcp.example.test:1050", app), {
      overrideRouteAndPath: "gateway.example.test/app-a",
      protocol: "http",
    });
    expect(instances.map((i) => i.url)).toEqual([
      "http://gateway.example.test/app-a/metrics",
      "http://gateway.example.test/app-a/metrics",
    ]);
  });
});

describe("route semantics: wildcard host", () => {
  it("never scrapes through a wildcard route that comes first in CC order", async () => {
    const { instances, report } = await discover((cc, app) => {
      cc.mapRoute("*.apps.example.test", app);
      cc.mapRoute("app-a.apps.example.test", app);
    });
    expect(instances.map((i) => i.url)).toEqual([
      "https://app-a.apps.example.test/metrics",
      "https://app-a.apps.example.test/metrics",
    ]);
    expect(report.problem).toBeUndefined();
  });

  it("does not let a preferredRouteRegex pick a wildcard route: it names no host to connect to", async () => {
    const { instances } = await discover(
      (cc, app) => {
        cc.mapRoute("app-a.apps.example.test", app);
        cc.mapRoute("*.apps.example.test/metrics-path", app);
      },
      { preferredRouteRegex: ["\\*\\..*"] },
    );
    expect(instances.map((i) => i.url)).toEqual([
      "https://app-a.apps.example.test/metrics",
      "https://app-a.apps.example.test/metrics",
    ]);
  });

  it("gives an app with only a wildcard route no target and the reason of apps without a usable route", async () => {
    const { instances, report } = await discover((cc, app) => {
      cc.mapRoute("*.apps.example.test", app);
      cc.mapRoute("tcp.example.test:1050", app);
    });
    expect(instances).toEqual([]);
    expect(report).toMatchObject({ instances: 0, kind: "no-http-route" });
    expect(report.problem).toBe(
      "o/s/app-a has no HTTP route to its web process that can be connected to (only wildcard routes: *.apps.example.test)",
    );
  });

  it("still serves an app with only a wildcard route through overrideRouteAndPath", async () => {
    const { instances } = await discover((cc, app) => cc.mapRoute("*.apps.example.test", app), {
      overrideRouteAndPath: "gateway.example.test/app-a",
    });
    expect(instances.map((i) => i.url)).toEqual([
      "https://gateway.example.test/app-a/metrics",
      "https://gateway.example.test/app-a/metrics",
    ]);
  });
});

describe("route semantics: destination process type", () => {
  it("skips a first route that leads to another process type of the app", async () => {
    const { instances } = await discover((cc, app) => {
      cc.mapRoute("app-a-api.apps.example.test", app, { process: "api", port: 9000 });
      cc.mapRoute("app-a.apps.example.test", app);
    });
    expect(instances.map((i) => i.url)).toEqual([
      "https://app-a.apps.example.test/metrics",
      "https://app-a.apps.example.test/metrics",
    ]);
  });

  it("reports an app whose HTTP routes all lead to other process types", async () => {
    const { instances, report } = await discover((cc, app) => {
      cc.mapRoute("app-a-api.apps.example.test", app, { process: "api", port: 9000 });
    });
    expect(instances).toEqual([]);
    expect(report).toMatchObject({ kind: "no-http-route" });
    expect(report.problem).toMatch(/has no HTTP route to its web process .*process type api/);
  });

  it("keeps a route that leads to another process and, on a second port, to the web process", async () => {
    const { instances } = await discover((cc, app) => {
      cc.mapRoute("shared.apps.example.test", app, { process: "api", port: 9000 });
      cc.mapRoute("shared.apps.example.test", app, { port: 8080 });
    });
    expect(instances[0].url).toBe("https://shared.apps.example.test/metrics");
  });

  it("does not count a route to another app's web process (a shared route) for this app", async () => {
    const { instances, report } = await discover((cc) => {
      const other = cc.app(cc.spaces[0].guid, "other", { routes: [] });
      cc.mapRoute("other.apps.example.test", other);
      const route = cc.routes.find((r) => r.url === "other.apps.example.test")!;
      // listed for app-a (as app_guids would list it) but with no destination to app-a's web process
      const appA = cc.apps.find((a) => a.name === "app-a")!.guid;
      route.appGuids.push(appA);
      route.destinations.push({ appGuid: appA, processType: "worker", port: 8080 });
    });
    expect(instances).toEqual([]);
    expect(report.kind).toBe("no-http-route");
  });

  it("builds internal-route URLs with the configured port, as the Java version does", async () => {
    const { instances } = await discover(
      (cc, app) => {
        cc.mapRoute("app-a-api.apps.internal", app, { process: "api", port: 9000 });
        cc.mapRoute("app-a.apps.internal", app, { port: 8080 });
      },
      { internalRoutePort: 9191 },
    );
    expect(instances.map((i) => i.url)).toEqual([
      "http://0.app-a.apps.internal:9191/metrics",
      "http://1.app-a.apps.internal:9191/metrics",
    ]);
    expect(instances.every((i) => !i.sendInstanceHeader)).toBe(true);
  });
});

describe("route semantics: a broad target with apps left out", () => {
  /** Target "org o": app-a can be scraped, app-tcp has only a TCP route, app-api only a route to process type api. */
  function landscape() {
    const cc = new FakeCloudController();
    cc.domain("apps.example.test");
    cc.domain("tcp.example.test", false, { tcp: true });
    const space = cc.space(cc.org("o"), "s");
    cc.app(space, "app-a", { instances: 1, routes: ["app-a.apps.example.test"] });
    const tcp = cc.app(space, "app-tcp", { instances: 1, routes: [] });
    cc.mapRoute("tcp.example.test:1050", tcp);
    const api = cc.app(space, "app-api", { instances: 1, routes: [] });
    cc.mapRoute("app-api.apps.example.test", api, { process: "api", port: 9000 });
    return cc;
  }

  it("serves the other apps and names each app left out on the target's report", async () => {
    const service = createDiscoveryService({
      config: testConfig([{ orgName: "o" }]),
      cf: landscape(),
      logger: silentLogger,
    });
    const snapshot = await service.refresh();
    await service.stop();
    expect(snapshot.instances.map((i) => i.appName)).toEqual(["app-a"]);
    const report = snapshot.targets[0];
    expect(report).toMatchObject({ instances: 1, kind: "no-http-route" });
    expect(report.problem).toMatch(/^2 apps left out: /);
    expect(report.problem).toContain("o/s/app-tcp has no HTTP route (only TCP routes)");
    expect(report.problem).toMatch(/o\/s\/app-api has no HTTP route to its web process .*process type api/);
  });

  it("warns once while the apps stay left out, and says when none is left out any more", async () => {
    const cc = landscape();
    const { logger, lines } = captureLogger();
    const service = createDiscoveryService({ config: testConfig([{ orgName: "o" }]), cf: cc, logger });
    await service.refresh();
    await service.refresh();
    const leftOut = () => lines().filter((l) => l.msg.startsWith("some apps of a target are left out"));
    expect(leftOut()).toHaveLength(1);
    expect(leftOut()[0]).toMatchObject({ level: "warn", target: 0 });
    expect(String(leftOut()[0].reason)).toContain("o/s/app-tcp");

    // Both apps get an HTTP route to their web process.
    cc.mapRoute("app-tcp.apps.example.test", cc.apps.find((a) => a.name === "app-tcp")!.guid);
    cc.mapRoute("app-api-web.apps.example.test", cc.apps.find((a) => a.name === "app-api")!.guid);
    await service.invalidate({ route: true });
    const snapshot = await service.refresh();
    await service.stop();
    expect(snapshot.instances.map((i) => i.appName).sort()).toEqual(["app-a", "app-api", "app-tcp"]);
    expect(snapshot.targets[0].problem).toBeUndefined();
    expect(lines().filter((l) => l.msg === "no app of a target is left out any more")).toHaveLength(1);
    expect(leftOut()).toHaveLength(1);
  });

  it("does not list an app scaled to 0, whatever its routes", async () => {
    const cc = landscape();
    const zero = cc.app(cc.spaces[0].guid, "app-zero", { instances: 0, routes: [] });
    cc.mapRoute("tcp.example.test:1051", zero);
    const service = createDiscoveryService({
      config: testConfig([{ orgName: "o" }]),
      cf: cc,
      logger: silentLogger,
    });
    const snapshot = await service.refresh();
    await service.stop();
    expect(snapshot.targets[0].problem).toMatch(/^2 apps left out: /);
    expect(snapshot.targets[0].problem).not.toContain("app-zero");
    expect(snapshot.targets[0].leftOut).toHaveLength(2);
  });

  it("warns again when an app beyond the three the text names changes, and lists every app", async () => {
    const cc = landscape();
    const space = cc.spaces[0].guid;
    const extra = ["app-w1", "app-w2", "app-w3"].map((name) =>
      cc.app(space, name, { instances: 1, routes: [] }),
    );
    const { logger, lines } = captureLogger();
    const service = createDiscoveryService({ config: testConfig([{ orgName: "o" }]), cf: cc, logger });
    const first = await service.refresh();
    expect(first.targets[0].problem).toMatch(/^5 apps left out: .*\(and 2 more\)$/);
    expect(first.targets[0].leftOut).toHaveLength(5);
    // app-w3 (not among the three named) gets a route, another app without one takes its place: still 5.
    cc.mapRoute("app-w3.apps.example.test", extra[2]);
    cc.app(space, "app-w4", { instances: 1, routes: [] });
    await service.invalidate({ application: true, route: true, resolver: true });
    const second = await service.refresh();
    await service.stop();
    expect(second.targets[0].problem).toBe(first.targets[0].problem);
    const warned = lines().filter((l) => l.msg.startsWith("some apps of a target are left out"));
    expect(warned).toHaveLength(2);
    expect(warned[1].leftOut).toEqual(second.targets[0].leftOut);
    expect((warned[1].leftOut as string[]).some((t) => t.startsWith("o/s/app-w4 "))).toBe(true);
  });

  it("says nothing of left-out apps going away when the target lost all its instances instead", async () => {
    const cc = landscape();
    const { logger, lines } = captureLogger();
    const service = createDiscoveryService({ config: testConfig([{ orgName: "o" }]), cf: cc, logger });
    await service.refresh();
    cc.scale(cc.apps.find((a) => a.name === "app-a")!.guid, 0);
    await service.invalidate({ process: true });
    const snapshot = await service.refresh();
    await service.stop();
    expect(snapshot.targets[0].instances).toBe(0);
    expect(lines().filter((l) => l.msg === "no app of a target is left out any more")).toHaveLength(0);
    expect(lines().filter((l) => l.msg === "a configured target matches no app instance")).toHaveLength(1);
  });
});
