import { createServer, type Server } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CfApiError } from "../../src/cf/index.js";
import { type FakeCf, serveOrgs, useFakeCf } from "./fake-cf.js";

let pems: { cert: string; key: string };
const cf = useFakeCf({ lazy: true });

beforeAll(async () => {
  const result = await generate([{ name: "commonName", value: "127.0.0.1" }], {
    keySize: 2048,
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
    ],
  });
  pems = { cert: result.cert, key: result.private };
});

async function tlsFake(): Promise<FakeCf> {
  const f = await cf.start({ tls: pems });
  serveOrgs(f);
  return f;
}

describe("TLS", () => {
  it("refuses a self-signed certificate by default", async () => {
    const fake = await tlsFake();
    const client = cf.client();
    const err = await client.listOrganizations().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CfApiError);
    expect(err).toMatchObject({ kind: "network", path: "/" });
    expect((err as Error).message).toMatch(/self[- ]signed/i);
    expect(fake.requests).toHaveLength(0);
  });

  it("trusts the certificate given as extra CA", async () => {
    await tlsFake();
    const client = cf.client({}, { ca: pems.cert });
    expect(await client.listOrganizations()).toEqual([{ guid: "o1", name: "o1" }]);
  });

  it("accepts any certificate with skipSslValidation", async () => {
    await tlsFake();
    const client = cf.client({ skipSslValidation: true });
    expect(await client.listOrganizations()).toHaveLength(1);
  });
});

describe("proxy", () => {
  let proxy: Server;
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    // A minimal forward proxy that only tunnels (CONNECT), which is what undici's ProxyAgent uses.
    proxy = createServer((_req, res) => {
      res.writeHead(405);
      res.end();
    });
    proxy.on("connect", (req, clientSocket: Socket, head: Buffer) => {
      tunnels.push(req.url ?? "");
      const [host, port] = (req.url ?? "").split(":");
      const upstream = connect(Number(port), host!, () => {
        clientSocket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(clientSocket);
        clientSocket.pipe(upstream);
      });
      for (const s of [upstream, clientSocket]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => {
          upstream.destroy();
          clientSocket.destroy();
        });
      }
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  it("sends CC and UAA traffic through cf.proxy", async () => {
    const fake = await tlsFake();
    tunnels.length = 0;
    const { port } = proxy.address() as AddressInfo;
    const client = cf.client({ proxy: { host: "127.0.0.1", port } }, { ca: pems.cert });
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(tunnels.length).toBeGreaterThan(0);
    expect(new Set(tunnels)).toEqual(new Set([new URL(fake.url).host]));
    expect(fake.requestsTo("/oauth/token", "POST")).toHaveLength(1);
  });

  it("fails clearly when the proxy is not reachable", async () => {
    const fake = await tlsFake();
    const client = cf.client({ proxy: { host: "127.0.0.1", port: 1 } }, { ca: pems.cert });
    const err = await client.listOrganizations().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "network" });
    expect((err as Error).message).toContain("through proxy 127.0.0.1:1");
    expect(fake.requests).toHaveLength(0);
  });
});
