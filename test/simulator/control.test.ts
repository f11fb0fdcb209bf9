import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateLandscape, type RunningSimulator } from "../../src/simulator/index.js";
import { bearer, type Http, startAuthorised, stopAuthorised } from "./helpers.js";

const landscape = generateLandscape({ orgs: 1, spacesPerOrg: 1, appsPerSpace: 3, instances: 1 });

describe("rate limit, injected failures, latency and counters", () => {
  let sim: RunningSimulator;
  let http: Http;
  let auth: Record<string, string>;

  beforeAll(async () => {
    ({ sim, http, auth } = await startAuthorised({ landscape }));
  });
  beforeEach(() => sim.admin.reset());
  afterAll(() => stopAuthorised(sim, http));

  it("counts requests per caller and answers 429 with CC's headers and body", async () => {
    sim.admin.setRateLimit({ limit: 10, windowSeconds: 600 });
    const remaining: string[] = [];
    for (let i = 0; i < 10; i++) {
      const answer = await http.get(`${sim.apiUrl}/v3/apps`, auth);
      expect(answer.status).toBe(200);
      expect(answer.headers["x-ratelimit-limit"]).toBe("10");
      remaining.push(String(answer.headers["x-ratelimit-remaining"]));
    }
    expect(remaining).toEqual(["9", "8", "7", "6", "5", "4", "3", "2", "1", "0"]);
    const limited = await http.get(`${sim.apiUrl}/v3/apps`, auth);
    expect(limited.status).toBe(429);
    expect(limited.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(600);
    expect(Number(limited.headers["x-ratelimit-reset"])).toBeGreaterThan(Date.now() / 1000);
    expect(JSON.parse(limited.text)).toEqual({
      errors: [{ detail: "Rate Limit Exceeded", title: "CF-RateLimitExceeded", code: 10013 }],
    });
    // Exempt paths still work and carry no rate-limit headers.
    const root = await http.get(`${sim.apiUrl}/`, auth);
    expect(root.status).toBe(200);
    expect(root.headers["x-ratelimit-limit"]).toBeUndefined();
    // An invalid token over the limit gets 401 so the client refreshes first.
    for (let i = 0; i < 11; i++) await http.get(`${sim.apiUrl}/v3/apps`, { authorization: "bearer x.y.z" });
    const invalid = await http.get(`${sim.apiUrl}/v3/apps`, { authorization: "bearer x.y.z" });
    expect(invalid.status).toBe(401);
    expect(invalid.json.errors[0].title).toBe("CF-InvalidAuthToken");
    const anonymous = await http.get(`${sim.apiUrl}/v3/info`);
    expect(anonymous.status).toBe(429);
    expect(JSON.parse(anonymous.text).errors[0].title).toBe("CF-IPBasedRateLimitExceeded");
  });

  it("fails the next n requests with CC JSON errors", async () => {
    sim.admin.injectFailures({ count: 2, status: 503 });
    for (let i = 0; i < 2; i++) {
      const failed = await http.get(`${sim.apiUrl}/v3/apps`, auth);
      expect(failed.status).toBe(503);
      expect(failed.json).toEqual({
        errors: [{ detail: "Database connection failure", title: "CF-ServiceUnavailable", code: 10015 }],
      });
    }
    expect((await http.get(`${sim.apiUrl}/v3/apps`, auth)).status).toBe(200);
    sim.admin.injectFailures({ count: 1, status: 500 });
    const unknown = await http.get(`${sim.apiUrl}/v3/apps`, auth);
    expect(unknown.json.errors[0]).toEqual({
      detail: "An unknown error occurred.",
      title: "UnknownError",
      code: 10001,
    });
  });

  it("limits failures to a path prefix and can answer like a load balancer or reset", async () => {
    sim.admin.injectFailures({ count: 1, status: 502, pathPrefix: "/v3/routes", kind: "loadBalancer" });
    expect((await http.get(`${sim.apiUrl}/v3/apps`, auth)).status).toBe(200);
    const lb = await http.get(`${sim.apiUrl}/v3/routes`, auth);
    expect(lb.status).toBe(502);
    expect(lb.headers["content-type"]).toBe("text/html");
    expect(lb.json).toBeUndefined();
    expect((await http.get(`${sim.apiUrl}/v3/routes`, auth)).status).toBe(200);
    sim.admin.injectFailures({ count: 1, status: 503, kind: "reset" });
    await expect(http.get(`${sim.apiUrl}/v3/apps`, auth)).rejects.toThrow();
    expect((await http.get(`${sim.apiUrl}/v3/apps`, auth)).status).toBe(200);
  });

  it("rejects nonsense failure specs with a clear error", () => {
    expect(() => sim.admin.injectFailures({ count: 1, status: 200 })).toThrow(/400-599/);
    expect(() => sim.admin.injectFailures({ count: -1, status: 500 })).toThrow(/count/);
  });

  it("adds configurable latency to CC responses", async () => {
    sim.admin.setLatency(5000);
    await expect(
      request(`${sim.apiUrl}/v3/apps`, { headers: auth, dispatcher: http.agent, headersTimeout: 200 }),
    ).rejects.toThrow(/timeout/i);
    sim.admin.setLatency(0);
    expect((await http.get(`${sim.apiUrl}/v3/apps`, auth)).status).toBe(200);
  });

  it("counts CC and UAA requests, excluding the root and /v3/info probes", async () => {
    await http.get(`${sim.apiUrl}/`);
    await http.get(`${sim.apiUrl}/v3/info`);
    await http.get(`${sim.apiUrl}/v3/apps`, auth);
    await http.get(`${sim.apiUrl}/v3/apps`, auth);
    await http.get(`${sim.apiUrl}/v3/routes`, auth);
    await bearer(http, sim);
    const c = sim.admin.counters();
    expect(c.ccRequests).toBe(3);
    expect(c.uaaRequests).toBe(1);
    expect(c.byPath["/v3/apps"]).toBe(2);
    expect(c.byPath["/uaa/oauth/token"]).toBe(1);
    sim.admin.resetCounters();
    expect(sim.admin.counters()).toEqual({ ccRequests: 0, uaaRequests: 0, byPath: {} });
  });
});

describe("a whole foundation down", () => {
  let sim: RunningSimulator;
  let http: Http;
  let auth: Record<string, string>;

  beforeAll(async () => {
    ({ sim, http, auth } = await startAuthorised({ landscape }));
  });
  afterAll(() => stopAuthorised(sim, http));

  it("answers every CC and UAA request 503 while unavailable, and serves again after", async () => {
    sim.admin.setOutage("unavailable");
    for (const url of [`${sim.apiUrl}/v3/info`, `${sim.apiUrl}/v3/apps`, `${sim.uaaUrl}/oauth/token`]) {
      const answer = await http.get(url, auth);
      expect(answer.status, url).toBe(503);
      expect(answer.text).toBe("no healthy upstream");
    }
    sim.admin.setOutage();
    expect((await http.get(`${sim.apiUrl}/v3/apps`, auth)).status).toBe(200);
  });

  it("never answers while hanging, until the caller gives up", async () => {
    sim.admin.setOutage("hang");
    const signal = AbortSignal.timeout(300);
    await expect(
      request(`${sim.apiUrl}/v3/apps`, { headers: auth, signal, dispatcher: http.agent }),
    ).rejects.toThrow();
    sim.admin.reset();
    expect((await http.get(`${sim.apiUrl}/v3/apps`, auth)).status).toBe(200);
  });

  it("refuses an unknown outage", () => {
    expect(() => sim.admin.setOutage("flaky" as "hang")).toThrow(/outage must be one of unavailable, hang/);
  });
});
