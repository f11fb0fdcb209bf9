import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { CfApiError, UaaError } from "../../src/cf/index.js";
import { capturingLogger, failure, fakeTime, json, page, type SeenRequest, useFakeCf } from "./fake-cf.js";

/**
 * Error pages that echo the request (load balancers, proxies in front of CC and UAA) carry the secrets the
 * request carried, in the encoding it carried them: an opaque access token (UAA's `token_format=opaque`) in
 * no recognisable shape, a password form-encoded, a client secret inside HTTP Basic's base64. Whatever the
 * page calls them, the error message and the log must not show them.
 */
const cf = useFakeCf({ lazy: true });

const OPAQUE = ["5f2e1b0c4a7d4b8e9f6a3c2d1e0f9a8b", "0a9b8c7d6e5f40312a3b4c5d6e7f8091"];
const REFRESH = ["9e8d7c6b5a4f4e3d2c1b0a9f8e7d6c5b-r", "1b2c3d4e5f6a4b7c8d9e0f1a2b3c4d5e-r"];

function page502(res: ServerResponse, echo: string): void {
  res.writeHead(502, { "content-type": "text/html" });
  res.end(`<html><body><h1>502 Bad Gateway</h1><p>request headers: ${echo}</p></body></html>`);
}

const tokenOf = (req: SeenRequest) => /^bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";

/** A fake CF whose UAA issues opaque tokens, the n-th login or refresh getting OPAQUE[n] and REFRESH[n]. */
async function opaqueCf(tokenLifetime = 1200) {
  const fake = await cf.start({ tokenLifetime });
  let issued = 0;
  fake.on("POST /oauth/token", (_req, res, f) => {
    const i = issued++;
    f.validTokens.add(OPAQUE[i]!);
    json(res, 200, {
      access_token: OPAQUE[i],
      refresh_token: REFRESH[i],
      token_type: "bearer",
      expires_in: tokenLifetime,
    });
  });
  fake.on("GET /v3/organizations", (_req, res) => json(res, 200, page([])));
  return fake;
}

describe("secrets echoed by foreign error pages", () => {
  it("a 502 page echoing an opaque access token shows neither in the error nor in the log", async () => {
    const fake = await opaqueCf();
    fake.on("GET /v3/spaces", (req, res) => {
      const token = tokenOf(req);
      page502(res, `X-Auth: ${token} ; token ${token}`);
    });
    const log = capturingLogger();
    const err = await failure(cf.client({}, { logger: log.logger }).listSpaces());
    expect(err).toBeInstanceOf(CfApiError);
    expect(err.message).toMatch(
      /^GET \/v3\/spaces failed with status 502: non-JSON body ".*X-Auth: \[redacted\]/,
    );
    expect(err.message).not.toContain(OPAQUE[0]);
    expect(log.text()).toContain("failed with status 502");
    expect(log.text()).not.toContain(OPAQUE[0]);
  });

  it("the previous access token and both refresh tokens stay secret after a renewal", async () => {
    const fake = await opaqueCf(100);
    const time = fakeTime();
    const log = capturingLogger();
    const client = cf.client({}, { time, logger: log.logger });
    await client.listOrganizations();
    // past the renewal margin: the next request renews with the refresh token
    time.advance(200_000);
    await client.listOrganizations();
    expect(fake.requestsTo("/v3/organizations").map(tokenOf)).toEqual(OPAQUE);
    // a cache of the load balancer answers with a page of the earlier request
    fake.on("GET /v3/spaces", (_req, res) =>
      page502(res, `old ${OPAQUE[0]} / ${REFRESH[0]}; new ${OPAQUE[1]} / ${encodeURIComponent(REFRESH[1]!)}`),
    );
    const err = await failure(client.listSpaces());
    for (const secret of [...OPAQUE, ...REFRESH]) {
      expect(err.message).not.toContain(secret);
      expect(log.text()).not.toContain(secret);
    }
  });

  it("a proxy in front of UAA echoing the form-encoded password", async () => {
    const password = "S3cr3t-Pa55w0rd!";
    const fake = await cf.start();
    fake.on("POST /oauth/token", (req, res) => {
      const echoed = /password=([^&]*)/.exec(req.body)?.[1];
      expect(echoed).toBe("S3cr3t-Pa55w0rd%21");
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`upstream rejected credential ${echoed}`);
    });
    const log = capturingLogger();
    const err = await failure(cf.client({ password }, { logger: log.logger }).listOrganizations());
    expect(err).toBeInstanceOf(UaaError);
    expect(err.message).toContain("upstream rejected credential [redacted]");
    for (const leak of ["S3cr3t-Pa55w0rd", "Pa55w0rd"]) {
      expect(err.message).not.toContain(leak);
      expect(log.text()).not.toContain(leak);
    }
  });

  it.each([
    ["client_secret_basic", (req: SeenRequest) => `credentials ${req.headers.authorization?.split(" ")[1]}`],
    ["client_secret_post", (req: SeenRequest) => `secret ${/client_secret=([^&]*)/.exec(req.body)?.[1]}`],
  ] as const)("a client secret echoed as sent with %s", async (method, echo) => {
    const secret = "a+b c%d:e!";
    const fake = await cf.start();
    const sent: string[] = [];
    fake.on("POST /oauth/token", (req, res) => {
      sent.push(echo(req));
      res.writeHead(401, { "content-type": "text/html" });
      res.end(`<p>refused: ${echo(req)}</p>`);
    });
    const log = capturingLogger();
    const client = cf.client(
      {
        username: undefined,
        password: undefined,
        client_id: "promregator",
        client_secret: secret,
        token_endpoint_auth_method: method,
      },
      { logger: log.logger },
    );
    const err = await failure(client.listOrganizations());
    expect(err.message).toMatch(/refused: (credentials|secret) \[redacted\]<\/p>/);
    const [shown] = sent;
    // what travelled: the base64 of "promregator:a%2Bb+c%25d%3Ae%21", or the form-encoded secret
    const basic = Buffer.from("promregator:a%2Bb+c%25d%3Ae%21").toString("base64");
    expect(shown).toBe(
      method === "client_secret_basic" ? `credentials ${basic}` : "secret a%2Bb+c%25d%3Ae%21",
    );
    const value = shown!.split(" ")[1]!;
    expect(err.message).not.toContain(value);
    expect(log.text()).not.toContain(value);
  });
});
