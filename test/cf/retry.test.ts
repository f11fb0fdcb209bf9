import { describe, expect, it } from "vitest";
import { CfApiError } from "../../src/cf/index.js";
import { RateLimiter } from "../../src/cf/rate-limiter.js";
import {
  authorised,
  type ClientDeps,
  capturingLogger,
  cfError,
  fakeTime,
  json,
  org,
  page,
  recordingMetrics,
  testConfig,
  useFakeCf,
} from "./fake-cf.js";

const cf = useFakeCf({ lazy: true });

/** Serves orgs, but first runs `failures` in order, one per request. */
function orgsAfter(failures: Array<(res: import("node:http").ServerResponse) => void>): void {
  let n = 0;
  cf.fake.on("GET /v3/organizations", (req, res, f) => {
    if (!authorised(req, res, f)) return;
    const fail = failures[n++];
    if (fail) fail(res);
    else json(res, 200, page([org("o1")]));
  });
}

function makeClient(overrides: Parameters<typeof testConfig>[1] = {}, extra: ClientDeps = {}) {
  const time = fakeTime();
  const metrics = recordingMetrics();
  const client = cf.client(overrides, { metrics, time, random: () => 1, ...extra });
  return { client, time, metrics };
}

const unavailable = (res: import("node:http").ServerResponse) =>
  cfError(res, 503, "CF-ServiceUnavailable", 10015, "Database connection failure");

