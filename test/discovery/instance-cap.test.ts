import { describe, expect, it } from "vitest";
import { MAX_INSTANCES_PER_APP } from "../../src/discovery/instance-builder.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import { silentLogger } from "../../src/log.js";
import { testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

/**
 * A web process may ask for up to 2,147,483,647 instances (CC's MAX_DB_INT): discovery builds at most
 * MAX_INSTANCES_PER_APP of one app and reports an app asking for more as an error of its target, instead of
 * allocating per instance until the heap limit aborts the process.
 */

function landscape() {
  const cc = new FakeCloudController();
  cc.domain("apps.example.test");
  const space = cc.space(cc.org("o"), "s");
  const huge = cc.app(space, "huge", { instances: 3, routes: ["huge.apps.example.test"] });
  cc.app(space, "small", { instances: 2, routes: ["small.apps.example.test"] });
  const other = cc.app(cc.space(cc.org("p"), "t"), "elsewhere", { routes: ["elsewhere.apps.example.test"] });
  const service = createDiscoveryService({
    config: testConfig([
      { orgName: "o", spaceName: "s" },
      { orgName: "p", spaceName: "t" },
    ]),
    cf: cc,
    logger: silentLogger,
  });
  return { cc, huge, other, service };
}

const countOf = (instances: readonly { appName: string }[], app: string) =>
  instances.filter((i) => i.appName === app).length;

describe("an absurd instance count of one app", () => {
  it("is reported for its target, naming the value and the cap, while its other apps and targets are served", async () => {
    const { cc, huge, service } = landscape();
    cc.scale(huge, 300_000);
    const snapshot = await service.refresh();
    await service.stop();

    expect(countOf(snapshot.instances, "huge")).toBe(0);
    expect(countOf(snapshot.instances, "small")).toBe(2);
    expect(countOf(snapshot.instances, "elsewhere")).toBe(1);
    expect(snapshot.targets[0]).toMatchObject({ instances: 2, kind: "cc-error" });
    expect(snapshot.targets[0].problem).toBe(
      `could not use the web process of app huge: it asks for 300000 instances, more than the ${MAX_INSTANCES_PER_APP} Promregator discovers per app`,
    );
    expect(snapshot.targets[1].problem).toBeUndefined();
  });

  it("keeps the instances the app had before it asked for too many, like any app whose data cannot be used", async () => {
    const { cc, huge, service } = landscape();
    const first = await service.refresh();
    expect(countOf(first.instances, "huge")).toBe(3);

    cc.scale(huge, 2_147_483_647);
    await service.invalidate({ process: true });
    const next = service.current();
    await service.stop();

    expect(next?.instances.filter((i) => i.appName === "huge")).toEqual(
      first.instances.filter((i) => i.appName === "huge"),
    );
    expect(next?.targets[0]).toMatchObject({ instances: 5, kind: "cc-error" });
    expect(next?.targets[0].problem).toMatch(/asks for 2147483647 instances, more than the 10000/);
  });

  it("builds an app of exactly the cap", async () => {
    const { cc, huge, service } = landscape();
    cc.scale(huge, MAX_INSTANCES_PER_APP);
    const snapshot = await service.refresh();
    await service.stop();
    expect(countOf(snapshot.instances, "huge")).toBe(MAX_INSTANCES_PER_APP);
    expect(snapshot.targets[0].problem).toBeUndefined();
  });
});
