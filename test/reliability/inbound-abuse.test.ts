import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  guardUnhandledRejections,
  type Harness,
  httpGet,
  relLandscape,
  startHarness,
} from "./support/harness.js";
import { startMetricsServer, type TestServer } from "./support/servers.js";

guardUnhandledRejections();

const INBOUND = { username: "scraper", password: "inbound-pw-Q7t2xK" };
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const AUTH = { authorization: basic(INBOUND.username, INBOUND.password) };
const MAX_CONCURRENT = 4;

let target: TestServer;
let h: Harness;
let guid: string;

beforeAll(async () => {
  target = await startMetricsServer(800);
  h = await startHarness({
    logLevel: "warn",
    landscape: relLandscape([
      {
        name: "web",
        instances: 2,
        instanceBehaviour: {
          0: { upstream: `${target.url}/fast` },
          1: { upstream: `${target.url}/slow` },
        },
      },
    ]),
    configure: (config) => {
      const p = config.promregator;
      p.authentication.basic = { ...INBOUND };
      p.discovery.auth = "BASIC";
      p.endpoint.auth = "BASIC";
      p.metrics.auth = "BASIC";
      p.cache.invalidate.auth = "BASIC";
      p.scraping.maxConcurrent = MAX_CONCURRENT;
    },
  });
  await h.app.whenReady();
  guid = h.sim.admin.findApp("web")!.guid;
});

afterAll(async () => {
  await h?.close();
  await target?.close();
});

/** Sends raw bytes and returns the status code of the answer (0 when the connection closed without one). */
function rawRequest(text: string | Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(h.app.port, "127.0.0.1");
    let data = "";
    socket.on("data", (d) => {
      data += d.toString("latin1");
    });
    socket.on("error", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error("no answer to a raw request"));
    });
    socket.end(text);
  });
}

async function expectAlive(): Promise<void> {
  expect((await httpGet(h.app.url, "/health")).status).toBe(200);
}

