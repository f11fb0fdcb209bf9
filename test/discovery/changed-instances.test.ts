import { afterEach, describe, expect, it } from "vitest";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoveredInstance, DiscoveryService } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { ownMetrics, samplesOf } from "../metrics/helpers.js";
import { testConfig } from "./config.js";
import { FakeCloudController } from "./fake-cc.js";

/**
 * A refresh hands over the previous snapshot's object for an instance it builds unchanged. Every change an
 * operator makes to an app must still reach /discovery (the snapshot), the scrape (URL, header) and the own
 * metrics' label sets at once: a changed instance is a new object.
 */
const services: DiscoveryService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

function setup() {
  const cc = new FakeCloudController();
  cc.domain("apps.example.com");
  cc.domain("apps.internal", true);
  const org = cc.org("acme");
  const dev = cc.space(org, "dev");
  const prod = cc.space(org, "prod");
  const web = cc.app(dev, "web", { instances: 2 });
  const api = cc.app(dev, "api", { instances: 1 });
  const service = createDiscoveryService({
    config: testConfig([{ orgName: "acme" }]),
    cf: cc,
    logger: silentLogger,
  });
  services.push(service);
  const metrics = ownMetrics();
  service.onRefresh((snapshot) => metrics.markSeen(snapshot.instances));
  /** One scrape of every instance, as the scrape endpoint finds it: by id in the current snapshot. */
  const scrapeAll = () => {
    const snapshot = service.current();
    for (const i of snapshot?.instances ?? []) {
      const found = snapshot?.byInstanceId.get(i.instanceId) as DiscoveredInstance;
      metrics.recordScrape({ instance: found, ok: true, bytes: 10, seconds: 0.01 });
    }
  };
  const upLabels = async () =>
    samplesOf((await metrics.render("text/plain")).body, "promregator_scrape_up")
      .map((s) => `${s.labels.space_name}/${s.labels.app_name}/${s.labels.cf_instance_id}`)
      .sort();
  const byId = () => new Map(service.current()?.instances.map((i) => [i.instanceId, i]));
  return { cc, service, dev, prod, web, api, scrapeAll, upLabels, byId };
}

