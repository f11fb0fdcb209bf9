import { describe, expect, it } from "vitest";
import { type CloudControllerClient, UaaError } from "../../src/cf/index.js";
import { capturingLogger, fakeTime, json, serveOrgs, useFakeCf } from "./fake-cf.js";

const cf = useFakeCf();

const MIN = 60_000;
const TICK = 10_000;

/** No more than 3 of these times (ms) within any 10 minutes. */
function maxInTenMinutes(times: number[]): number {
  return Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + 10 * MIN).length));
}

/** A client on fake time whose UAA answers password logins with `answer`; the login times are recorded. */
async function setUp(answer: (grant: string | null) => "refuse" | "fail" | "accept") {
  const fake = cf.fake;
  serveOrgs(fake);
  const time = fakeTime();
  const logins: number[] = [];
  let issued = 0;
  fake.on("POST /oauth/token", (req, res, f) => {
    const grant = new URLSearchParams(req.body).get("grant_type");
    if (grant === "password") logins.push(time.now());
    const what = answer(grant);
    if (what === "refuse")
      return json(res, 401, { error: "unauthorized", error_description: "Bad credentials" });
    if (what === "fail") return json(res, 503, { error: "server_error" });
    issued++;
    f.validTokens.add(`tok-${issued}`);
    json(res, 200, { access_token: `tok-${issued}`, token_type: "bearer", expires_in: 43199 });
  });
  const log = capturingLogger();
  const client = cf.client({}, { logger: log.logger, time });
  return { fake, time, logins, log, client };
}

/** What a discovery loop does: ask every 10 s, whatever the answer. */
async function askEvery10s(c: CloudControllerClient, time: ReturnType<typeof fakeTime>, minutes: number) {
  const errors: string[] = [];
  for (let t = 0; t < minutes * MIN; t += TICK) {
    await c.listOrganizations().catch((e: unknown) => errors.push((e as Error).message));
    time.advance(TICK);
  }
  return errors;
}

