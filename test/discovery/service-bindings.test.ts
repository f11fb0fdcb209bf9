import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { CfApiError } from "../../src/cf/index.js";
import type { BindingCredentialUse, TargetConfig } from "../../src/config/types.js";
import { DETAILS_CONCURRENCY, DETAILS_FAILURE_LIMIT } from "../../src/discovery/binding-caches.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoverySnapshot } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { targetFailure } from "../../src/resolve-report/run.js";
import { captureLogger, testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

/** Two teams in two orgs; some apps opt in by binding "metrics-endpoint". */
function landscape() {
  const cc = new FakeCloudController();
  cc.domain("apps.example.com");
  const acme = cc.space(cc.org("Acme"), "Prod");
  const other = cc.space(cc.org("Other"), "Dev");
  const ids = {
    shop: cc.app(acme, "shop", { instances: 2 }),
    cart: cc.app(acme, "cart"),
    quiet: cc.app(acme, "quiet"),
    misc: cc.app(other, "misc"),
  };
  return { cc, ids };
}

function discover(
  cc: FakeCloudController,
  targets: Partial<TargetConfig>[],
  use: BindingCredentialUse = "path",
  logger = silentLogger,
) {
  const config = testConfig(targets);
  config.promregator.serviceBindings = { credentials: use };
  const service = createDiscoveryService({ config, cf: cc, logger });
  return { service, snapshot: () => service.refresh() };
}

const urls = (s: DiscoverySnapshot) => s.instances.map((i) => `${i.appName}:${i.index} ${i.url}`);
const notFoundForAuditor = () =>
  new CfApiError("GET /v3/service_credential_bindings/x/details failed with status 404", {
    kind: "http",
    resource: "bindingDetails",
    path: "/v3/service_credential_bindings/x/details",
    status: 404,
  });

describe("targets by service binding", () => {
  it("narrows a target to the apps bound to an instance of that name, in every org it selects", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", {});
    cc.bind(ids.misc, "metrics-endpoint", {});
    cc.bind(ids.cart, "other-service", {});
    const s = await discover(cc, [{ serviceInstanceName: "metrics-endpoint" }]).snapshot();
    expect(urls(s)).toEqual([
      "shop:0 https://shop.apps.example.com/metrics",
      "shop:1 https://shop.apps.example.com/metrics",
      "misc:0 https://misc.apps.example.com/metrics",
    ]);
    expect(s.targets[0]).toMatchObject({ instances: 3 });
    expect(s.targets[0].problem).toBeUndefined();
  });

  it("applies the org/space/app keys as before: only bound apps they select", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", {});
    cc.bind(ids.misc, "metrics-endpoint", {});
    const s = await discover(cc, [{ orgName: "other", serviceInstanceName: "metrics-endpoint" }]).snapshot();
    expect(urls(s)).toEqual(["misc:0 https://misc.apps.example.com/metrics"]);
  });

  it("takes the path from the binding's credentials over the target's", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", { path: "/actuator/prometheus", other: 1 });
    cc.bind(ids.cart, "metrics-endpoint", { url: "ignored" });
    const s = await discover(cc, [{ serviceInstanceName: "metrics-endpoint", path: "/m" }]).snapshot();
    expect(urls(s)).toEqual([
      "cart:0 https://cart.apps.example.com/m",
      "shop:0 https://shop.apps.example.com/actuator/prometheus",
      "shop:1 https://shop.apps.example.com/actuator/prometheus",
    ]);
  });

  it("uses username and password only with path-and-basic-auth, and never shows them", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", { username: "team-user", password: "pa55-w0rd-secret" });
    const plain = await discover(cc, [{ serviceInstanceName: "metrics-endpoint" }]).snapshot();
    expect(plain.instances[0].bindingCredential).toBeUndefined();

    const s = await discover(
      cc,
      [{ serviceInstanceName: "metrics-endpoint" }],
      "path-and-basic-auth",
    ).snapshot();
    const credential = s.instances[0].bindingCredential;
    expect(credential?.authorization()).toBe(
      `Basic ${Buffer.from("team-user:pa55-w0rd-secret").toString("base64")}`,
    );
    const shown = [
      JSON.stringify(s.instances),
      inspect(s.instances, { depth: 5 }),
      String(credential),
    ].join();
    expect(shown).not.toContain("pa55-w0rd-secret");
    expect(shown).not.toContain(Buffer.from("team-user:pa55-w0rd-secret").toString("base64"));
    expect(shown).toContain("(credentials hidden)");
  });

  it("replaces the instances of an app whose binding's password changed, keeps those of the others", async () => {
    const { cc, ids } = landscape();
    const shopBinding = cc.bind(ids.shop, "metrics-endpoint", { username: "u", password: "old-secret" });
    cc.bind(ids.cart, "metrics-endpoint", { username: "u", password: "cart-secret" });
    const { service } = discover(cc, [{ serviceInstanceName: "metrics-endpoint" }], "path-and-basic-auth");
    const before = await service.refresh();
    cc.bindingDetails.set(shopBinding, { username: "u", password: "new-secret" });
    await service.invalidate({ resolver: true });
    const after = service.current() as DiscoverySnapshot;
    await service.stop();

    const shop = after.instances.filter((i) => i.appName === "shop");
    expect(shop.map((i) => i.bindingCredential?.authorization())).toEqual([
      `Basic ${Buffer.from("u:new-secret").toString("base64")}`,
      `Basic ${Buffer.from("u:new-secret").toString("base64")}`,
    ]);
    for (const i of shop) expect(before.byInstanceId.get(i.instanceId)).not.toBe(i);
    const cart = after.instances.find((i) => i.appName === "cart");
    expect(cart).toBe(before.instances.find((i) => i.appName === "cart"));
    expect(after.byInstanceId.get(shop[0].instanceId)).toBe(shop[0]);
  });

  it("does not read the credentials at all with ignore", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", { path: "/not-used" });
    const s = await discover(cc, [{ serviceInstanceName: "metrics-endpoint" }], "ignore").snapshot();
    expect(urls(s)[0]).toBe("shop:0 https://shop.apps.example.com/metrics");
    expect(cc.count("getBindingDetails")).toBe(0);
  });

  it("leaves out an app whose binding's credentials are not usable, names why, and keeps the others", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", { path: "/ok" });
    cc.bind(ids.cart, "metrics-endpoint", ["not", "an", "object"]);
    cc.bind(ids.quiet, "metrics-endpoint", { path: "metrics-without-slash" });
    const s = await discover(cc, [{ serviceInstanceName: "metrics-endpoint" }]).snapshot();
    expect(s.instances.map((i) => i.appName)).toEqual(["shop", "shop"]);
    const report = s.targets[0];
    expect(report.kind).toBe("service-binding");
    expect(report.problem).toContain("Acme/Prod/cart");
    expect(report.problem).toContain("credentials are an array, not a JSON object");
    expect(report.problem).toContain('credentials.path does not start with "/"');
    expect(report.problem).not.toContain("metrics-without-slash");
  });

  it("logs binding problems of a target with instances once, without the credential values", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", {});
    cc.bind(ids.cart, "metrics-endpoint", { path: 42, password: "never-logged-secret" });
    const { logger, lines } = captureLogger();
    const { service } = discover(cc, [{ serviceInstanceName: "metrics-endpoint" }], "path", logger);
    await service.refresh();
    await service.refresh();
    const warned = lines().filter(
      (l) => l.msg === "some service bindings of a target cannot be used as they are",
    );
    expect(warned).toHaveLength(1);
    expect(warned[0].reason).toContain("credentials.path is a number, not a string");
    expect(JSON.stringify(lines())).not.toContain("never-logged-secret");
  });

  it("says which credential key is wrong without echoing a secret value", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", { username: "u", password: 12345678 });
    cc.bind(ids.cart, "metrics-endpoint", { username: "a:b", password: "top-secret-value" });
    const s = await discover(
      cc,
      [{ serviceInstanceName: "metrics-endpoint" }],
      "path-and-basic-auth",
    ).snapshot();
    expect(s.instances).toEqual([]);
    expect(s.targets[0].kind).toBe("service-binding");
    expect(s.targets[0].problem).toContain("credentials.password is a number, not a string");
    expect(s.targets[0].problem).toContain("credentials.username contains a colon");
    expect(s.targets[0].problem).not.toContain("12345678");
    expect(s.targets[0].problem).not.toContain("top-secret-value");
  });

  it("scrapes an app as the target says when CC does not show its credentials (an auditor), and says why", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", { path: "/hidden" });
    cc.bindingDetails.set(cc.bindings[0].guid, notFoundForAuditor());
    const { service, snapshot } = discover(cc, [{ serviceInstanceName: "metrics-endpoint" }]);
    const s = await snapshot();
    expect(urls(s)).toEqual([
      "shop:0 https://shop.apps.example.com/metrics",
      "shop:1 https://shop.apps.example.com/metrics",
    ]);
    expect(s.targets[0].kind).toBe("service-binding");
    expect(s.targets[0].problem).toContain("Space Developer");
    // A refusal is cached like an answer: the next refresh does not ask again.
    const asked = cc.count("getBindingDetails");
    await service.refresh();
    expect(cc.count("getBindingDetails")).toBe(asked);
  });

  it("keeps a binding whose delete failed (it still exists) and leaves out one being created, deleted or never created", async () => {
    const { cc, ids } = landscape();
    cc.bind(
      ids.shop,
      "metrics-endpoint",
      { path: "/still-bound" },
      {
        lastOperation: { type: "delete", state: "failed" },
      },
    );
    cc.bind(ids.cart, "metrics-endpoint", {}, { lastOperation: { type: "create", state: "failed" } });
    cc.bind(ids.quiet, "metrics-endpoint", {}, { lastOperation: { type: "delete", state: "in progress" } });
    cc.bind(ids.misc, "metrics-endpoint", {}, { lastOperation: { type: "create", state: "initial" } });
    const s = await discover(cc, [{ serviceInstanceName: "metrics-endpoint" }]).snapshot();
    expect(urls(s)).toEqual([
      "shop:0 https://shop.apps.example.com/still-bound",
      "shop:1 https://shop.apps.example.com/still-bound",
    ]);
  });

  it("counts only bindings to user-provided instances: a managed instance of that name is left out, its credentials never read", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", { path: "/team" });
    // A broker's instance of the same name (another space): its binding carries the broker's database user.
    const managed = cc.bind(
      ids.misc,
      "metrics-endpoint",
      { username: "db-user", password: "broker-db-secret" },
      { instanceType: "managed" },
    );
    const s = await discover(
      cc,
      [{ serviceInstanceName: "metrics-endpoint" }],
      "path-and-basic-auth",
    ).snapshot();
    expect(urls(s)).toEqual([
      "shop:0 https://shop.apps.example.com/team",
      "shop:1 https://shop.apps.example.com/team",
    ]);
    expect(s.instances.every((i) => i.bindingCredential === undefined)).toBe(true);
    expect(cc.calls.filter((c) => c.method === "getBindingDetails").map((c) => c.filter)).not.toContain(
      managed,
    );
    expect(s.targets[0].kind).toBe("service-binding");
    expect(s.targets[0].problem).toContain(`Other/Dev/misc (binding ${managed} to "metrics-endpoint")`);
    expect(s.targets[0].problem).toContain(
      "left out, its service instance is a managed one (created by a service broker): only bindings to user-provided service instances count",
    );
    expect(s.targets[0].problem).not.toContain("broker-db-secret");
  });

  it("leaves out a managed instance's binding with credentials: ignore too, and when every app has only such bindings says why", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", {}, { instanceType: "managed" });
    cc.bind(ids.cart, "metrics-endpoint", {}, { instanceType: null });
    const s = await discover(cc, [{ serviceInstanceName: "metrics-endpoint" }], "ignore").snapshot();
    expect(s.instances).toEqual([]);
    expect(s.targets[0].kind).toBe("service-binding");
    expect(s.targets[0].problem).toContain("Acme/Prod/shop");
    expect(s.targets[0].problem).toContain("managed one");
    expect(s.targets[0].problem).toContain("Acme/Prod/cart");
    expect(s.targets[0].problem).toContain("did not include its service instance");
  });

  it("uses an app's binding to the user-provided instance when it is also bound to a managed one of that name", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", { path: "/broker" }, { instanceType: "managed" });
    cc.bind(ids.shop, "metrics-endpoint", { path: "/team" });
    const s = await discover(cc, [{ serviceInstanceName: "metrics-endpoint" }]).snapshot();
    expect(urls(s)).toEqual([
      "shop:0 https://shop.apps.example.com/team",
      "shop:1 https://shop.apps.example.com/team",
    ]);
    expect(s.targets[0].problem).toBeUndefined();
  });

  it("reports a target whose selected apps are not bound, without failing the others", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", {});
    const s = await discover(cc, [
      { orgName: "Other", serviceInstanceName: "metrics-endpoint" },
      { orgName: "Acme", applicationName: "cart" },
    ]).snapshot();
    expect(s.instances.map((i) => i.appName)).toEqual(["cart"]);
    expect(s.targets[0]).toMatchObject({ instances: 0, kind: "no-matching-app" });
    expect(s.targets[0].problem).toBe(
      'the selected application is not bound to a service instance named "metrics-endpoint"',
    );
  });

  it("asks one binding list per instance name and one details request per bound app, then serves the cache", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", {});
    cc.bind(ids.cart, "metrics-endpoint", {});
    cc.bind(ids.misc, "team-metrics", {});
    const { service, snapshot } = discover(cc, [
      { serviceInstanceName: "metrics-endpoint" },
      { orgName: "Acme", serviceInstanceName: "metrics-endpoint" },
      { serviceInstanceName: "team-metrics" },
    ]);
    await snapshot();
    expect(cc.count("listAppBindings")).toBe(2);
    expect(cc.count("getBindingDetails")).toBe(3);
    await service.refresh();
    expect(cc.count("listAppBindings")).toBe(2);
    expect(cc.count("getBindingDetails")).toBe(3);
  });

  it("keeps the target's previous instances when the binding list cannot be read", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", {});
    const { logger } = captureLogger();
    const { service } = discover(
      cc,
      [{ serviceInstanceName: "metrics-endpoint" }, { applicationName: "cart" }],
      "path",
      logger,
    );
    const first = await service.refresh();
    expect(first.instances.map((i) => i.appName)).toEqual(["cart", "shop", "shop"]);
    cc.failure = new Error("CC down");
    cc.failOnly.add("listAppBindings");
    await service.invalidate({ resolver: true });
    const next = service.current() as DiscoverySnapshot;
    expect(next.instances.map((i) => i.appName)).toEqual(["cart", "shop", "shop"]);
    expect(next.targets[0]).toMatchObject({ kind: "cc-error" });
    expect(next.targets[0].problem).toContain('bindings of service instances named "metrics-endpoint"');
  });

  it("stops asking for binding details once the endpoint evidently fails, and still serves the plain targets", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.com");
    const space = cc.space(cc.org("Acme"), "Prod");
    for (let i = 0; i < 40; i++) cc.bind(cc.app(space, `bound${i}`), "metrics-endpoint", {});
    cc.app(space, "plain");
    cc.failure = new CfApiError("GET /v3/service_credential_bindings/x/details failed with status 503", {
      kind: "http",
      resource: "bindingDetails",
      path: "/v3/service_credential_bindings/x/details",
      status: 503,
    });
    cc.failOnly.add("getBindingDetails");
    const s = await discover(cc, [
      { serviceInstanceName: "metrics-endpoint" },
      { applicationName: "plain" },
    ]).snapshot();
    expect(cc.count("getBindingDetails")).toBeLessThanOrEqual(DETAILS_FAILURE_LIMIT + DETAILS_CONCURRENCY);
    expect(s.instances.map((i) => i.appName)).toEqual(["plain"]);
    expect(s.targets[0].problem).toContain("status 503");
    // Details the CC failed to give are a CC failure of the target (check-config --resolve exits 1 for it).
    expect(s.targets[0].kind).toBe("cc-error");
    expect(targetFailure(s)).toMatch(/^target #0: .*status 503/);
  });

  it("asks for every binding's details when CC refuses them one by one (403/404 is an answer, not an outage)", async () => {
    const cc = new FakeCloudController();
    cc.domain("apps.example.com");
    const space = cc.space(cc.org("Acme"), "Prod");
    for (let i = 0; i < 12; i++) cc.bind(cc.app(space, `bound${i}`), "metrics-endpoint", {});
    cc.failure = notFoundForAuditor();
    cc.failOnly.add("getBindingDetails");
    const s = await discover(cc, [{ serviceInstanceName: "metrics-endpoint" }]).snapshot();
    expect(cc.count("getBindingDetails")).toBe(12);
    expect(s.instances).toHaveLength(12);
  });

  it("leaves targets without serviceInstanceName exactly as they were: no binding request at all", async () => {
    const { cc, ids } = landscape();
    cc.bind(ids.shop, "metrics-endpoint", { path: "/x" });
    const s = await discover(cc, [{ orgName: "Acme", spaceName: "Prod" }], "path-and-basic-auth").snapshot();
    expect(s.instances.map((i) => i.appName)).toEqual(["cart", "quiet", "shop", "shop"]);
    expect(s.instances.every((i) => i.url.endsWith("/metrics") && !i.bindingCredential)).toBe(true);
    expect(cc.count("listAppBindings") + cc.count("getBindingDetails")).toBe(0);
  });
});
