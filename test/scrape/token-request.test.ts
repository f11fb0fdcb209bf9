import { Agent } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { requestClientCredentialsToken } from "../../src/scrape/authenticators/token-request.js";
import { startServer } from "./helpers.js";

const dispatcher = new Agent();
afterAll(() => dispatcher.close());

async function tokenFrom(body: string, contentType = "application/json") {
  const server = await startServer((_req, res) => {
    res.writeHead(200, { "content-type": contentType }).end(body);
  });
  return requestClientCredentialsToken({
    url: `${server.url}/oauth/token`,
    clientId: "client",
    clientSecret: "secret",
    dispatcher,
    timeoutMs: 2000,
    connectTimeoutMs: 2000,
  });
}

describe("token service answers", () => {
  it("reads a JSON token answer", async () => {
    await expect(tokenFrom('{"access_token":"t1","expires_in":60}')).resolves.toEqual({
      accessToken: "t1",
      expiresIn: 60,
    });
  });

  it.each([
    ['\uFEFF{"access_token":"t1"}', "not a JSON object (it starts with a UTF-8 byte order mark)"],
    ["access_token=t1&token_type=bearer", "not a JSON object"],
    ["<html>login</html>", "not a JSON object"],
  ])("names a body that is not JSON for what it is, never showing it: %j", async (body, reason) => {
    const failure = await tokenFrom(body).catch((e: Error) => e);
    expect((failure as Error).message).toContain(`answered 200 with a body that is ${reason}`);
    expect((failure as Error).message).not.toContain("t1");
  });

  it("says a JSON answer lacks its access_token", async () => {
    await expect(tokenFrom('{"token_type":"bearer"}')).rejects.toThrow("answered without an access_token");
  });
});
