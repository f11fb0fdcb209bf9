import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { UaaError } from "../../src/cf/index.js";
import { capturingLogger, fakeTime, json, serveOrgs, useFakeCf } from "./fake-cf.js";

const cf = useFakeCf({ lazy: true });

const BOM = "\uFEFF";
const TOKEN = JSON.stringify({
  access_token: "bom-token",
  token_type: "bearer",
  expires_in: 600,
  refresh_token: "bom-refresh",
});

function raw(res: ServerResponse, status: number, body: string, type = "application/json"): void {
  res.writeHead(status, { "content-type": type });
  res.end(body);
}

const clientCredentials = {
  username: undefined,
  password: undefined,
  client_id: "my-client",
  client_secret: "client-secret",
};

/** Every answer of the token endpoint goes through one parser: each grant names a body that is not JSON so. */
describe("token endpoint answers that are not JSON", () => {
  it.each([
    ["password grant", {}],
    ["client_credentials grant", clientCredentials],
  ])(
    "%s: a 200 starting with a UTF-8 byte order mark is not JSON, not a missing access_token",
    async (_n, config) => {
      const fake = await cf.start();
      serveOrgs(fake);
      fake.on("POST /oauth/token", (_req, res) => raw(res, 200, `${BOM}${TOKEN}`));
      const err = await cf
        .client(config)
        .listOrganizations()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UaaError);
      const message = (err as Error).message;
      expect(message).toBe(
        `UAA at ${fake.url} answered 200 with a body that is not JSON (it starts with a UTF-8 byte order mark)`,
      );
      expect(message).not.toContain("without an access_token");
      expect(message).not.toContain("bom-token");
    },
  );

  it("a 200 HTML page is named as not JSON, with an excerpt", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    fake.on("POST /oauth/token", (_req, res) => raw(res, 200, "<html>Login</html>", "text/html"));
    const err = await cf
      .client()
      .listOrganizations()
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `UAA at ${fake.url} answered 200 with a body that is not JSON: "<html>Login</html>"`,
    );
  });

  it("never shows a token from a body that is not JSON (a form-encoded answer)", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXZhbHVl";
    fake.on("POST /oauth/token", (_req, res) =>
      raw(res, 200, `access_token=${token}&token_type=bearer`, "application/x-www-form-urlencoded"),
    );
    const err = await cf
      .client()
      .listOrganizations()
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^UAA at \S+ answered 200 with a body that is not JSON: "/);
    expect((err as Error).message).not.toContain(token);
  });

  it("JSON that is no object, and an object without a token, keep apart", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    fake.on("POST /oauth/token", (_req, res) => json(res, 200, ["x"]));
    const first = await cf
      .client()
      .listOrganizations()
      .catch((e: unknown) => e);
    expect((first as Error).message).toBe(
      `UAA at ${fake.url} answered 200 with a JSON body that is not an object`,
    );
    fake.on("POST /oauth/token", (_req, res) => json(res, 200, { token_type: "bearer" }));
    const second = await cf
      .client()
      .listOrganizations()
      .catch((e: unknown) => e);
    expect((second as Error).message).toBe(`UAA at ${fake.url} answered 200 without an access_token`);
  });

  it("an error status with a body that is not JSON says so instead of giving no reason", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    fake.on("POST /oauth/token", (_req, res) => raw(res, 502, "<html>502 Bad Gateway</html>", "text/html"));
    const err = await cf
      .client()
      .listOrganizations()
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `UAA at ${fake.url} answered 502 to the token request for user "alice": a body that is not JSON: "<html>502 Bad Gateway</html>"`,
    );
  });

  it("refresh_token grant: the reason of the failed refresh says the body is not JSON", async () => {
    const fake = await cf.start({ tokenLifetime: 100 });
    serveOrgs(fake);
    const log = capturingLogger();
    const time = fakeTime();
    const client = cf.client({}, { time, logger: log.logger });
    await client.listOrganizations();
    fake.on("POST /oauth/token", (req, res, f) => {
      if (new URLSearchParams(req.body).get("grant_type") === "refresh_token") {
        return raw(res, 200, `${BOM}${TOKEN}`);
      }
      f.validTokens.add("fresh");
      json(res, 200, { access_token: "fresh", token_type: "bearer", expires_in: 600 });
    });
    time.advance(200_000);
    expect(await client.listOrganizations()).toHaveLength(1);
    const refresh = log.lines().find((l) => l.msg === "token refresh failed, logging in again");
    expect(refresh?.reason).toBe(
      `UAA at ${fake.url} answered 200 with a body that is not JSON (it starts with a UTF-8 byte order mark)`,
    );
  });
});
