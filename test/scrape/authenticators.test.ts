import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import type { AuthenticatorConfig } from "../../src/config/types.js";
import {
  basicAuthenticator,
  get,
  instanceFor,
  OM,
  sleep,
  startProxy,
  startServer,
  type TestServer,
  testConfig,
} from "./helpers.js";

const BODY = "# TYPE a gauge\na 1\n# EOF\n";
const SECRET = "s3cr3t-client-secret";

/** A target that answers 200 only to an accepted Authorization header, 401 otherwise. */
async function protectedTarget(accepts: (authorization: string | undefined) => boolean): Promise<TestServer> {
  return startServer((req, res) => {
    if (!accepts(req.headers.authorization)) {
      res.writeHead(401);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": OM });
    res.end(BODY);
  });
}

/** A token service issuing tok-1, tok-2, ... with the given lifetime. */
async function tokenService(options: { expiresIn?: number; delayMs?: number } = {}) {
  let issued = 0;
  const server = await startServer(async (_req: IncomingMessage, res: ServerResponse) => {
    if (options.delayMs) await sleep(options.delayMs);
    issued++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        access_token: `tok-${issued}`,
        token_type: "bearer",
        expires_in: options.expiresIn ?? 3600,
      }),
    );
  });
  return { ...server, issued: () => issued, tokenUrl: `${server.url}/oauth/token` };
}

function xsuaaBasic(tokenUrl: string, scopes?: string, id = "xsuaa"): AuthenticatorConfig {
  return {
    id,
    type: "OAuth2XSUAABasic",
    oauth2xsuaaBasic: { tokenServiceURL: tokenUrl, client_id: "my-client", client_secret: SECRET, scopes },
  };
}

