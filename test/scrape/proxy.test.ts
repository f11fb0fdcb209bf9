import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { generate } from "selfsigned";
import { afterEach, describe, expect, it } from "vitest";
import { closedPort, get, instanceFor, OM, serve, startProxy, startServer, testConfig } from "./helpers.js";

let proxyServer: http.Server | undefined;
/** Tunnelled sockets leave the HTTP server's bookkeeping, so they are ended here. */
const tunnelSockets = new Set<net.Socket>();

afterEach(async () => {
  const server = proxyServer;
  proxyServer = undefined;
  for (const socket of tunnelSockets) socket.destroy();
  tunnelSockets.clear();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

interface HttpProxy {
  port: number;
  /** Authorities of CONNECT requests. */
  tunnels: string[];
  /** Absolute-form request targets of plain requests, with their Host header. */
  forwarded: { url: string; host: string | undefined }[];
  /** Client connections accepted. */
  connections: number;
}

/** A minimal HTTP proxy: forwards absolute-form requests and tunnels CONNECT requests, recording both. */
async function startHttpProxy(): Promise<HttpProxy> {
  const tunnels: string[] = [];
  const forwarded: HttpProxy["forwarded"] = [];
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith("http://")) {
      res.writeHead(405);
      res.end();
      return;
    }
    forwarded.push({ url: req.url, host: req.headers.host });
    const upstream = http.request(req.url, { headers: req.headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    upstream.end();
  });
  const proxy: HttpProxy = { port: 0, tunnels, forwarded, connections: 0 };
  server.on("connection", () => proxy.connections++);
  server.on("connect", (req: http.IncomingMessage, client: net.Socket) => {
    tunnels.push(String(req.url));
    const [host, port] = String(req.url).split(":");
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.pipe(client);
      client.pipe(upstream);
    });
    tunnelSockets.add(upstream);
    tunnelSockets.add(client);
    const end = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on("error", end);
    client.on("error", end);
    client.on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxyServer = server;
  proxy.port = (server.address() as AddressInfo).port;
  return proxy;
}

describe("promregator.scraping.proxy", () => {
  it("sends plain-HTTP scrapes of every route in absolute form over the proxy's shared connections", async () => {
    const routes = await Promise.all(
      [1, 2, 3].map(() => startServer(serve("# TYPE a gauge\na 1\n# EOF\n", OM))),
    );
    const httpProxy = await startHttpProxy();
    const config = testConfig({ proxy: { host: "127.0.0.1", port: httpProxy.port } });
    const proxy = await startProxy(
      (req) => instanceFor(`${routes[Number(req.url?.slice(1))].url}/metrics?x=1`),
      {
        config,
      },
    );
    for (const round of [1, 2]) {
      for (const i of [0, 1, 2]) expect((await get(`${proxy.url}/${i}`)).status, `round ${round}`).toBe(200);
    }
    expect(httpProxy.tunnels).toEqual([]);
    expect(httpProxy.forwarded.slice(0, 3)).toEqual(
      routes.map((r) => ({ url: `${r.url}/metrics?x=1`, host: `127.0.0.1:${r.port}` })),
    );
    // Six scrapes of three routes, one after the other: one kept-alive connection to the proxy.
    expect(httpProxy.connections).toBe(1);
    expect(routes[0].requests[0]["x-cf-app-instance"]).toBe("6c1d3e2a-0b1f-4c55-8d6e-7f8a9b0c1d2e:1");
  });

  it("tunnels HTTPS scrapes through the proxy with CONNECT", async () => {
    const pems = await generate([{ name: "commonName", value: "route" }], {
      keyType: "ec",
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    const target = await startServer(serve("# TYPE a gauge\na 1\n# EOF\n", OM), {
      key: pems.private,
      cert: pems.cert,
    });
    const httpProxy = await startHttpProxy();
    const config = testConfig({ proxy: { host: "127.0.0.1", port: httpProxy.port } });
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`), {
      config,
      dispatcherOptions: { ca: pems.cert },
    });
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    expect(httpProxy.tunnels).toEqual([`127.0.0.1:${target.port}`]);
    expect(httpProxy.forwarded).toEqual([]);
  });

  it("names the proxy, not the target, when the proxy refuses the connection", async () => {
    const target = await startServer(serve("# TYPE a gauge\na 1\n# EOF\n", OM));
    const port = await closedPort();
    const config = testConfig({ proxy: { host: "127.0.0.1", port } });
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`), { config });
    await get(`${proxy.url}/x`);
    expect(proxy.outcomes).toMatchObject([{ ok: false }]);
    expect(proxy.outcomes[0].reason).toBe(
      `connection to scraping proxy 127.0.0.1:${port} (for target 127.0.0.1:${target.port}) refused`,
    );
    expect(target.requests).toHaveLength(0);
  });

  it("connects directly when the proxy port is 0", async () => {
    const target = await startServer(serve("# TYPE a gauge\na 1\n# EOF\n", OM));
    const httpProxy = await startHttpProxy();
    const config = testConfig({ proxy: { host: "127.0.0.1", port: 0 } });
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`), { config });
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    expect(httpProxy.tunnels).toHaveLength(0);
  });
});

describe("a foundation's own scraping.proxy", () => {
  it("sends the scrapes of that foundation's instances through it, and the others' as before", async () => {
    const route = await startServer(serve("# TYPE a gauge\na 1\n# EOF\n", OM));
    const httpProxy = await startHttpProxy();
    const base = testConfig();
    const config = {
      ...base,
      foundations: [
        base.foundations[0],
        {
          name: "us",
          cf: base.cf,
          scrapingProxy: { host: "127.0.0.1", port: httpProxy.port },
          defaultInternalRoutePort: 8080,
        },
      ],
    };
    const proxy = await startProxy(
      (req) => instanceFor(`${route.url}/metrics`, { foundation: req.url === "/us" ? "us" : "default" }),
      { config },
    );
    expect((await get(`${proxy.url}/default`)).status).toBe(200);
    expect(httpProxy.forwarded).toEqual([]);
    expect((await get(`${proxy.url}/us`)).status).toBe(200);
    expect(httpProxy.forwarded).toEqual([{ url: `${route.url}/metrics`, host: `127.0.0.1:${route.port}` }]);
    expect(route.requests).toHaveLength(2);
  });

  it("names that proxy and its foundation when it refuses the connection", async () => {
    const route = await startServer(serve("# TYPE a gauge\na 1\n# EOF\n", OM));
    const port = await closedPort();
    const base = testConfig();
    const config = {
      ...base,
      foundations: [
        base.foundations[0],
        {
          name: "us",
          cf: base.cf,
          scrapingProxy: { host: "127.0.0.1", port },
          defaultInternalRoutePort: 8080,
        },
      ],
    };
    const proxy = await startProxy(
      (req) => instanceFor(`${route.url}/metrics`, { foundation: req.url === "/us" ? "us" : "default" }),
      { config },
    );
    expect((await get(`${proxy.url}/default`)).status).toBe(200);
    await get(`${proxy.url}/us`);
    expect(proxy.outcomes.map((o) => o.reason)).toEqual([
      undefined,
      `connection to scraping proxy 127.0.0.1:${port} of foundation us (for target 127.0.0.1:${route.port}) refused`,
    ]);
  });
});
