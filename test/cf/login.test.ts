import { describe, expect, it } from "vitest";
import { UaaError } from "../../src/cf/index.js";
import { capturingLogger, fakeTime, json, PASSWORD, serveOrgs, USER, useFakeCf } from "./fake-cf.js";

const cf = useFakeCf({ lazy: true });

/** A client on fake time, against a fake CF that serves orgs and issues tokens living `tokenLifetime` s. */
async function onFakeTime(opts: { tokenLifetime: number }) {
  const fake = await cf.start(opts);
  serveOrgs(fake);
  const time = fakeTime();
  return { fake, time, client: cf.client({}, { time }) };
}

describe("login", () => {
  it("uses the password grant at links.login with client cf and sends the bearer token to CC", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    const client = cf.client();
    expect(await client.listOrganizations()).toEqual([{ guid: "o1", name: "o1" }]);

    const [tokenReq] = fake.requestsTo("/oauth/token", "POST");
    expect(tokenReq!.headers.authorization).toBe(`Basic ${Buffer.from("cf:").toString("base64")}`);
    expect(tokenReq!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(tokenReq!.body);
    expect(form.get("grant_type")).toBe("password");
    expect(form.get("username")).toBe(USER);
    expect(form.get("password")).toBe(PASSWORD);
    expect(form.get("client_id")).toBe("cf");
    expect(fake.requestsTo("/v3/organizations")[0]!.headers.authorization).toBe("bearer access-1");
  });

  it("finds UAA through GET /v2/info when the root document names no login server", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    fake.on("GET /", (_req, res, f) =>
      json(res, 200, {
        links: { cloud_controller_v3: { href: `${f.url}/v3`, meta: { version: "3.100.0" } } },
      }),
    );
    fake.on("GET /v2/info", (_req, res, f) =>
      json(res, 200, { authorization_endpoint: `${f.url}/login-here` }),
    );
    fake.on("POST /login-here/oauth/token", (_req, res, f) => {
      f.validTokens.add("from-v2");
      json(res, 200, { access_token: "from-v2", token_type: "bearer", expires_in: 600 });
    });
    const client = cf.client();
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(fake.requestsTo("/v2/info")).toHaveLength(1);
    const [tokenReq] = fake.requestsTo("/login-here/oauth/token", "POST");
    expect(new URLSearchParams(tokenReq!.body).get("grant_type")).toBe("password");
    expect(fake.requestsTo("/v3/organizations")[0]!.headers.authorization).toBe("bearer from-v2");
  });

  it("uses the client_credentials grant when client_id and client_secret are set", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    const client = cf.client({
      username: undefined,
      password: undefined,
      client_id: "my-client",
      client_secret: "client-secret",
    });
    expect(await client.listOrganizations()).toHaveLength(1);
    // HTTP Basic first (RFC 6749 §2.3.1: every server supports it), accepted by this UAA.
    const [tokenReq] = fake.requestsTo("/oauth/token", "POST");
    const form = new URLSearchParams(tokenReq!.body);
    expect(form.get("grant_type")).toBe("client_credentials");
    expect(tokenReq!.headers.authorization).toBe(
      `Basic ${Buffer.from("my-client:client-secret").toString("base64")}`,
    );
    expect(form.has("client_secret")).toBe(false);
  });

  it("reports rejected credentials with the user and UAA's error, never the password", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    const wrong = "wrong-password-xyz";
    const log = capturingLogger();
    const client = cf.client({ password: wrong }, { logger: log.logger });
    const err = await client.listOrganizations().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UaaError);
    expect((err as Error).message).toContain(
      `CF rejected the credentials for user "${USER}": invalid_client`,
    );
    expect((err as Error).message).not.toContain(wrong);
    expect(log.text()).toContain("CF rejected the credentials");
    expect(log.text()).not.toContain(wrong);
    // Wrong credentials are not retried.
    expect(fake.requestsTo("/oauth/token", "POST")).toHaveLength(1);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(0);
  });

  it("never repeats a client secret that UAA echoes back", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    fake.on("POST /oauth/token", (req, res) => {
      const secret = new URLSearchParams(req.body).get("client_secret");
      json(res, 401, { error: "unauthorized", error_description: `Bad credentials for secret ${secret}` });
    });
    const log = capturingLogger();
    const client = cf.client(
      { client_id: "my-client", client_secret: "top-secret-value" },
      { logger: log.logger },
    );
    const results = await Promise.allSettled([client.listOrganizations(), client.listDomains()]);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      const message = (r as PromiseRejectedResult).reason.message as string;
      expect(message).toMatch(
        /^CF rejected the credentials for client "my-client": unauthorized \(Bad credentials for secret \[redacted\]\); next try at /,
      );
    }
    expect(log.text()).not.toContain("top-secret-value");
    // Both callers shared one login (Basic, then once the form body), and it was logged as a warning once.
    expect(fake.requestsTo("/oauth/token", "POST")).toHaveLength(2);
    expect(log.lines().filter((l) => l.level === 40)).toHaveLength(1);
  });

  it("names the missing settings when no credentials are configured", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    const client = cf.client({ username: undefined, password: undefined });
    await expect(client.listOrganizations()).rejects.toThrow(/cf\.username and cf\.password.*cf\.client_id/);
  });

  it("keeps one token for many requests and shares one token fetch among concurrent callers", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    const client = cf.client();
    await Promise.all([client.listOrganizations(), client.listOrganizations(), client.listOrganizations()]);
    await client.listOrganizations();
    expect(fake.requestsTo("/oauth/token", "POST")).toHaveLength(1);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(4);
    expect(client.counters.tokenRequests).toBe(1);
  });

  it("renews an expiring token with the refresh_token grant before using it", async () => {
    const { fake, time, client } = await onFakeTime({ tokenLifetime: 100 });
    await client.listOrganizations();
    time.advance(50_000);
    await client.listOrganizations();
    expect(fake.requestsTo("/oauth/token", "POST")).toHaveLength(1);
    time.advance(45_000); // 95 s of 100 s: inside the renewal margin
    await client.listOrganizations();
    const tokenReqs = fake.requestsTo("/oauth/token", "POST");
    expect(tokenReqs).toHaveLength(2);
    const refresh = new URLSearchParams(tokenReqs[1]!.body);
    expect(refresh.get("grant_type")).toBe("refresh_token");
    expect(refresh.get("refresh_token")).toBe("refresh-1");
    expect(fake.requestsTo("/v3/organizations").at(-1)!.headers.authorization).toBe("bearer access-2");
    // No 401 was needed: the old token was never sent after its renewal time.
    expect(fake.requestsTo("/v3/organizations").map((r) => r.headers.authorization)).toEqual([
      "bearer access-1",
      "bearer access-1",
      "bearer access-2",
    ]);
  });

  it("uses a token announced with expires_in 0 for one request only", async () => {
    const fake = await cf.start({ tokenLifetime: 0 });
    serveOrgs(fake);
    const client = cf.client();
    await client.listOrganizations();
    await client.listOrganizations();
    expect(fake.requestsTo("/oauth/token", "POST")).toHaveLength(2);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
  });

  it("falls back to a full login when the refresh token is refused", async () => {
    const { fake, time, client } = await onFakeTime({ tokenLifetime: 100 });
    await client.listOrganizations();
    fake.validRefreshTokens.clear();
    time.advance(200_000);
    await client.listOrganizations();
    const grants = fake
      .requestsTo("/oauth/token", "POST")
      .map((r) => new URLSearchParams(r.body).get("grant_type"));
    expect(grants).toEqual(["password", "refresh_token", "password"]);
  });

  it("on a CC 401 renews the token once and retries the request once", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    const client = cf.client();
    await client.listOrganizations();
    fake.validTokens.clear(); // revoked on the server side
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(fake.requestsTo("/oauth/token", "POST")).toHaveLength(2);
    expect(fake.requestsTo("/v3/organizations").map((r) => r.headers.authorization)).toEqual([
      "bearer access-1",
      "bearer access-1",
      "bearer access-2",
    ]);
  });

  it("gives up with the 401 when the renewed token is refused as well", async () => {
    const fake = await cf.start();
    fake.on("GET /v3/organizations", (_req, res) =>
      json(res, 401, {
        errors: [{ title: "CF-InvalidAuthToken", code: 1000, detail: "Invalid Auth Token" }],
      }),
    );
    const log = capturingLogger();
    const client = cf.client({}, { logger: log.logger });
    const err = await client.listOrganizations().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "CfApiError", status: 401, title: "CF-InvalidAuthToken", code: 1000 });
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
    expect(log.text()).not.toMatch(/access-\d/);
  });
});
