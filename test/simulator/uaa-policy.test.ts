import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  generateLandscape,
  parseLandscape,
  type RunningSimulator,
  startSimulator,
} from "../../src/simulator/index.js";
import { CF_BASIC, FORM, type Http, httpFor } from "./helpers.js";

const landscape = generateLandscape({ orgs: 1, spacesPerOrg: 1, appsPerSpace: 1, instances: 1 });
const CLIENT = { clientId: "scraper", clientSecret: "a+b c%d:e" };
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${new URLSearchParams({ v: secret }).toString().slice(2)}`).toString("base64")}`;

describe("simulated UAA policy: client authentication methods and user lockout", () => {
  let sim: RunningSimulator;
  let http: Http;
  const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    http.post(`${sim.uaaUrl}/oauth/token`, new URLSearchParams(form).toString(), {
      "content-type": FORM,
      ...headers,
    });
  const viaBasic = () =>
    token(
      { grant_type: "client_credentials" },
      { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    );
  const viaBody = () =>
    token({
      grant_type: "client_credentials",
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
  const login = (password: string) =>
    token({ grant_type: "password", username: "alice", password }, { authorization: CF_BASIC });

  beforeAll(async () => {
    sim = await startSimulator({
      landscape,
      users: [{ username: "alice", password: "right-pw" }],
      clients: [CLIENT],
    });
    http = httpFor(sim);
  });
  afterAll(async () => {
    await http?.close();
    await sim?.close();
  });
  beforeEach(() => {
    sim.admin.setUaaPolicy({});
    sim.admin.reset();
  });

  it("accepts both client authentication methods by default, Basic form-decoded", async () => {
    expect((await viaBasic()).status).toBe(200);
    expect((await viaBody()).status).toBe(200);
  });

  it.each([
    ["client_secret_basic", 200, 401],
    ["client_secret_post", 401, 200],
  ] as const)("with clientAuth %s: Basic -> %d, body -> %d", async (clientAuth, basicStatus, bodyStatus) => {
    sim.admin.setUaaPolicy({ clientAuth });
    const b = await viaBasic();
    const p = await viaBody();
    expect([b.status, p.status]).toEqual([basicStatus, bodyStatus]);
    const refused = b.status === 401 ? b : p;
    expect(refused.json.error).toBe("invalid_client");
    // the public cf client of the password grant is accepted either way
    expect((await login("right-pw")).status).toBe(200);
  });

  it("locks a user after N failed logins, even for the right password, like UAA's lockout policy", async () => {
    sim.admin.setUaaPolicy({
      lockout: { lockoutAfterFailures: 3, countFailuresWithinSeconds: 60, lockoutPeriodSeconds: 300 },
    });
    for (let i = 0; i < 2; i++) expect((await login("wrong")).status).toBe(401);
    expect(sim.admin.uaaUser("alice")).toEqual({ failedLogins: 2, locked: false });
    expect((await login("right-pw")).status).toBe(200);
    expect((await login("wrong")).status).toBe(401);
    expect(sim.admin.uaaUser("alice")).toEqual({ failedLogins: 3, locked: true });
    const locked = await login("right-pw");
    expect(locked.status).toBe(401);
    expect(locked.json).toEqual({
      error: "unauthorized",
      error_description: "Your account has been locked because of too many failed attempts to login.",
    });
  });

  it("is set over the admin API and from the landscape file", async () => {
    const set = await http.post(
      `${sim.apiUrl}/admin/uaa-policy`,
      JSON.stringify({ clientAuth: "client_secret_post" }),
      { "content-type": "application/json" },
    );
    expect(set.status).toBe(200);
    expect((await viaBasic()).status).toBe(401);
    await login("wrong");
    const user = await http.get(`${sim.apiUrl}/admin/uaa-users/alice`);
    expect(user.json).toEqual({ failedLogins: 1, locked: false });
    const bad = await http.post(`${sim.apiUrl}/admin/uaa-policy`, JSON.stringify({ clientAuth: "mtls" }), {
      "content-type": "application/json",
    });
    expect(bad.status).toBe(400);

    const parsed = parseLandscape({
      ...landscape,
      uaa: {
        clientAuth: "client_secret_basic",
        lockout: { lockoutAfterFailures: 5, countFailuresWithinSeconds: 300, lockoutPeriodSeconds: 300 },
      },
    });
    expect(parsed.uaa?.clientAuth).toBe("client_secret_basic");
    expect(() => parseLandscape({ ...landscape, uaa: { clientAuth: "both", extra: 1 } })).toThrow(/uaa/);
    const fromFile = await startSimulator({ landscape: parsed, clients: [CLIENT] });
    const other = httpFor(fromFile);
    try {
      const body = await other.post(
        `${fromFile.uaaUrl}/oauth/token`,
        new URLSearchParams({
          grant_type: "client_credentials",
          client_id: CLIENT.clientId,
          client_secret: CLIENT.clientSecret,
        }).toString(),
        { "content-type": FORM },
      );
      expect(body.status).toBe(401);
    } finally {
      await other.close();
      await fromFile.close();
    }
  });
});
