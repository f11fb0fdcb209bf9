import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { get, instanceFor, OM, serve, startProxy, startServer, testConfig } from "./helpers.js";

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

/** A minimal HTTP proxy that tunnels CONNECT requests and records their authorities. */
async function startHttpProxy(): Promise<{ port: number; tunnels: string[] }> {
  const tunnels: string[] = [];
  const server = http.createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
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
  return { port: (server.address() as AddressInfo).port, tunnels };
}

describe("promregator.scraping.proxy", () => {
  it("sends every scrape through the configured HTTP proxy", async () => {
    const target = await startServer(serve("# TYPE a gauge\na 1\n# EOF\n", OM));
    const httpProxy = await startHttpProxy();
    const config = testConfig({ proxy: { host: "127.0.0.1", port: httpProxy.port } });
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`), { config });
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(200);
    expect(httpProxy.tunnels).toEqual([`127.0.0.1:${target.port}`]);
    expect(target.requests[0]["x-cf-app-instance"]).toBe("6c1d3e2a-0b1f-4c55-8d6e-7f8a9b0c1d2e:1");
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
