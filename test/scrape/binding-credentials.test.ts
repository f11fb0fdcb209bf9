import { describe, expect, it } from "vitest";
import { readBindingCredentials } from "../../src/discovery/index.js";
import type { ScrapeCredential } from "../../src/discovery/types.js";
import { basicAuthenticator, get, instanceFor, OM, startProxy, startServer, testConfig } from "./helpers.js";

const PASSWORD = "binding-pa55word-xyz";

function bindingCredential(username: string, password: string): ScrapeCredential {
  const access = readBindingCredentials({ username, password }, "path-and-basic-auth", "service binding b-1");
  if (!access.ok || !access.credential) throw new Error("expected credentials");
  return access.credential;
}

describe("scraping with a service binding's credentials", () => {
  it("sends the binding's Basic credentials instead of the target's authenticator, and logs no secret", async () => {
    const expected = `Basic ${Buffer.from(`team-user:${PASSWORD}`).toString("base64")}`;
    const seen: (string | undefined)[] = [];
    const target = await startServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== expected) {
        res.writeHead(401);
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": OM });
      res.end("# TYPE a gauge\na 1\n# EOF\n");
    });
    const config = testConfig({}, { targetAuthenticators: [basicAuthenticator("team", "other", "wrong")] });
    const proxy = await startProxy(
      instanceFor(`${target.url}/metrics`, {
        authenticatorId: "team",
        bindingCredential: bindingCredential("team-user", PASSWORD),
      }),
      { config },
    );
    const answer = await get(`${proxy.url}/`);
    expect(answer.status).toBe(200);
    expect(seen).toEqual([expected]);
    expect(proxy.rawLogs()).not.toContain(PASSWORD);
    expect(proxy.rawLogs()).not.toContain(expected.slice(6));
  });

  it("without binding credentials keeps using the target's authenticator", async () => {
    const seen: (string | undefined)[] = [];
    const target = await startServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { "content-type": OM });
      res.end("# EOF\n");
    });
    const config = testConfig({}, { targetAuthenticators: [basicAuthenticator("team", "other", "pw")] });
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`, { authenticatorId: "team" }), {
      config,
    });
    await get(`${proxy.url}/`);
    expect(seen).toEqual([`Basic ${Buffer.from("other:pw").toString("base64")}`]);
  });
});
