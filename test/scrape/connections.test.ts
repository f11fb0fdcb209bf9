import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Dispatcher } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createScrapeDispatcher } from "../../src/scrape/dispatcher.js";
import { get, instanceFor, startProxy, testConfig } from "./helpers.js";

let target: http.Server | undefined;
afterEach(async () => {
  target?.closeAllConnections();
  await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
  target = undefined;
});

describe("connection policy", () => {
  it("caps the sockets to one route, however many scrapes of it run at once", async () => {
    let connections = 0;
    target = http.createServer((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end("a 1\n");
      }, 50);
    });
    target.on("connection", () => connections++);
    await new Promise<void>((resolve) => target!.listen(0, "127.0.0.1", resolve));
    const port = (target.address() as AddressInfo).port;
    // The cap per route is maxConcurrent when that is lower than MAX_CONNECTIONS_PER_ORIGIN.
    const proxy = await startProxy(instanceFor(`http://127.0.0.1:${port}/metrics`), {
      config: testConfig({ maxConcurrent: 4 }),
    });

    const answers = await Promise.all(Array.from({ length: 12 }, () => get(`${proxy.url}/x`)));
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(connections).toBe(4);
  });
});

describe("plain HTTP without a proxy: one pool per resolved address", () => {
  /** A target that counts its connections and records the Host header of every request. */
  async function countingTarget() {
    const seen = { connections: 0, hosts: [] as string[] };
    target = http.createServer((req, res) => {
      seen.hosts.push(String(req.headers.host));
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end("a 1\n");
    });
    target.on("connection", () => seen.connections++);
    await new Promise<void>((resolve) => target!.listen(0, "127.0.0.1", resolve));
    return { seen, port: (target.address() as AddressInfo).port };
  }

  async function getVia(dispatcher: Dispatcher, url: string): Promise<number> {
    const { origin, pathname } = new URL(url);
    const res = await dispatcher.request({ origin, path: pathname, method: "GET" });
    await res.body.dump();
    return res.statusCode;
  }

  it("sends the scrapes of routes that resolve to one address over one connection, each with its Host", async () => {
    const { seen, port } = await countingTarget();
    const lookups: string[] = [];
    const dispatcher = createScrapeDispatcher(testConfig().promregator.scraping, {
      lookup: async (name) => {
        lookups.push(name);
        return [{ address: "127.0.0.1", family: 4 }];
      },
    });
    try {
      for (const route of ["app-a.apps.example.test", "app-b.apps.example.test", "app-a.apps.example.test"]) {
        expect(await getVia(dispatcher, `http://${route}:${port}/metrics`)).toBe(200);
        // undici hands the socket back to its pool just after the body ends
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await dispatcher.close();
    }
    expect(seen.connections).toBe(1);
    expect(seen.hosts).toEqual([
      `app-a.apps.example.test:${port}`,
      `app-b.apps.example.test:${port}`,
      `app-a.apps.example.test:${port}`,
    ]);
    expect(lookups).toEqual(["app-a.apps.example.test", "app-b.apps.example.test"]); // cached afterwards
  });

  it("leaves a name with addresses of both families, or none, to Node's own connect and its errors", async () => {
    const { seen, port } = await countingTarget();
    for (const lookup of [
      async () => [
        { address: "127.0.0.1", family: 4 },
        { address: "::1", family: 6 },
      ],
      async () => {
        throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
      },
    ]) {
      const dispatcher = createScrapeDispatcher(testConfig().promregator.scraping, { lookup });
      try {
        // The name does not exist for the system resolver: the per-route pool fails as it always did.
        await expect(
          getVia(dispatcher, `http://no-such-route.invalid:${port}/metrics`),
        ).rejects.toMatchObject({
          code: expect.stringMatching(/^(ENOTFOUND|EAI_AGAIN)$/),
        });
      } finally {
        await dispatcher.close();
      }
    }
    expect(seen.connections).toBe(0);
  });
});