describe("retries", () => {
  it("retries a 5xx once after backoff plus jitter, then succeeds", async () => {
    const fake = await cf.start();
    orgsAfter([unavailable]);
    const { client, time, metrics } = makeClient({
      request: { ...testConfig("http://x").request, backoff: 200 },
    });
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
    // random() = 1 gives the full 50 % jitter.
    expect(time.sleeps).toEqual([300]);
    const outcomes = metrics.calls
      .filter((c) => c.fn === "request" && c.resource === "org")
      .map((c) => c.fn === "request" && c.outcome);
    expect(outcomes).toEqual(["retry", "ok"]);
    expect(client.counters.requests.org).toBe(2);
  });

  it("fails after the one retry with status, CF code, title and detail", async () => {
    const fake = await cf.start();
    orgsAfter([unavailable, unavailable, unavailable]);
    const log = capturingLogger();
    const { client } = makeClient({}, { logger: log.logger });
    const err = await client.listOrganizations().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CfApiError);
    expect(err).toMatchObject({
      kind: "http",
      status: 503,
      code: 10015,
      title: "CF-ServiceUnavailable",
      detail: "Database connection failure",
      resource: "org",
      path: "/v3/organizations",
    });
    expect((err as Error).message).toBe(
      "GET /v3/organizations failed with status 503: CF-ServiceUnavailable (10015): Database connection failure",
    );
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
    const warnings = log.lines().filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ resource: "org", kind: "http", status: 503, attempts: 2 });
    // at debug level every attempt is logged, as Java's cfaccessor logger did
    const attempts = log.lines().filter((l) => l.msg === "CC request" && l.resource === "org");
    expect(attempts.map((l) => [l.level, l.attempt, l.outcome, l.path])).toEqual([
      [20, 1, "503", "/v3/organizations"],
      [20, 2, "503", "/v3/organizations"],
    ]);
  });

  it("logs one warning per failure class while it lasts and one line when CC recovers", async () => {
    await cf.start();
    orgsAfter([unavailable, unavailable, unavailable, unavailable]);
    const log = capturingLogger();
    const { client } = makeClient({}, { logger: log.logger });
    await expect(client.listOrganizations()).rejects.toMatchObject({ status: 503 });
    await expect(client.listOrganizations()).rejects.toMatchObject({ status: 503 });
    expect(await client.listOrganizations()).toHaveLength(1);
    const lines = log.lines();
    expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
    expect(
      lines.filter((l) => l.level === 30 && l.msg === "Cloud Controller requests succeed again"),
    ).toEqual([expect.objectContaining({ recovered: ["org:http:503"] })]);
  });

  it("does not retry a 404", async () => {
    const fake = await cf.start();
    orgsAfter([(res) => cfError(res, 404, "CF-ResourceNotFound", 10010, "Organization not found")]);
    const { client } = makeClient();
    await expect(client.listOrganizations()).rejects.toMatchObject({ status: 404, code: 10010 });
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(1);
  });

  it("describes a non-JSON error page from a load balancer", async () => {
    await cf.start();
    const badGateway = (res: import("node:http").ServerResponse) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html><body>502 Bad Gateway</body></html>");
    };
    orgsAfter([badGateway, badGateway]);
    const { client } = makeClient();
    await expect(client.listOrganizations()).rejects.toThrow(
      'GET /v3/organizations failed with status 502: non-JSON body "<html><body>502 Bad Gateway</body></html>"',
    );
  });

  it("describes a v2 error body (GET /v2/info 404) like a v3 one, not as non-JSON", async () => {
    const fake = await cf.start();
    // A root document without a login link: the login URL is looked up in GET /v2/info.
    fake.on("GET /", (_req, res, f) =>
      json(res, 200, {
        links: { cloud_controller_v3: { href: `${f.url}/v3`, meta: { version: "3.180.0" } } },
      }),
    );
    fake.on("GET /v2/info", (_req, res) =>
      json(res, 404, { description: "Unknown request", error_code: "CF-NotFound", code: 10000 }),
    );
    orgsAfter([]);
    const log = capturingLogger();
    const { client } = makeClient({}, { logger: log.logger });
    const err = await client.listOrganizations().catch((e: unknown) => e);
    expect((err as Error).message).toContain(
      "GET /v2/info failed with status 404: CF-NotFound (10000): Unknown request",
    );
    expect(log.text()).toContain("GET /v2/info failed with status 404: CF-NotFound (10000): Unknown request");
    expect(log.text()).not.toContain("non-JSON");
    const v2 = (e: unknown) => (e as Error).cause ?? e;
    expect(v2(err)).toMatchObject({
      status: 404,
      title: "CF-NotFound",
      code: 10000,
      detail: "Unknown request",
    });
  });

  it("calls a JSON error body of an unknown shape JSON, and only a body that is not JSON non-JSON", async () => {
    await cf.start();
    orgsAfter([(res) => json(res, 400, { message: "bad filter" })]);
    const { client } = makeClient();
    await expect(client.listOrganizations()).rejects.toThrow(
      'GET /v3/organizations failed with status 400: JSON body "{"message":"bad filter"}"',
    );
  });

  it("retries a request that exceeds its timeout and uses the resource's timeout key", async () => {
    const fake = await cf.start();
    orgsAfter([() => {} /* never answers */]);
    const base = testConfig("http://x").request;
    const { client, metrics } = makeClient({ request: { ...base, timeout: { ...base.timeout, org: 150 } } });
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
    const first = metrics.calls.find((c) => c.fn === "request" && c.resource === "org")!;
    expect(first).toMatchObject({ outcome: "retry" });
    expect(first.seconds).toBeGreaterThanOrEqual(0.14);
  });

  it("reports a timeout after two slow attempts", async () => {
    await cf.start();
    orgsAfter([() => {}, () => {}]);
    const base = testConfig("http://x").request;
    const { client } = makeClient({ request: { ...base, timeout: { ...base.timeout, org: 100 } } });
    const err = await client.listOrganizations().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "timeout", resource: "org" });
    expect((err as Error).message).toBe("GET /v3/organizations timed out: no complete answer within 100 ms");
  });

  it("retries after the connection was reset", async () => {
    const fake = await cf.start();
    orgsAfter([(res) => res.socket?.destroy()]);
    const { client, metrics } = makeClient();
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
    expect(metrics.calls.filter((c) => c.fn === "request" && c.outcome === "retry")).toHaveLength(1);
  });

  it("names the network problem when CC cannot be reached", async () => {
    const fake = await cf.start();
    await fake.close();
    const client = cf.client({}, { time: fakeTime() });
    const err = await client.getInfo().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "network", resource: "info", path: "/v3/info" });
    expect((err as Error).message).toMatch(/^GET \/v3\/info failed: .*ECONNREFUSED/);
  });
});

