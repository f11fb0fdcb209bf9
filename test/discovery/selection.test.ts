import { describe, expect, it } from "vitest";
import type { TargetConfig } from "../../src/config/types.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoverySnapshot } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { captureLogger, testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

/** A landscape most tests share: two orgs, a few spaces, apps in several states. */
function landscape() {
  const cc = new FakeCloudController();
  cc.domain("apps.example.com");
  cc.domain("apps.internal", true);
  const acme = cc.org("Acme");
  const other = cc.org("Other");
  const dev = cc.space(acme, "Dev");
  const prod = cc.space(acme, "Prod");
  const misc = cc.space(other, "Misc");
  const ids = {
    webApp: cc.app(dev, "Web-App", { instances: 2 }),
    webshop: cc.app(dev, "webshop"),
    myWeb: cc.app(dev, "my-web"),
    stopped: cc.app(dev, "Stopped-App", { state: "STOPPED", instances: 3 }),
    prodApp: cc.app(prod, "web-prod"),
    miscApp: cc.app(misc, "web-misc"),
  };
  return { cc, ids, spaces: { dev, prod, misc } };
}

async function discover(cc: FakeCloudController, targets: Partial<TargetConfig>[], logger = silentLogger) {
  const service = createDiscoveryService({ config: testConfig(targets), cf: cc, logger });
  return service.refresh();
}

const names = (s: DiscoverySnapshot) =>
  s.instances.map((i) => `${i.orgName}/${i.spaceName}/${i.appName}:${i.index}`);

