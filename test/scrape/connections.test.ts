import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
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