describe("rate limits", () => {
  const tooMany =
    (headers: Record<string, string>) =>
    (res: import("node:http").ServerResponse): void => {
      res.writeHead(429, { "content-type": "text/plain; charset=utf-8", ...headers });
      res.end(
        JSON.stringify({
          errors: [{ title: "CF-RateLimitExceeded", code: 10013, detail: "Rate Limit Exceeded" }],
        }),
      );
    };

  it("waits Retry-After seconds on a 429, then retries and counts the wait", async () => {
    await cf.start();
    orgsAfter([tooMany({ "retry-after": "3" })]);
    const { client, time, metrics } = makeClient();
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(time.sleeps).toEqual([3000]);
    expect(metrics.calls).toContainEqual({ fn: "wait", resource: "org", seconds: 3 });
    expect(metrics.calls).toContainEqual(
      expect.objectContaining({ fn: "request", resource: "org", outcome: "rate_limited" }),
    );
  });

  it("waits until X-RateLimit-Reset when there is no Retry-After", async () => {
    await cf.start();
    const time = fakeTime();
    const reset = Math.floor(time.now() / 1000) + 7;
    orgsAfter([tooMany({ "x-ratelimit-reset": String(reset) })]);
    const client = cf.client({}, { time });
    await client.listOrganizations();
    expect(time.sleeps).toEqual([reset * 1000 - 1_700_000_000_000]);
  });

  it("caps a long Retry-After and gives up with the 429, sending no retry the CC would refuse", async () => {
    const fake = await cf.start();
    const hour = tooMany({ "retry-after": "3600" });
    orgsAfter([hour, hour, hour, hour]);
    const { client, time } = makeClient({}, { maxRateLimitWaitMs: 5000 });
    const err = await client.listOrganizations().catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, title: "CF-RateLimitExceeded", code: 10013 });
    expect(time.sleeps).toEqual([5000]);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(1);
  });

  it("retries its own 429 when the CC said, also when that is beyond one capped wait", async () => {
    const fake = await cf.start();
    orgsAfter([tooMany({ "retry-after": "30" })]);
    const { client, time } = makeClient({}, { maxRateLimitWaitMs: 20_000 });
    expect(await client.listOrganizations()).toHaveLength(1);
    // 20 s (the cap), then the 10 s the CC still asked for: the retry goes out at 30 s, not at 20 s
    expect(time.sleeps).toEqual([20_000, 10_000]);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
  });

  it("holds later requests of every resource until the Retry-After of the last 429, across calls", async () => {
    const fake = await cf.start();
    const time = fakeTime();
    const sentAt: number[] = [];
    const limited = {
      "retry-after": "30",
      "x-ratelimit-limit": "2000",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(Math.floor(time.now() / 1000) + 3600),
    };
    let answer = tooMany(limited);
    fake.on("GET /v3/organizations", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      sentAt.push(time.now());
      answer(res);
    });
    fake.on("GET /v3/domains", (req, res, f) => {
      if (authorised(req, res, f)) json(res, 200, page([]));
    });
    const log = capturingLogger();
    const client = cf.client({}, { time, random: () => 1, logger: log.logger });
    // The request waits 20 s (the cap) and the 10 s the CC still asked for, is refused again, and gives up.
    await expect(client.listOrganizations()).rejects.toMatchObject({ status: 429, code: 10013 });
    expect(time.sleeps).toEqual([20_000, 10_000]);
    expect(sentAt).toHaveLength(2);
    expect(sentAt[1]! - sentAt[0]!).toBe(30_000);
    const lastAnswer = sentAt[1]!;

    // The next refresh, 49 ms later: nothing is sent, neither for this resource nor for another one.
    time.advance(49);
    const held = await client.listOrganizations().catch((e: unknown) => e);
    expect(held).toBeInstanceOf(CfApiError);
    expect(held).toMatchObject({ kind: "http", status: 429, title: "CF-RateLimitExceeded", code: 10013 });
    expect((held as Error).message).toBe(
      `GET /v3/organizations not sent: the Cloud Controller answered 429 to GET /v3/organizations (CF-RateLimitExceeded (10013): Rate Limit Exceeded) and asked to wait until ${new Date(lastAnswer + 30_000).toISOString()}`,
    );
    await expect(client.listDomains()).rejects.toMatchObject({ status: 429 });
    expect(sentAt).toHaveLength(2);
    expect(fake.requestsTo("/v3/domains")).toHaveLength(0);
    expect(time.sleeps).toHaveLength(2);

    // Within the cap of the end: the rest is waited out, and the request goes out when the CC said.
    answer = (res) => json(res, 200, page([org("o1")]));
    time.advance(15_000);
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(sentAt).toHaveLength(3);
    expect(sentAt[2]).toBe(lastAnswer + 30_000);
    expect(log.text()).toContain("CC rate limit still in force, waiting");
    // Once it passed, requests go out at once.
    expect(await client.listDomains()).toEqual([]);
  });

  it("holds later requests until a future X-RateLimit-Reset when there is no Retry-After", async () => {
    const fake = await cf.start();
    const time = fakeTime();
    const reset = Math.floor(time.now() / 1000) + 600;
    orgsAfter([tooMany({ "x-ratelimit-reset": String(reset) })]);
    const client = cf.client({}, { time, maxRateLimitWaitMs: 1000, random: () => 1 });
    // The window the CC named outlasts the capped wait: the request gives up without a retry...
    await expect(client.listOrganizations()).rejects.toMatchObject({ status: 429 });
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(1);
    // ...and the next call is not sent before the window ends either.
    await expect(client.listOrganizations()).rejects.toThrow(
      `asked to wait until ${new Date(reset * 1000).toISOString()}`,
    );
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(1);
    time.advance(reset * 1000 - time.now());
    await client.listOrganizations();
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
  });

  it("keys the hold like CC keys its limit: a user's 429 does not hold unauthenticated /v3/info", async () => {
    const fake = await cf.start();
    orgsAfter([
      tooMany({ "retry-after": "600" }),
      tooMany({ "retry-after": "600" }),
      tooMany({ "retry-after": "600" }),
    ]);
    const { client } = makeClient({}, { maxRateLimitWaitMs: 10 });
    await expect(client.listOrganizations()).rejects.toMatchObject({ status: 429 });
    await expect(client.listDomains()).rejects.toMatchObject({ status: 429 });
    expect(await client.getInfo()).toMatchObject({ name: "fake" });
    expect(fake.requestsTo("/v3/info")).toHaveLength(1);
  });

  it("spaces requests by the client-side rate limit and reports the waits", async () => {
    await cf.start();
    orgsAfter([]);
    const { client, time, metrics } = makeClient({
      request: { ...testConfig("http://x").request, rateLimit: 2 },
    });
    // GET / and the first orgs call use up the bucket of two; every later call waits 500 ms.
    for (let i = 0; i < 4; i++) await client.listOrganizations();
    expect(time.sleeps).toEqual([500, 500, 500]);
    expect(metrics.calls.filter((c) => c.fn === "wait").map((c) => c.seconds)).toEqual([0.5, 0.5, 0.5]);
  });
});

describe("RateLimiter", () => {
  it("lets a burst of one second through and then queues callers in arrival order", async () => {
    const time = fakeTime();
    const sleeping: number[] = [];
    const limiter = new RateLimiter(4, { now: time.now, sleep: async (ms) => void sleeping.push(ms) });
    const waits = await Promise.all(Array.from({ length: 7 }, () => limiter.acquire()));
    expect(waits).toEqual([0, 0, 0, 0, 250, 500, 750]);
    time.advance(2000);
    expect(await limiter.acquire()).toBe(0);
  });

  it("never waits when switched off", async () => {
    const limiter = new RateLimiter(0, fakeTime());
    const waits = await Promise.all(Array.from({ length: 100 }, () => limiter.acquire()));
    expect(new Set(waits)).toEqual(new Set([0]));
  });
});
