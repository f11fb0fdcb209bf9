import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AuthenticatorConfig } from "../../src/config/types.js";
import type { ClientAuthSetting } from "../../src/oauth2/client-auth.js";
import { generateLandscape, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { get, instanceFor, OM, startProxy, startServer, testConfig } from "./helpers.js";

// An XSUAA-style client id and a secret with the characters RFC 6749 §2.3.1's form-encoding is there for.
const CLIENT = { clientId: "sb-metrics!t1234", clientSecret: "a+b c%d:e/é" };

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({
    landscape: generateLandscape({ orgs: 1, spacesPerOrg: 1, appsPerSpace: 1, instances: 1 }),
    clients: [CLIENT],
  });
});
afterAll(async () => {
  await sim?.close();
});
afterEach(() => {
  sim.admin.setUaaPolicy({});
  sim.admin.reset();
});

function xsuaaBasic(method?: ClientAuthSetting): AuthenticatorConfig {
  return {
    type: "OAuth2XSUAABasic",
    oauth2xsuaaBasic: {
      tokenServiceURL: `${sim.uaaUrl}/oauth/token`,
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
      ...(method ? { token_endpoint_auth_method: method } : {}),
    },
  };
}

/** A target that answers only to a bearer token; the proxy trusts the simulator's CA for the token service. */
async function setUp(method?: ClientAuthSetting) {
  const target = await startServer((req, res) => {
    const ok = /^Bearer eyJ/.test(req.headers.authorization ?? "");
    res.writeHead(ok ? 200 : 401, { "content-type": OM });
    res.end(ok ? "# TYPE a gauge\na 1\n# EOF\n" : "");
  });
  const config = testConfig({}, { authenticator: xsuaaBasic(method) });
  const proxy = await startProxy(instanceFor(`${target.url}/m`), {
    config,
    dispatcherOptions: { ca: sim.caPem },
  });
  return { proxy, tokenRequests: () => sim.admin.counters().byPath["/uaa/oauth/token"] ?? 0 };
}

describe("OAuth2XSUAABasic client authentication", () => {
  it.each([
    // the Java version's case (#166): a token service that takes only HTTP Basic
    ["client_secret_basic", 1],
    ["client_secret_post", 2],
    ["both", 1],
  ] as const)("auto works against a token service taking %s (%d token requests)", async (clientAuth, n) => {
    sim.admin.setUaaPolicy({ clientAuth });
    const { proxy, tokenRequests } = await setUp();
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    expect(tokenRequests()).toBe(n);
    expect(proxy.rawLogs()).not.toContain(CLIENT.clientSecret);
  });

  it("remembers what worked for the next token", async () => {
    sim.admin.setUaaPolicy({ clientAuth: "client_secret_post" });
    sim.admin.setTokenLifetime(2);
    const { proxy, tokenRequests } = await setUp();
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    expect(tokenRequests()).toBe(2);
    // the token (expires_in 1) is renewed after half its life, straight with the form body
    await new Promise((r) => setTimeout(r, 600));
    expect((await get(`${proxy.url}/x`)).status).toBe(200);
    expect(tokenRequests()).toBe(3);
  });

  it("a pinned method is not switched, and the scrape says why it failed", async () => {
    sim.admin.setUaaPolicy({ clientAuth: "client_secret_basic" });
    const { proxy, tokenRequests } = await setUp("client_secret_post");
    const answer = await get(`${proxy.url}/x`);
    // the status of a failed token request, as for any other authenticator failure
    expect(answer.status).toBe(502);
    expect(answer.body).toContain("answered 401 Unauthorized (invalid_client)");
    expect(tokenRequests()).toBe(1);
  });
});
