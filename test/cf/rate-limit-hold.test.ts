import { describe, expect, it } from "vitest";
import { appKey, createCfCaches } from "../../src/discovery/cf-caches.js";
import { authorised, fakeTime, json, page, testConfig, useFakeCf } from "./fake-cf.js";

const cf = useFakeCf({ lazy: true });

const route = (guid: string, appGuid: string) => ({
  guid,
  host: guid,
  path: "",
  url: `${guid}.apps.example.test`,
  protocol: "http",
  relationships: { domain: { data: { guid: "dom" } }, space: { data: { guid: "s" } } },
  destinations: [{ guid: `d-${guid}`, app: { guid: appGuid, process: { type: "web" } }, port: 8080 }],
});

describe("a 429 on /v3/routes across refresh cycles of the route cache", () => {
  it("sends nothing before its Retry-After ends, while the cache serves its last routes", async () => {
    const fake = await cf.start();
    const time = fakeTime();
    const sentAt: number[] = [];
    let limited = false;
    fake.on("GET /v3/routes", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      sentAt.push(time.now());
      if (!limited) return json(res, 200, page([route("r1", "a1")]));
      res.writeHead(429, {
        "content-type": "text/plain; charset=utf-8",
        "retry-after": "30",
        "x-ratelimit-limit": "2000",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(time.now() / 1000) + 30),
      });
      res.end(
        JSON.stringify({
          errors: [{ title: "CF-RateLimitExceeded", code: 10013, detail: "Rate Limit Exceeded" }],
        }),
      );
    });
    const config = testConfig(fake.url);
    const client = cf.client({}, { time, random: () => 1 });
    const caches = createCfCaches(
      client,
      { ...config, cache: { ...config.cache, timeout: { ...config.cache.timeout, route: 1 } } },
      { now: time.now },
    );
    const key = appKey("s", "a1");
    const read = async () => {
      const { values } = await caches.route.getMany([key]);
      await caches.route.idle();
      return values.get(key)?.map((r) => r.guid);
    };
    expect(await read()).toEqual(["r1"]);

    limited = true;
    time.advance(2000);
    // Refresh cycle 1: the reload waits the 30 s asked for (20 s, the cap, then the rest), is refused again
    // and gives up; the old routes are served.
    expect(await read()).toEqual(["r1"]);
    expect(sentAt).toHaveLength(3);
    expect(sentAt[2]! - sentAt[1]!).toBe(30_000);
    const lastLimited = sentAt[2]!;

    // The next cycles within the 30 s the CC asked for: no request, the old routes are still served.
    for (const step of [49, 5000]) {
      time.advance(step);
      expect(await read()).toEqual(["r1"]);
      expect(sentAt).toHaveLength(3);
    }

    // Later, the reload goes out no earlier than the end of the Retry-After.
    limited = false;
    time.advance(10_000);
    expect(await read()).toEqual(["r1"]);
    expect(sentAt).toHaveLength(4);
    expect(sentAt[3]).toBeGreaterThanOrEqual(lastLimited + 30_000);
  });
});