describe("a refresh after an app changed", () => {
  it("replaces the objects of a renamed app and of an app moved to another space; the own metrics follow", async () => {
    const { cc, service, prod, web, api, scrapeAll, upLabels, byId } = setup();
    await service.refresh();
    scrapeAll();
    const before = byId();

    const webApp = cc.apps.find((a) => a.guid === web);
    const apiApp = cc.apps.find((a) => a.guid === api);
    if (!webApp || !apiApp) throw new Error("landscape");
    webApp.name = "web-v2";
    apiApp.spaceGuid = prod;
    await service.invalidate({ application: true, resolver: true });
    scrapeAll();
    const after = byId();

    expect(after.get(`${web}:0`)).not.toBe(before.get(`${web}:0`));
    expect(after.get(`${web}:0`)).toMatchObject({ appName: "web-v2", spaceName: "dev" });
    expect(after.get(`${api}:0`)).not.toBe(before.get(`${api}:0`));
    expect(after.get(`${api}:0`)).toMatchObject({ appName: "api", spaceName: "prod" });
    // the scrape finds an instance by id: the new object
    expect(service.current()?.byInstanceId.get(`${web}:1`)).toBe(after.get(`${web}:1`));
    expect(after.get(`${web}:1`)).toMatchObject({ appName: "web-v2" });
    // the old label sets stay until discoverer.timeout, the new ones are there at once
    expect(await upLabels()).toEqual(
      [
        `dev/api/${api}:0`,
        `dev/web-v2/${web}:0`,
        `dev/web-v2/${web}:1`,
        `dev/web/${web}:0`,
        `dev/web/${web}:1`,
        `prod/api/${api}:0`,
      ].sort(),
    );
  });

  it("replaces the objects of an app whose route moved to an internal domain: URL and header follow", async () => {
    const { cc, service, web, byId } = setup();
    await service.refresh();
    const before = byId();
    expect(before.get(`${web}:1`)).toMatchObject({
      url: "https://web.apps.example.com/metrics",
      sendInstanceHeader: true,
    });

    cc.routes = cc.routes.filter((r) => !r.appGuids.includes(web));
    cc.mapRoute("web.apps.internal", web);
    await service.invalidate({ route: true });
    const after = byId().get(`${web}:1`);

    expect(after).not.toBe(before.get(`${web}:1`));
    expect(after).toMatchObject({
      url: "http://1.web.apps.internal:8080/metrics",
      sendInstanceHeader: false,
    });
    expect(after?.parsedUrl?.href).toBe("http://1.web.apps.internal:8080/metrics");
    expect(service.current()?.byInstanceId.get(`${web}:1`)).toBe(after);
  });

  it("keeps the objects of a scaled app's remaining instances and drops those scaled away", async () => {
    const { cc, service, web, byId } = setup();
    await service.refresh();
    const before = byId();
    cc.scale(web, 1);
    await service.invalidate({ process: true });
    const after = byId();
    expect(after.get(`${web}:0`)).toBe(before.get(`${web}:0`));
    expect(after.has(`${web}:1`)).toBe(false);
    expect(service.current()?.byInstanceId.has(`${web}:1`)).toBe(false);
    cc.scale(web, 2);
    await service.invalidate({ process: true });
    // an instance that was gone comes back as a new object
    expect(byId().get(`${web}:1`)).not.toBe(before.get(`${web}:1`));
    expect(byId().get(`${web}:0`)).toBe(before.get(`${web}:0`));
  });

  it("builds each new instance of a scaled-up app as an object of its own beside the kept ones", async () => {
    const { cc, service, web, byId } = setup();
    await service.refresh();
    const before = byId();
    cc.scale(web, 4);
    await service.invalidate({ process: true });
    const after = byId();
    const instances = [0, 1, 2, 3].map((i) => after.get(`${web}:${i}`) as DiscoveredInstance);
    expect(instances[0]).toBe(before.get(`${web}:0`));
    expect(instances[1]).toBe(before.get(`${web}:1`));
    expect(new Set(instances).size).toBe(4);
    expect(instances.map((i) => [i.instanceId, i.index, i.appName])).toEqual(
      [0, 1, 2, 3].map((i) => [`${web}:${i}`, i, "web"]),
    );
    // the new ones have their URL parsed (one URL object for an app's route), the kept ones keep theirs
    expect(instances[2].parsedUrl?.href).toBe("https://web.apps.example.com/metrics");
    expect(instances[3].parsedUrl).toBe(instances[2].parsedUrl);
    expect(instances[0].parsedUrl).toBe(before.get(`${web}:0`)?.parsedUrl);
    // nothing of a later comparison shows through the published objects
    cc.scale(web, 1);
    await service.invalidate({ process: true });
    expect(instances.map((i) => [i.instanceId, i.index])).toEqual(
      [0, 1, 2, 3].map((i) => [`${web}:${i}`, i]),
    );
  });

  it("publishes a change invalidated while a refresh of more instances than one merge slice runs", async () => {
    const { cc, service, web, byId } = setup();
    cc.scale(web, 2500); // more than one slice of the merge
    const first = service.refresh();
    // the refresh is under way (its slices wait for turns of the event loop) when the app is scaled
    await new Promise((resolve) => setImmediate(resolve));
    cc.scale(web, 2600);
    const invalidated = service.invalidate({ process: true });
    await first;
    await invalidated;
    const instances = [...byId().values()].filter((i) => i.appGuid === web);
    expect(instances).toHaveLength(2600);
    expect(service.current()?.byInstanceId.size).toBe(2601);
    expect(service.current()?.byInstanceId.get(`${web}:2599`)).toBe(byId().get(`${web}:2599`));
  });
});