describe("basic authenticator and selection", () => {
  it("sends Basic base64(user:password) from the global authenticator", async () => {
    const target = await protectedTarget((a) => a === "Basic ZHVtbXl1c2VyOnVuaXR0ZXN0cGFzc3dvcmQ=");
    const config = testConfig(
      {},
      { authenticator: { type: "basic", basic: { username: "dummyuser", password: "unittestpassword" } } },
    );
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`), { config });
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
  });

  it("prefers the target's authenticatorId, falls back to the global one for unknown ids", async () => {
    const target = await protectedTarget(() => true);
    const config = testConfig(
      {},
      {
        authenticator: { type: "basic", basic: { username: "global", password: "g" } },
        targetAuthenticators: [basicAuthenticator("team", "team", "t")],
      },
    );
    const byTarget = await startProxy(instanceFor(`${target.url}/m`, { authenticatorId: "team" }), {
      config,
    });
    await get(`${byTarget.url}/x`);
    const unknown = await startProxy(instanceFor(`${target.url}/m`, { authenticatorId: "nope" }), { config });
    await get(`${unknown.url}/x`);
    const decode = (h: string | undefined) =>
      Buffer.from(String(h).replace("Basic ", ""), "base64").toString();
    expect(target.requests.map((r) => decode(r.authorization))).toEqual(["team:t", "global:g"]);
  });

  it("fails clearly for a basic authenticator without a username instead of sending null:null", async () => {
    const target = await protectedTarget(() => true);
    const config = testConfig({}, { authenticator: { type: "basic", basic: {} } });
    const proxy = await startProxy(instanceFor(`${target.url}/m`), { config });
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain("has no basic.username");
    expect(target.requests).toHaveLength(0);
  });
});

describe("OAuth2XSUAABasic", () => {
  it("fetches one token with the client-credentials form and reuses it across scrapes", async () => {
    const tokens = await tokenService();
    const target = await protectedTarget((a) => a === "Bearer tok-1");
    const config = testConfig({}, { authenticator: xsuaaBasic(tokens.tokenUrl, "a, b  , c,d, e") });
    const proxy = await startProxy(instanceFor(`${target.url}/m`), { config });
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    expect(tokens.issued()).toBe(1);
    const form = new URLSearchParams(tokens.bodies[0]);
    // the secret goes as HTTP Basic first (RFC 6749 §2.3.1), which this token service accepts
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "client_credentials",
      client_id: "my-client",
      scope: "a b c d e",
    });
    expect(tokens.requests[0].authorization).toBe(
      `Basic ${Buffer.from(`my-client:${SECRET}`).toString("base64")}`,
    );
    expect(tokens.requests[0]["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(proxy.rawLogs()).not.toContain(SECRET);
    expect(proxy.rawLogs()).not.toContain("tok-1");
  });

  it("omits scope when no scopes are configured", async () => {
    const tokens = await tokenService();
    const target = await protectedTarget(() => true);
    const config = testConfig({}, { authenticator: xsuaaBasic(tokens.tokenUrl, " , ") });
    const proxy = await startProxy(instanceFor(`${target.url}/m`), { config });
    await get(`${proxy.url}/x`);
    expect(new URLSearchParams(tokens.bodies[0]).has("scope")).toBe(false);
  });

  it("renews the token 30 s before it expires", async () => {
    const tokens = await tokenService({ expiresIn: 300 });
    const target = await protectedTarget((a) => a?.startsWith("Bearer tok-") ?? false);
    let now = 1_000_000;
    const config = testConfig({}, { authenticator: xsuaaBasic(tokens.tokenUrl) });
    const proxy = await startProxy(instanceFor(`${target.url}/m`), { config, clock: () => now });
    await get(`${proxy.url}/x`);
    now += 269_000;
    await get(`${proxy.url}/x`);
    expect(tokens.issued()).toBe(1);
    now += 2_000; // 271 s after issue: inside the 30 s margin
    await get(`${proxy.url}/x`);
    expect(tokens.issued()).toBe(2);
    expect(target.requests.map((r) => r.authorization)).toEqual([
      "Bearer tok-1",
      "Bearer tok-1",
      "Bearer tok-2",
    ]);
  });

  it("fetches a new token and retries once when the target answers 401", async () => {
    const tokens = await tokenService();
    let accepted = "Bearer tok-1";
    const target = await protectedTarget((a) => a === accepted);
    const config = testConfig({}, { authenticator: xsuaaBasic(tokens.tokenUrl) });
    const proxy = await startProxy(instanceFor(`${target.url}/m`), { config });
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    accepted = "Bearer tok-2"; // the old token was revoked
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    expect(tokens.issued()).toBe(2);
    expect(target.requests.map((r) => r.authorization)).toEqual([
      "Bearer tok-1",
      "Bearer tok-1",
      "Bearer tok-2",
    ]);
  });

  it("fails after one retry when the target keeps answering 401", async () => {
    const tokens = await tokenService();
    const target = await protectedTarget(() => false);
    const config = testConfig({}, { authenticator: xsuaaBasic(tokens.tokenUrl) });
    const proxy = await startProxy(instanceFor(`${target.url}/m`), { config });
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain("401 Unauthorized");
    expect(target.requests).toHaveLength(2);
  });

  it("has one token request in flight for many concurrent scrapes", async () => {
    const tokens = await tokenService({ delayMs: 100 });
    const target = await protectedTarget((a) => a === "Bearer tok-1");
    const config = testConfig({}, { authenticator: xsuaaBasic(tokens.tokenUrl) });
    const proxy = await startProxy(instanceFor(`${target.url}/m`), { config });
    const answers = await Promise.all(Array.from({ length: 5 }, () => get(`${proxy.url}/x`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(tokens.issued()).toBe(1);
  });

  it("fails the scrape with a clear reason when no token can be had, without an unauthenticated request", async () => {
    const tokenServer = await startServer((_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "unauthorized", error_description: "Bad credentials" }));
    });
    const target = await protectedTarget(() => true);
    const config = testConfig(
      {},
      { targetAuthenticators: [xsuaaBasic(`${tokenServer.url}/oauth/token?x=${SECRET}`)] },
    );
    const proxy = await startProxy(instanceFor(`${target.url}/m`, { authenticatorId: "xsuaa" }), { config });
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain(
      `no token for authenticator OAuth2XSUAABasic "xsuaa": token service ${tokenServer.url}/oauth/token answered 401 Unauthorized (unauthorized)`,
    );
    expect(target.requests).toHaveLength(0);
    expect(proxy.rawLogs()).not.toContain(SECRET);
    expect(answer.body).not.toContain(SECRET);
  });

  it("bounds a hanging token request by the scrape budget", async () => {
    const tokenServer = await startServer(() => {});
    const target = await protectedTarget(() => true);
    const config = testConfig(
      { maxProcessingTime: 300 },
      { authenticator: xsuaaBasic(`${tokenServer.url}/t`) },
    );
    const proxy = await startProxy(instanceFor(`${target.url}/m`), { config });
    const started = performance.now();
    const answer = await get(`${proxy.url}/x`);
    expect(performance.now() - started).toBeLessThan(900);
    expect(answer.status).toBe(504);
    expect(target.requests).toHaveLength(0);
  });
});
