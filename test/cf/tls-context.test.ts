import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { generate } from "selfsigned";
import type { Dispatcher } from "undici";
import { request } from "undici";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createDispatcher } from "../../src/cf/http.js";
import { testConfig } from "./fake-cf.js";

let server: Server | undefined;
let dispatcher: Dispatcher | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  await dispatcher?.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  dispatcher = undefined;
});

describe("CC connection pool with an extra CA", () => {
  it("builds the TLS context with the extra CA once, not again for each new connection", async () => {
    const pems = await generate([{ name: "commonName", value: "127.0.0.1" }], {
      keySize: 2048,
      algorithm: "sha256",
      extensions: [
        { name: "basicConstraints", cA: true },
        { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
      ],
    });
    let connections = 0;
    server = createServer({ cert: pems.cert, key: pems.private }, (_req, res) => {
      // every answer ends its connection: each request needs a new TLS connection
      res.writeHead(200, { "content-type": "application/json", connection: "close" });
      res.end("{}");
    });
    server.on("secureConnection", () => connections++);
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    dispatcher = createDispatcher(testConfig(`https://127.0.0.1:${port}`), pems.cert);
    const contexts = vi.spyOn(tls, "createSecureContext"); // what tls.connect calls without a secureContext
    for (let i = 0; i < 3; i++) {
      const res = await request(`https://127.0.0.1:${port}/v3/info`, { dispatcher });
      expect(await res.body.text()).toBe("{}");
    }

    expect(connections).toBe(3);
    expect(contexts).not.toHaveBeenCalled();
  });

  it("still refuses a server whose certificate the extra CA did not sign", async () => {
    const selfSigned = () =>
      generate([{ name: "commonName", value: "127.0.0.1" }], {
        keySize: 2048,
        algorithm: "sha256",
        extensions: [
          { name: "basicConstraints", cA: true },
          { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
        ],
      });
    const serverPems = await selfSigned();
    const otherCa = await selfSigned();
    let answered = 0;
    server = createServer({ cert: serverPems.cert, key: serverPems.private }, (_req, res) => {
      answered++;
      res.end("{}");
    });
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    dispatcher = createDispatcher(testConfig(`https://127.0.0.1:${port}`), otherCa.cert);

    await expect(request(`https://127.0.0.1:${port}/v3/info`, { dispatcher })).rejects.toMatchObject({
      code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/),
    });
    expect(answered).toBe(0);
  });
});
