import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateLandscape, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { CF_BASIC, FORM, type Http, httpFor, passwordToken } from "./helpers.js";

const landscape = generateLandscape({ orgs: 1, spacesPerOrg: 1, appsPerSpace: 2, instances: 1 });
const NOT_AUTHENTICATED = {
  errors: [{ detail: "Authentication error", title: "CF-NotAuthenticated", code: 10002 }],
};
const INVALID_TOKEN = {
  errors: [{ detail: "Invalid Auth Token", title: "CF-InvalidAuthToken", code: 1000 }],
};

describe("UAA token endpoint and CC authentication", () => {
  let sim: RunningSimulator;
  let http: Http;
  const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    http.post(`${sim.uaaUrl}/oauth/token`, new URLSearchParams(form).toString(), {
      "content-type": FORM,
      ...headers,
    });
  const apps = (authorization?: string) =>
    http.get(`${sim.apiUrl}/v3/apps`, authorization ? { authorization } : {});

  beforeAll(async () => {
    sim = await startSimulator({
      landscape,
      users: [{ username: "alice", password: "s3cret-pw" }],
      clients: [{ clientId: "scraper", clientSecret: "scraper-secret" }],
    });
    http = httpFor(sim);
  });
  afterAll(async () => {
    await http?.close();
    await sim?.close();
  });

  it("serves the discovery documents without a token", async () => {
    const root = await http.get(`${sim.apiUrl}/`);
    expect(root.json.links.cloud_controller_v3.href).toBe(`${sim.apiUrl}/v3`);
    expect(root.json.links.login.href).toBe(sim.uaaUrl);
    expect(root.json.links.cloud_controller_v2).toBeUndefined();
    const v2 = await http.get(`${sim.apiUrl}/v2/info`);
    expect(v2.json.authorization_endpoint).toBe(sim.uaaUrl);
    expect(v2.json.token_endpoint).toBe(sim.uaaUrl);
    expect((await http.get(`${sim.apiUrl}/v3/info`)).status).toBe(200);
  });

  it("issues password-grant tokens with Promregator's and the CLI's request styles", async () => {
    const promregatorStyle = await passwordToken(http, sim, "alice", "s3cret-pw");
    expect(promregatorStyle.status).toBe(200);
    expect(promregatorStyle.json).toMatchObject({ token_type: "bearer", expires_in: 1199 });
    expect(promregatorStyle.json.access_token.split(".")).toHaveLength(3);
    expect(promregatorStyle.json.refresh_token).toEqual(expect.any(String));
    expect(promregatorStyle.json.scope.split(" ")).toContain("cloud_controller.read");
    const cliStyle = await token(
      { grant_type: "password", username: "alice", password: "s3cret-pw" },
      { authorization: CF_BASIC },
    );
    expect(cliStyle.status).toBe(200);
    const ok = await apps(`Bearer ${cliStyle.json.access_token}`);
    expect(ok.status).toBe(200);
    expect(ok.headers["x-user-guid"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("rejects a wrong password with 401 invalid_client and never echoes it", async () => {
    const answer = await passwordToken(http, sim, "alice", "wrong-pw-123");
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({ error: "invalid_client", error_description: "Bad credentials" });
    expect(answer.text).not.toContain("wrong-pw-123");
  });

  it("rejects bad client credentials and parameters in the query string", async () => {
    const badClient = await token(
      { grant_type: "client_credentials" },
      { authorization: `Basic ${Buffer.from("scraper:nope").toString("base64")}` },
    );
    expect(badClient.status).toBe(401);
    expect(badClient.json.error).toBe("unauthorized");
    expect(badClient.headers["www-authenticate"]).toContain('realm="UAA/client"');
    const inQuery = await http.post(`${sim.uaaUrl}/oauth/token?grant_type=password&username=alice`, "", {
      "content-type": FORM,
      authorization: CF_BASIC,
    });
    expect(inQuery.status).toBe(406);
    expect(inQuery.json.error_description).toBe("Parameters must be passed in the body of the request");
  });

  it("issues client_credentials tokens only to dedicated clients, without refresh token", async () => {
    const ok = await token({
      grant_type: "client_credentials",
      client_id: "scraper",
      client_secret: "scraper-secret",
    });
    expect(ok.status).toBe(200);
    expect(ok.json.refresh_token).toBeUndefined();
    expect((await apps(`bearer ${ok.json.access_token}`)).status).toBe(200);
    const cf = await token({ grant_type: "client_credentials" }, { authorization: CF_BASIC });
    expect(cf.status).toBe(401);
    expect(cf.json.error).toBe("invalid_client");
  });

  it("answers CC requests without or with a bad token like CC", async () => {
    const none = await apps();
    expect(none.status).toBe(401);
    expect(none.json).toEqual(NOT_AUTHENTICATED);
    expect(none.headers["www-authenticate"]).toBeUndefined();
    expect((await apps("Basic YWxpY2U6eA==")).json).toEqual(NOT_AUTHENTICATED);
    const garbage = await apps("bearer not.a.token");
    expect(garbage.status).toBe(401);
    expect(garbage.json).toEqual(INVALID_TOKEN);
  });

  it("invalidates every token on revoke, including refresh tokens", async () => {
    const login = await passwordToken(http, sim, "alice", "s3cret-pw");
    expect((await apps(`bearer ${login.json.access_token}`)).status).toBe(200);
    sim.admin.revokeTokens();
    const after = await apps(`bearer ${login.json.access_token}`);
    expect(after.status).toBe(401);
    expect(after.json).toEqual(INVALID_TOKEN);
    const refresh = await token(
      { grant_type: "refresh_token", refresh_token: login.json.refresh_token },
      { authorization: CF_BASIC },
    );
    expect(refresh.status).toBe(401);
    expect(refresh.json.error).toBe("invalid_token");
    const again = await passwordToken(http, sim, "alice", "s3cret-pw");
    expect((await apps(`bearer ${again.json.access_token}`)).status).toBe(200);
  });

  it("rejects a malformed refresh token with invalid_token", async () => {
    const answer = await token(
      { grant_type: "refresh_token", refresh_token: "garbage" },
      { authorization: CF_BASIC },
    );
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({ error: "invalid_token", error_description: "Invalid refresh token." });
  });
});

describe("short-lived tokens", () => {
  let sim: RunningSimulator | undefined;
  let http: Http | undefined;
  afterEach(async () => {
    await http?.close();
    await sim?.close();
  });

  it("expire into 401 CF-InvalidAuthToken and can be refreshed", async () => {
    sim = await startSimulator({ landscape, tokenLifetimeSeconds: 0.2 });
    http = httpFor(sim);
    const login = await passwordToken(http, sim);
    expect(login.json.expires_in).toBe(0);
    const bearerOf = (t: string) => ({ authorization: `bearer ${t}` });
    expect((await http.get(`${sim.apiUrl}/v3/apps`, bearerOf(login.json.access_token))).status).toBe(200);
    await sleep(300);
    const expired = await http.get(`${sim.apiUrl}/v3/apps`, bearerOf(login.json.access_token));
    expect(expired.status).toBe(401);
    expect(expired.json).toEqual(INVALID_TOKEN);
    // Longer-lived tokens from here on, so the rest does not race the clock.
    sim.admin.setTokenLifetime(120);
    const form = new URLSearchParams({
      client_id: "cf",
      client_secret: "",
      grant_type: "refresh_token",
      refresh_token: login.json.refresh_token,
    });
    const refreshed = await http.post(`${sim.uaaUrl}/oauth/token`, form.toString(), { "content-type": FORM });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.expires_in).toBe(119);
    expect(refreshed.json.access_token).not.toBe(login.json.access_token);
    expect((await http.get(`${sim.apiUrl}/v3/apps`, bearerOf(refreshed.json.access_token))).status).toBe(200);
  });
});