describe("odd ids on /singleTargetMetrics", () => {
  it.each([
    // Paths that URL resolution would change are refused (src/server/request-path.ts).
    ["parent segments", () => `/singleTargetMetrics/../../etc/passwd`, 400],
    ["encoded parent segments", () => `/singleTargetMetrics/%2e%2e/%2e%2e/etc/passwd`, 400],
    ["encoded slashes", () => `/singleTargetMetrics/..%2f..%2fdiscovery/0`, 400],
    ["a trailing parent segment", () => `/singleTargetMetrics/${guid}/0/..`, 400],
    ["an extra segment", () => `/singleTargetMetrics/${guid}/0/metrics`, 404],
    ["an upper-case guid", () => `/singleTargetMetrics/${guid.toUpperCase()}/0`, 400],
    ["a zero-padded index", () => `/singleTargetMetrics/${guid}/00`, 404],
    ["a negative index", () => `/singleTargetMetrics/${guid}/-1`, 400],
    ["a huge index", () => `/singleTargetMetrics/${guid}/12345678901234567890`, 400],
    ["an encoded NUL", () => `/singleTargetMetrics/${guid}/0%00`, 400],
    ["encoded unicode", () => `/singleTargetMetrics/%C3%A9${guid.slice(1)}/0`, 400],
    ["a 4 KB id", () => `/singleTargetMetrics/${"a".repeat(4096)}/0`, 404],
    ["a URL as id", () => `/singleTargetMetrics/http:%2F%2F127.0.0.1:1%2Fx/0`, 400],
  ] as [string, () => string, number][])("%s: %i, nothing scraped", async (_, path, status) => {
    const before = target.requests.length;
    const answer = await httpGet(h.app.url, path(), AUTH);
    expect(answer.status).toBe(status);
    expect(target.requests.length).toBe(before);
  });

  it("raw non-ASCII bytes in the request line are refused", async () => {
    const line = Buffer.concat([
      Buffer.from("GET /singleTargetMetrics/"),
      Buffer.from("é日本", "utf8"),
      Buffer.from("/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ]);
    expect(await rawRequest(line)).toBeGreaterThanOrEqual(400);
    await expectAlive();
  });

  it("the real id still works with credentials", async () => {
    const answer = await httpGet(h.app.url, `/singleTargetMetrics/${guid}/0`, AUTH);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain("demo_up 1");
  });
});

describe("oversized requests", () => {
  it("a 100 KB URL gets 414/431/400, not a crash", async () => {
    const status = await rawRequest(`GET /discovery?x=${"a".repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect([400, 414, 431]).toContain(status);
    await expectAlive();
  });

  it("a 100 KB header gets 431/400, not a crash", async () => {
    const status = await rawRequest(
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(100_000)}\r\n\r\n`,
    );
    expect([400, 431]).toContain(status);
    await expectAlive();
  });

  it("thousands of small headers get an answer, not a crash", async () => {
    const many = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`).join("\r\n");
    const status = await rawRequest(
      `GET /health HTTP/1.1\r\nHost: x\r\n${many}\r\nConnection: close\r\n\r\n`,
    );
    expect([200, 400, 431]).toContain(status);
    await expectAlive();
  });
});

describe("inbound basic authentication", () => {
  const protectedPaths = () => [
    "/discovery",
    `/singleTargetMetrics/${guid}/0`,
    "/promregatorMetrics",
    "/cache/invalidate?org=true",
    "/",
    "/status.json",
  ];
  const wrong: [string, Record<string, string>][] = [
    ["no credentials", {}],
    ["a wrong password", { authorization: basic(INBOUND.username, "guess") }],
    ["a wrong user", { authorization: basic("admin", INBOUND.password) }],
    [
      "the password with a different case",
      { authorization: basic(INBOUND.username, INBOUND.password.toUpperCase()) },
    ],
    ["an empty password", { authorization: basic(INBOUND.username, "") }],
    ["a malformed header", { authorization: "Basic !!!not-base64" }],
    ["a bearer token", { authorization: `Bearer ${INBOUND.password}` }],
    [
      "credentials without a colon",
      { authorization: `Basic ${Buffer.from(INBOUND.password).toString("base64")}` },
    ],
  ];

  it.each(wrong)("%s: 401 on every protected endpoint, and nothing scraped", async (_, headers) => {
    const before = target.requests.length;
    for (const path of protectedPaths()) {
      const answer = await httpGet(h.app.url, path, headers);
      expect(answer.status, path).toBe(401);
      expect(answer.headers["www-authenticate"]).toBe('Basic realm="Promregator"');
      expect(answer.text).not.toContain(INBOUND.password);
    }
    expect(target.requests.length).toBe(before);
  });

  it("the right credentials open every protected endpoint; health stays open", async () => {
    for (const path of protectedPaths()) {
      const answer = await httpGet(h.app.url, path, AUTH);
      expect(answer.status, path).toBeLessThan(300);
    }
    expect((await httpGet(h.app.url, "/health")).status).toBe(200);
    expect((await httpGet(h.app.url, "/ready")).status).toBe(200);
  });
});

describe("a scrape that loops back", () => {
  it("is refused with 508 when it carries this process's own instance header", async () => {
    const before = target.requests.length;
    const answer = await httpGet(h.app.url, `/singleTargetMetrics/${guid}/0`, {
      ...AUTH,
      "x-promregator-instance": h.app.processInstanceId,
    });
    expect(answer.status).toBe(508);
    expect(target.requests.length).toBe(before);
    expect(h.logs.warnings(/^refused a scrape that came back to this process \(loop\)$/)).toHaveLength(1);
  });
});

describe("a flood of concurrent scrapes", () => {
  it(`beyond maxConcurrent (${MAX_CONCURRENT}) answers 503 with Retry-After and queues nothing`, async () => {
    const before = target.requests.length;
    const flood = await Promise.all(
      Array.from({ length: 40 }, () => httpGet(h.app.url, `/singleTargetMetrics/${guid}/1`, AUTH)),
    );
    const ok = flood.filter((a) => a.status === 200);
    const refused = flood.filter((a) => a.status === 503);
    expect(ok.length + refused.length).toBe(flood.length);
    expect(ok.length).toBeLessThanOrEqual(MAX_CONCURRENT);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThanOrEqual(flood.length - MAX_CONCURRENT);
    for (const r of refused) {
      expect(r.headers["retry-after"]).toBe("1");
      expect(r.text).toMatch(/Too many scrapes in flight/);
    }
    // only the admitted scrapes reached the instance: nothing waited in a queue to be sent later
    expect(target.requests.length - before).toBe(ok.length);
    // capacity is released afterwards
    expect((await httpGet(h.app.url, `/singleTargetMetrics/${guid}/0`, AUTH)).status).toBe(200);
  });
});