describe("login backoff (a wrong password never locks the account)", () => {
  it("retries a refused login after 1, 2, 4... minutes, at most 3 times in any 10 minutes", async () => {
    const { fake, time, logins, client: c } = await setUp(() => "refuse");
    const start = time.now();
    const errors = await askEvery10s(c, time, 120);
    const minutes = logins.map((t) => (t - start) / MIN);
    expect(minutes.slice(0, 6)).toEqual([0, 1, 3, 10, 18, 34]);
    expect(maxInTenMinutes(logins)).toBeLessThanOrEqual(3);
    // the first answer, and every one until the next try, says when that is
    expect(errors[0]).toBe(
      `CF rejected the credentials for user "alice": unauthorized (Bad credentials); next try at ${new Date(start + MIN).toISOString()}`,
    );
    expect(errors[1]).toBe(errors[0]);
    // no CC list request is sent without a token
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(0);
  });

  it("holds also when CC 401s make it log in again", async () => {
    let refuse = false;
    const { fake, time, logins, client: c } = await setUp(() => (refuse ? "refuse" : "accept"));
    expect(await c.listOrganizations()).toHaveLength(1);
    // the password is changed and every token revoked: CC answers 401, each 401 asks for a new login
    refuse = true;
    fake.validTokens.clear();
    const errors = await askEvery10s(c, time, 60);
    const refused = logins.slice(1);
    expect(refused.length).toBeGreaterThan(1);
    expect(maxInTenMinutes(refused)).toBeLessThanOrEqual(3);
    expect(refused[1]! - refused[0]!).toBeGreaterThanOrEqual(MIN);
    expect(errors.every((e) => /CF rejected the credentials.*; next try at /.test(e))).toBe(true);
  });

  it("logs in at the next try when UAA accepts again, and starts over", async () => {
    let refuse = true;
    const { time, logins, log, client: c } = await setUp(() => (refuse ? "refuse" : "accept"));
    await expect(c.listOrganizations()).rejects.toThrow(/next try at/);
    refuse = false;
    time.advance(30_000);
    await expect(c.listOrganizations()).rejects.toThrow(/next try at/);
    expect(logins).toHaveLength(1);
    time.advance(30_000);
    expect(await c.listOrganizations()).toHaveLength(1);
    expect(logins).toHaveLength(2);
    // the log says when the next try is
    expect(log.text()).toContain("; next try at ");
  });

  it("keeps the short retry for UAA trouble (5xx): no backoff, no 'rejected'", async () => {
    const { time, logins, client: c } = await setUp(() => "fail");
    const errors = await askEvery10s(c, time, 1);
    // each of the 6 asks: one request and one retry
    expect(logins).toHaveLength(12);
    expect(errors[0]).toMatch(/answered 503 to the token request/);
    expect(errors.join("\n")).not.toMatch(/rejected|next try/);
  });

  it("backs off for other refusals too (a 400 will not change by itself)", async () => {
    const { fake, time, logins, client: c } = await setUp(() => "refuse");
    fake.on("POST /oauth/token", (_req, res) => {
      logins.push(time.now());
      json(res, 400, { error: "invalid_request", error_description: "Missing grant type" });
    });
    const errors = await askEvery10s(c, time, 10);
    expect(logins).toHaveLength(3);
    expect(errors[0]).toMatch(
      /^UAA refused the login of user "alice" with status 400: invalid_request .*; next try at /,
    );
    expect(errors.every((e) => e.includes("next try at"))).toBe(true);
    expect((await c.listOrganizations().catch((e: unknown) => e)) instanceof UaaError).toBe(true);
  });

  it("auto with a wrong client secret: every refused token request counts, the method switches once", async () => {
    const fake = cf.fake;
    serveOrgs(fake);
    const time = fakeTime();
    // UAA answers both methods of a wrong secret alike: 401 unauthorized, "Bad credentials"
    const refused: { at: number; method: string }[] = [];
    fake.on("POST /oauth/token", (req, res) => {
      const basic = req.headers.authorization?.startsWith("Basic ") ?? false;
      const post = new URLSearchParams(req.body).has("client_secret");
      refused.push({ at: time.now(), method: basic && !post ? "basic" : !basic && post ? "post" : "?" });
      json(res, 401, { error: "unauthorized", error_description: "Bad credentials" });
    });
    const log = capturingLogger();
    const c = cf.client(
      { username: undefined, password: undefined, client_id: "my-client", client_secret: "wrong" },
      { logger: log.logger, time },
    );
    const start = time.now();
    const errors = await askEvery10s(c, time, 120);
    const times = refused.map((r) => r.at);
    expect(maxInTenMinutes(times)).toBeLessThanOrEqual(3);
    // both methods once at the first login; from then on HTTP Basic (the documented first method) only
    expect(refused.map((r) => r.method).slice(0, 5)).toEqual(["basic", "post", "basic", "basic", "basic"]);
    expect(refused.filter((r) => r.method === "post")).toHaveLength(1);
    // the backoff after two refused requests in a row: 2 minutes, then 4 (held to 10 by the cap), 8, 16
    expect(times.map((t) => (t - start) / MIN).slice(0, 6)).toEqual([0, 0, 2, 10, 18, 34]);
    expect(errors[0]).toBe(
      `CF rejected the credentials for client "my-client": unauthorized (Bad credentials); next try at ${new Date(start + 2 * MIN).toISOString()}`,
    );
    // one switch, logged once
    const switches = log
      .lines()
      .filter((l) => String(l.msg).startsWith("UAA refused the client authentication"));
    expect(switches).toHaveLength(1);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(0);
  });

  it("auto: a secret that was wrong at the first login is tried with HTTP Basic once it is right", async () => {
    const fake = cf.fake;
    serveOrgs(fake);
    const time = fakeTime();
    const c = cf.client(
      { username: undefined, password: undefined, client_id: "my-client", client_secret: "client-secret" },
      { time },
    );
    // the client is not yet known to UAA (or has another secret) at the first login
    fake.on("POST /oauth/token", (_req, res) =>
      json(res, 401, { error: "unauthorized", error_description: "Bad credentials" }),
    );
    await expect(c.listOrganizations()).rejects.toThrow(/next try at/);
    expect(fake.requestsTo("/oauth/token", "POST")).toHaveLength(2);
    // UAA now knows it (and would take either method)
    fake.on("POST /oauth/token", (_req, res, f) => {
      f.validTokens.add("tok");
      json(res, 200, { access_token: "tok", token_type: "bearer", expires_in: 600 });
    });
    time.advance(2 * MIN);
    expect(await c.listOrganizations()).toHaveLength(1);
    const requests = fake.requestsTo("/oauth/token", "POST");
    expect(requests).toHaveLength(3);
    expect(requests[2]!.headers.authorization).toBe(
      `Basic ${Buffer.from("my-client:client-secret").toString("base64")}`,
    );
  });

  it("auto: the switch waits when two refusals of another kind already count in the last 10 minutes", async () => {
    const fake = cf.fake;
    serveOrgs(fake);
    const time = fakeTime();
    const refused: number[] = [];
    // two refusals that are no client refusal (no switch), then the wrong secret
    fake.on("POST /oauth/token", (_req, res) => {
      refused.push(time.now());
      if (refused.length <= 2) return json(res, 400, { error: "invalid_scope" });
      json(res, 401, { error: "unauthorized", error_description: "Bad credentials" });
    });
    const c = cf.client(
      { username: undefined, password: undefined, client_id: "my-client", client_secret: "wrong" },
      { time },
    );
    await askEvery10s(c, time, 60);
    expect(maxInTenMinutes(refused)).toBeLessThanOrEqual(3);
    const methods = fake
      .requestsTo("/oauth/token", "POST")
      .map((r) => (r.headers.authorization ? "basic" : "post"));
    // the switch to the body is made once, at a login the cap leaves room for
    expect(methods.filter((m) => m === "post")).toHaveLength(1);
  });
});
