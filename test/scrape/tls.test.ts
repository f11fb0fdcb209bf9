import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { generate } from "selfsigned";
import { beforeAll, describe, expect, it } from "vitest";
import type { AuthenticatorConfig } from "../../src/config/types.js";
import { get, instanceFor, OM, serve, startProxy, startServer, testConfig } from "./helpers.js";

const BODY = "# TYPE a gauge\na 1\n# EOF\n";

type Pems = Awaited<ReturnType<typeof generate>>;

/** A CA-capable self-signed server certificate for 127.0.0.1, plus a client certificate it signed. */
function makePems(cn: string): Promise<Pems> {
  return generate([{ name: "commonName", value: cn }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, keyEncipherment: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
    ],
    clientCertificate: { cn: `${cn}-client` },
  });
}

let trusted: Pems;
let stranger: Pems;

beforeAll(async () => {
  [trusted, stranger] = await Promise.all([makePems("test-ca"), makePems("other-ca")]);
});

function certificateAuthenticator(tokenUrl: string, pems: Pems, overrides = {}): AuthenticatorConfig {
  return {
    type: "OAuth2XSUAACertificate",
    oauth2xsuaaCertificate: {
      tokenServiceCertURL: tokenUrl,
      client_id: "cert-client",
      client_certificates: pems.clientcert ?? "",
      client_key: pems.clientprivate ?? "",
      scopes: "x,y",
      ...overrides,
    },
  };
}

/** Token service requiring a client certificate signed by `trusted`; records the peer's CN. */
async function mtlsTokenService() {
  const peers: string[] = [];
  const server = await startServer(
    (req: IncomingMessage, res) => {
      const socket = req.socket as TLSSocket;
      peers.push(String(socket.getPeerCertificate().subject?.CN));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ access_token: "mtls-token", expires_in: 3600 }));
    },
    {
      key: trusted.private,
      cert: trusted.cert,
      ca: [trusted.cert],
      requestCert: true,
      rejectUnauthorized: true,
    },
  );
  return { ...server, peers };
}

describe("HTTPS targets", () => {
  it("scrapes a target whose certificate is trusted", async () => {
    const target = await startServer(serve(BODY, OM), { key: trusted.private, cert: trusted.cert });
    const proxy = await startProxy(instanceFor(`${target.url}/m`), {
      dispatcherOptions: { ca: [trusted.cert] },
    });
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
  });

  it("fails with the TLS reason when the target's certificate is not trusted", async () => {
    const target = await startServer(serve(BODY, OM), { key: trusted.private, cert: trusted.cert });
    const proxy = await startProxy(instanceFor(`${target.url}/m`));
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/TLS handshake with target 127\.0\.0\.1:\d+ failed: [A-Z_]+/);
  });
});

describe("OAuth2XSUAACertificate", () => {
  it("gets the token over mutual TLS, without a client secret", async () => {
    const tokens = await mtlsTokenService();
    const target = await startServer((req, res) => {
      res.writeHead(req.headers.authorization === "Bearer mtls-token" ? 200 : 401, { "content-type": OM });
      res.end(BODY);
    });
    const config = testConfig(
      {},
      { authenticator: certificateAuthenticator(`${tokens.url}/oauth/token`, trusted) },
    );
    const proxy = await startProxy(instanceFor(`${target.url}/m`), {
      config,
      dispatcherOptions: { ca: [trusted.cert] },
    });
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    expect(tokens.peers).toEqual(["test-ca-client"]);
    expect(Object.fromEntries(new URLSearchParams(tokens.bodies[0]))).toEqual({
      grant_type: "client_credentials",
      client_id: "cert-client",
      scope: "x y",
    });
  });

  it("fails the scrape when the token service refuses the client certificate", async () => {
    const tokens = await mtlsTokenService();
    const target = await startServer(serve(BODY, OM));
    const config = testConfig(
      {},
      { authenticator: certificateAuthenticator(`${tokens.url}/oauth/token`, stranger) },
    );
    const proxy = await startProxy(instanceFor(`${target.url}/m`), {
      config,
      dispatcherOptions: { ca: [trusted.cert] },
    });
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain("no token for authenticator OAuth2XSUAACertificate (global): ");
    expect(target.requests).toHaveLength(0);
  });

  it("reports an unusable key without showing it", async () => {
    const target = await startServer(serve(BODY, OM));
    const badKey = "-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n";
    const config = testConfig(
      {},
      {
        authenticator: certificateAuthenticator("https://127.0.0.1:1/oauth/token", trusted, {
          client_key: badKey,
        }),
      },
    );
    const proxy = await startProxy(instanceFor(`${target.url}/m`), { config });
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain("unusable client_certificates/client_key");
    expect(answer.body).not.toContain("not-a-key");
    expect(proxy.rawLogs()).not.toContain("not-a-key");
  });
});