describe("target selection", () => {
  it("matches org, space and app names case-insensitively and reports CF's spelling", async () => {
    const { cc, ids } = landscape();
    const s = await discover(cc, [{ orgName: "ACME", spaceName: "dev", applicationName: "WEB-app" }]);
    expect(names(s)).toEqual(["Acme/Dev/Web-App:0", "Acme/Dev/Web-App:1"]);
    expect(s.instances.map((i) => i.instanceId)).toEqual([`${ids.webApp}:0`, `${ids.webApp}:1`]);
    expect(s.byInstanceId.get(`${ids.webApp}:1`)?.index).toBe(1);
  });

  it("matches regexes against the whole name, case-insensitively", async () => {
    const { cc } = landscape();
    const s = await discover(cc, [{ orgRegex: "ac.*", spaceName: "Dev", applicationRegex: "WEB.*" }]);
    expect(names(s)).toEqual(["Acme/Dev/Web-App:0", "Acme/Dev/Web-App:1", "Acme/Dev/webshop:0"]);
  });

  it("lets the regex win when a name is given too", async () => {
    const { cc } = landscape();
    const s = await discover(cc, [
      {
        orgName: "Acme",
        spaceName: "NoSuchSpace",
        spaceRegex: "pro.",
        applicationName: "x",
        applicationRegex: ".*",
      },
    ]);
    expect(names(s)).toEqual(["Acme/Prod/web-prod:0"]);
  });

  it("selects every started app when org, space and app are left open", async () => {
    const { cc } = landscape();
    const s = await discover(cc, [{}]);
    expect(names(s)).toEqual([
      "Acme/Dev/Web-App:0",
      "Acme/Dev/Web-App:1",
      "Acme/Dev/my-web:0",
      "Acme/Dev/webshop:0",
      "Acme/Prod/web-prod:0",
      "Other/Misc/web-misc:0",
    ]);
  });

  it("skips stopped apps and says why a named target is empty", async () => {
    const { cc } = landscape();
    const s = await discover(cc, [{ orgName: "acme", spaceName: "dev", applicationName: "stopped-app" }]);
    expect(s.instances).toEqual([]);
    expect(s.targets[0]).toMatchObject({
      instances: 0,
      problem: expect.stringMatching(/Stopped-App .* is STOPPED/),
    });
  });

  it("reports a missing org, space or app by name", async () => {
    const { cc } = landscape();
    const s = await discover(cc, [
      { orgName: "nope" },
      { orgName: "Acme", spaceName: "nope" },
      { orgName: "Acme", spaceName: "Dev", applicationName: "nope" },
    ]);
    expect(s.targets.map((t) => t.problem)).toEqual([
      "organization nope not found",
      "space nope not found in org Acme",
      "application nope not found in Acme/Dev",
    ]);
  });

  it("selects nothing when a name matches several apps", async () => {
    const { cc, spaces } = landscape();
    cc.app(spaces.dev, "WEBSHOP");
    const s = await discover(cc, [{ orgName: "Acme", spaceName: "Dev", applicationName: "webshop" }]);
    expect(s.instances).toHaveLength(0);
    expect(s.targets[0].problem).toMatch(/2 applications named webshop/);
  });

  it("with kubernetesAnnotations selects only opted-in apps (any name case) and takes their path", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.com");
    const space = cc.space(cc.org("o"), "s");
    cc.app(space, "Upper-Case-App", {
      annotations: { "prometheus.io/scrape": "true", "prometheus.io/path": "/custom" },
    });
    cc.app(space, "plain-optin", { annotations: { "prometheus.io/scrape": "true" } });
    cc.app(space, "capital-true", { annotations: { "prometheus.io/scrape": "True" } });
    cc.app(space, "no-annotation");
    const s = await discover(cc, [{ kubernetesAnnotations: true, path: "/metrics" }]);
    expect(s.instances.map((i) => [i.appName, i.url])).toEqual([
      ["Upper-Case-App", "https://upper-case-app.apps.example.com/custom"],
      ["plain-optin", "https://plain-optin.apps.example.com/metrics"],
    ]);
  });

  it("skips apps without exactly one web process, and apps without routes, with reasons", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.com");
    const space = cc.space(cc.org("o"), "s");
    cc.app(space, "two-web", { webProcesses: 2 });
    cc.app(space, "no-web", { webProcesses: 0 });
    cc.app(space, "no-route", { routes: [] });
    cc.app(space, "fine");
    const s = await discover(cc, [{ applicationRegex: "two-web|no-web|no-route" }, {}]);
    expect(names(s)).toEqual(["o/s/fine:0"]);
    const problem = s.targets[0].problem ?? "";
    expect(problem).toMatch(/two-web has 2 web processes/);
    expect(problem).toMatch(/no-web has 0 web processes/);
    expect(problem).toMatch(/no-route has no route/);
  });

  it("joins processes and routes to apps by guid, whatever order CF answers in", async () => {
    const { cc, ids } = landscape();
    cc.scale(ids.webshop, 3);
    cc.processes.reverse();
    cc.routes.reverse();
    const s = await discover(cc, [{ orgName: "Acme", spaceName: "Dev" }]);
    const byApp = (name: string) => s.instances.filter((i) => i.appName === name);
    expect(byApp("webshop")).toHaveLength(3);
    expect(byApp("Web-App")).toHaveLength(2);
    expect(byApp("webshop")[0].url).toBe("https://webshop.apps.example.com/metrics");
    expect(byApp("Web-App")[0].url).toBe("https://web-app.apps.example.com/metrics");
  });

  it("gives a route shared by two apps to each of them", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.com");
    const space = cc.space(cc.org("o"), "s");
    const blue = cc.app(space, "blue", { routes: ["shop.apps.example.com"] });
    cc.app(space, "green", { routes: [] });
    cc.mapRoute("shop.apps.example.com", cc.apps[1].guid);
    const s = await discover(cc, [{}]);
    expect(s.instances.map((i) => [i.appName, i.url])).toEqual([
      ["blue", "https://shop.apps.example.com/metrics"],
      ["green", "https://shop.apps.example.com/metrics"],
    ]);
    expect(s.instances[0].appGuid).toBe(blue);
  });

  it("keeps an instance reached through two targets once, for the first target, and warns once", async () => {
    const { cc, ids } = landscape();
    const capture = captureLogger();
    const service = createDiscoveryService({
      config: testConfig([
        {
          orgName: "Acme",
          spaceName: "Dev",
          applicationName: "webshop",
          authenticatorId: "first",
          path: "/a",
        },
        { orgName: "Acme", applicationRegex: "web.*", authenticatorId: "second", path: "/b" },
      ]),
      cf: cc,
      logger: capture.logger,
    });
    const s = await service.refresh();
    await service.refresh();
    const webshop = s.instances.filter((i) => i.appGuid === ids.webshop);
    expect(webshop).toHaveLength(1);
    expect(webshop[0]).toMatchObject({
      targetIndex: 0,
      authenticatorId: "first",
      url: expect.stringMatching(/\/a$/),
    });
    expect(s.byInstanceId.get(`${ids.prodApp}:0`)?.authenticatorId).toBe("second");
    const warnings = capture.lines().filter((l) => l.msg.includes("selected by two targets"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ appGuid: ids.webshop, keptTarget: 0, droppedTarget: 1 });
  });

  it("fetches each layer once for all targets, with a names filter only when every target names its org", async () => {
    const { cc } = landscape();
    await discover(cc, [
      { orgName: "Acme", spaceName: "Dev" },
      { orgName: "other" },
      { orgName: "ACME", spaceName: "Prod", applicationName: "web-prod" },
    ]);
    expect(cc.calls.map((c) => c.method).sort()).toEqual([
      "listApps",
      "listDomains",
      "listOrganizations",
      "listRoutes",
      "listSpaces",
      "listWebProcesses",
    ]);
    expect(cc.calls.find((c) => c.method === "listOrganizations")?.filter).toEqual({
      names: ["acme", "other"],
    });

    const { cc: cc2 } = landscape();
    await discover(cc2, [{ orgName: "Acme" }, { orgRegex: "oth.*" }]);
    expect(cc2.count("listOrganizations")).toBe(1);
    expect(cc2.calls.find((c) => c.method === "listOrganizations")?.filter).toBeUndefined();
  });
});

describe("batched look-ups", () => {
  it("asks for processes by app guid for few apps and by space guid for many, for routes always by app guid", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.com");
    const org = cc.org("o");
    const small = cc.space(org, "small");
    const big = cc.space(org, "big");
    cc.app(small, "one");
    await discover(cc, [{ spaceName: "small" }]);
    const few = cc.calls.find((c) => c.method === "listWebProcesses")?.filter as { appGuids?: string[] };
    expect(few.appGuids).toHaveLength(1);

    for (let i = 0; i < 150; i++) cc.app(big, `app-${i}`);
    cc.calls.length = 0;
    const s = await discover(cc, [{}]);
    expect(s.instances).toHaveLength(151);
    expect(cc.calls.filter((c) => c.method === "listWebProcesses").map((c) => c.filter)).toEqual([
      { spaceGuids: expect.arrayContaining([small, big]) },
    ]);
    const routeCalls = cc.calls.filter((c) => c.method === "listRoutes");
    expect(routeCalls.map((c) => (c.filter as { appGuids: string[] }).appGuids.length)).toEqual([151]);
  });
});
