import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import type { CacheInvalidation, DiscoveredInstance, DiscoverySnapshot } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import type { ScrapeHandler } from "../../src/scrape/types.js";
import { createRequestHandler, type DiscoveryView } from "../../src/server/handler.js";
import { GUID, instance, snapshotOf } from "./helpers.js";

interface Harness {
  base: string;
  scraped: string[];
  invalidations: CacheInvalidation[];
  discovery: { snapshot?: DiscoverySnapshot };
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function start(
  yaml: string,
  opts: { ready?: boolean; blockScrapes?: Promise<void>; refreshed?: Promise<void> } = {},
): Promise<Harness> {
  const { config } = loadConfig({ text: yaml, requireCf: false });
  const h: Harness = {
    base: "",
    scraped: [],
    invalidations: [],
    discovery: { snapshot: opts.ready === false ? undefined : snapshotOf([instance(0), instance(1)]) },
  };
  const discovery: DiscoveryView = {
    current: () => h.discovery.snapshot,
    ready: () => h.discovery.snapshot !== undefined,
    invalidate: (sel) => {
      h.invalidations.push(sel);
      return opts.refreshed;
    },
  };
  const scrape: ScrapeHandler = {
    async handle(_req, res, inst) {
      h.scraped.push(inst.instanceId);
      await opts.blockScrapes;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end("x 1\n");
    },
    close: async () => {},
  };
  const handler = createRequestHandler({
    config,
    logger: silentLogger,
    discovery,
    scrape,
    metrics: {
      renderChunks: () => ({
        contentType: "text/plain; version=0.0.4; charset=utf-8",
        chunks: (async function* () {
          yield "m 1\n";
        })(),
      }),
    },
    processInstanceId: "self-id",
    inboundCredentials: { username: "promregator", password: "s3cret" },
  });
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  h.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return h;
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

describe("request handler", () => {
  it("serves a discovered instance through the scrape handler and validates ids like the Java version", async () => {
    const h = await start("promregator: {}");
    expect((await fetch(`${h.base}/singleTargetMetrics/${GUID}/1`)).status).toBe(200);
    expect(h.scraped).toEqual([`${GUID}:1`]);

    const upper = await fetch(`${h.base}/singleTargetMetrics/${GUID.toUpperCase()}/1`);
    expect(upper.status).toBe(400);
    expect(await upper.text()).toContain("Invalid Application Id provided");
    const badIndex = await fetch(`${h.base}/singleTargetMetrics/${GUID}/one`);
    expect(badIndex.status).toBe(400);
    expect(await badIndex.text()).toContain("Invalid Instance Number provided");
    expect((await fetch(`${h.base}/singleTargetMetrics/${GUID}/7`)).status).toBe(404);
    expect((await fetch(`${h.base}/singleTargetMetrics/${GUID}/01`)).status).toBe(404);
    expect((await fetch(`${h.base}/singleTargetMetrics/..%2Fdiscovery/0`)).status).toBe(400);
    expect(h.scraped).toHaveLength(1);
  });

  it("refuses a scrape that carries its own process id (loop through the router)", async () => {
    const h = await start("promregator: {}");
    const res = await fetch(`${h.base}/singleTargetMetrics/${GUID}/0`, {
      headers: { "X-Promregator-Instance": "self-id" },
    });
    expect(res.status).toBe(508);
    expect(h.scraped).toEqual([]);
    const other = await fetch(`${h.base}/singleTargetMetrics/${GUID}/0`, {
      headers: { "X-Promregator-Instance": "another-promregator" },
    });
    expect(other.status).toBe(200);
  });

  it("answers 503 with Retry-After when too many scrapes are in flight", async () => {
    let release!: () => void;
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const h = await start("promregator: {scraping: {maxConcurrent: 1}}", { blockScrapes: blocked });
    const first = fetch(`${h.base}/singleTargetMetrics/${GUID}/0`);
    while (h.scraped.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await fetch(`${h.base}/singleTargetMetrics/${GUID}/1`);
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("1");
    release();
    expect((await first).status).toBe(200);
  });

  it("protects exactly the endpoint groups switched to BASIC", async () => {
    const h = await start("promregator: {discovery: {auth: BASIC}, cache: {invalidate: {auth: basic}}}");
    expect((await fetch(`${h.base}/discovery`)).status).toBe(401);
    const wrong = await fetch(`${h.base}/discovery`, {
      headers: { authorization: basic("promregator", "nope") },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    const right = await fetch(`${h.base}/discovery`, {
      headers: { authorization: basic("promregator", "s3cret") },
    });
    expect(right.status).toBe(200);
    expect((await fetch(`${h.base}/cache/invalidate?org=1`)).status).toBe(401);
    expect(h.invalidations).toEqual([]);
    expect((await fetch(`${h.base}/singleTargetMetrics/${GUID}/0`)).status).toBe(200);
    expect((await fetch(`${h.base}/promregatorMetrics`)).status).toBe(200);
    expect((await fetch(`${h.base}/health`)).status).toBe(200);
    expect((await fetch(`${h.base}/`)).status).toBe(401);
  });

  it("protects scrape and metrics endpoints when switched on", async () => {
    const h = await start("promregator: {endpoint: {auth: BASIC}, metrics: {auth: BASIC}}");
    expect((await fetch(`${h.base}/singleTargetMetrics/${GUID}/0`)).status).toBe(401);
    expect((await fetch(`${h.base}/promregatorMetrics`)).status).toBe(401);
    const ok = await fetch(`${h.base}/promregatorMetrics`, {
      headers: { authorization: basic("promregator", "s3cret") },
    });
    expect(ok.status).toBe(200);
    expect((await fetch(`${h.base}/discovery`)).status).toBe(200);
  });

  it("invalidates exactly the requested caches and rejects non-boolean values", async () => {
    const h = await start("promregator: {}");
    const res = await fetch(
      `${h.base}/cache/invalidate?org=1&space=true&application=yes&route=0&resolver=on`,
    );
    expect(res.status).toBe(204);
    expect(h.invalidations).toEqual([{ org: true, space: true, application: true, resolver: true }]);
    expect((await fetch(`${h.base}/cache/invalidate?process=maybe`, { method: "POST" })).status).toBe(400);
    expect(h.invalidations).toHaveLength(1);
  });

  it("answers /cache/invalidate once the refresh after it has ended, so that /discovery then is new", async () => {
    let finish!: () => void;
    const refreshed = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const h = await start("promregator: {}", { refreshed });
    const order: string[] = [];
    const answered = fetch(`${h.base}/cache/invalidate?resolver=1`, { method: "POST" }).then((res) => {
      order.push("answered");
      return res;
    });
    await vi.waitFor(() => expect(h.invalidations).toHaveLength(1));
    // the server keeps serving while the refresh runs
    expect((await fetch(`${h.base}/health`)).status).toBe(200);
    order.push("refreshed");
    finish();
    expect((await answered).status).toBe(204);
    expect(order).toEqual(["refreshed", "answered"]);
  });

  it("serves /discovery as JSON, gzip when accepted, and 503 before the first discovery", async () => {
    const h = await start("promregator: {discovery: {hostname: prom.example, port: 443}}");
    const res = await fetch(`${h.base}/discovery`);
    expect(res.headers.get("content-type")).toBe("application/json");
    const doc = (await res.json()) as { targets: string[]; labels: Record<string, string> }[];
    expect(doc.map((g) => g.labels.__metrics_path__)).toEqual([
      `/singleTargetMetrics/${GUID}/0`,
      `/singleTargetMetrics/${GUID}/1`,
      "/promregatorMetrics",
    ]);
    expect(doc[0].targets).toEqual(["prom.example:443"]);
    expect(doc[0].labels.__scheme__).toBe("https");

    h.discovery.snapshot = snapshotOf(Array.from({ length: 40 }, (_, i) => instance(i)));
    const getRaw = (acceptEncoding: string) =>
      new Promise<{ encoding?: string; length?: string; body: Buffer }>((resolve, reject) => {
        import("node:http").then(({ get }) =>
          get(`${h.base}/discovery`, { headers: { "accept-encoding": acceptEncoding } }, (r) => {
            const chunks: Buffer[] = [];
            r.on("data", (c: Buffer) => chunks.push(c));
            r.on("end", () =>
              resolve({
                encoding: r.headers["content-encoding"],
                length: r.headers["content-length"],
                body: Buffer.concat(chunks),
              }),
            );
          }).on("error", reject),
        );
      });
    const raw = await getRaw("gzip");
    expect(raw.encoding).toBe("gzip");
    const inflated = gunzipSync(raw.body);
    expect(JSON.parse(inflated.toString("utf8"))).toHaveLength(41);
    // Prometheus' http_sd asks without Accept-Encoding: the same bytes, uncompressed, with their length.
    const identity = await getRaw("identity");
    expect(identity.encoding).toBeUndefined();
    expect(identity.length).toBe(String(inflated.length));
    expect(identity.body.equals(inflated)).toBe(true);

    h.discovery.snapshot = undefined;
    expect((await fetch(`${h.base}/discovery`)).status).toBe(503);
    expect((await fetch(`${h.base}/ready`)).status).toBe(503);
  });

  it("renders /discovery once per snapshot and origin, not per request", async () => {
    const h = await start("promregator: {discovery: {hostname: prom.example, port: 9000}}");
    const first = await (await fetch(`${h.base}/discovery`)).text();
    // Snapshots are immutable; changing one behind the handler's back shows it answers from its memo.
    (h.discovery.snapshot!.instances as DiscoveredInstance[]).push(instance(5));
    expect(await (await fetch(`${h.base}/discovery`)).text()).toBe(first);
    h.discovery.snapshot = snapshotOf([instance(0), instance(1), instance(5)]);
    expect(JSON.parse(await (await fetch(`${h.base}/discovery`)).text())).toHaveLength(4);
  });

  it("takes the discovery target from the Host header when not configured", async () => {
    const h = await start("promregator: {}");
    const res = await fetch(`${h.base}/discovery`, { headers: { "x-forwarded-proto": "https" } });
    const doc = (await res.json()) as { targets: string[]; labels: Record<string, string> }[];
    expect(doc[0].targets).toEqual([new URL(h.base).host]);
    expect(doc[0].labels.__scheme__).toBe("https");
  });

  it("sends /status to the status page, relative to the path it was asked at", async () => {
    const h = await start("promregator: {}");
    const res = await fetch(`${h.base}/status`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("./");
    expect(new URL(res.headers.get("location")!, `${h.base}/status`).href).toBe(`${h.base}/`);
  });

  it("refuses with 400 a path that URL resolution would lead to another endpoint, and routes absolute-form targets", async () => {
    const h = await start("promregator: {}");
    const port = Number(new URL(h.base).port);
    const statusOf = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () =>
          socket.write(`GET ${target} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`),
        );
        let got = "";
        socket.on("data", (d) => {
          got += d.toString("latin1");
        });
        socket.on("end", () => resolve(got.slice(9, 12)));
        socket.on("error", reject);
      });
    for (const target of [
      "//discovery",
      "//singleTargetMetrics/x/0",
      "/static/../discovery",
      "/static/%2e%2e/discovery",
      "/x/%2E./cache/invalidate?org=true",
      "/singleTargetMetrics/a\\..\\..\\discovery",
      "/discovery%2fx",
      "/discovery/.",
    ]) {
      expect(await statusOf(target), target).toBe("400");
    }
    expect(await statusOf("/discovery?x=/../a")).toBe("200");
    expect(await statusOf("http://promregator.example/discovery")).toBe("200");
    expect(await statusOf("http://promregator.example//discovery")).toBe("400");
    // No fragment in a request target (RFC 9112 3.2); no absolute form without a host.
    expect(await statusOf("/discovery#frag")).toBe("400");
    expect(await statusOf("/cache/invalidate#/../../health")).toBe("400");
    expect(await statusOf("http:///discovery")).toBe("400");
  });

  it("answers 404 for unknown paths and 405 for unsupported methods", async () => {
    const h = await start("promregator: {}");
    expect((await fetch(`${h.base}/metrics`)).status).toBe(404);
    const res = await fetch(`${h.base}/discovery`, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});
