import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CloudControllerClient, createCloudControllerClient } from "../../src/cf/index.js";
import { loadConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log.js";
import type { ClientAuthSetting } from "../../src/oauth2/client-auth.js";
import { generateLandscape, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { testConfig } from "./fake-cf.js";

// A secret with the characters RFC 6749 §2.3.1's form-encoding is there for.
const CLIENT = { clientId: "promregator!t1", clientSecret: "a+b c%d:e" };

let sim: RunningSimulator;
let client: CloudControllerClient | undefined;

beforeAll(async () => {
  sim = await startSimulator({
    landscape: generateLandscape({ orgs: 1, spacesPerOrg: 1, appsPerSpace: 1, instances: 1 }),
    clients: [CLIENT],
  });
});
afterAll(async () => {
  await sim?.close();
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  sim.admin.setUaaPolicy({});
  sim.admin.reset();
});

function connect(method?: ClientAuthSetting): CloudControllerClient {
  const config = testConfig(sim.apiUrl, {
    username: undefined,
    password: undefined,
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
    ...(method ? { token_endpoint_auth_method: method } : {}),
  });
  client = createCloudControllerClient({ config, logger: silentLogger, ca: sim.caPem });
  return client;
}

describe("client-credentials login: client authentication method", () => {
  it.each([
    // accepted method, token requests for the first login, then for a login after every token was revoked
    ["both", 1, 1],
    ["client_secret_basic", 1, 1],
    ["client_secret_post", 2, 1],
  ] as const)(
    "auto against a UAA accepting %s: %d then %d token requests",
    async (clientAuth, first, again) => {
      sim.admin.setUaaPolicy({ clientAuth });
      const c = connect();
      expect(await c.listOrganizations()).toHaveLength(1);
      expect(c.counters.tokenRequests).toBe(first);
      // the method that worked is kept for the next login
      sim.admin.revokeTokens();
      expect(await c.listOrganizations()).toHaveLength(1);
      expect(c.counters.tokenRequests - first).toBe(again);
      expect(sim.admin.counters().byPath["/uaa/oauth/token"]).toBe(c.counters.tokenRequests);
    },
  );

  it("a pinned method is used as configured and never switched", async () => {
    sim.admin.setUaaPolicy({ clientAuth: "client_secret_basic" });
    const pinned = connect("client_secret_post");
    await expect(pinned.listOrganizations()).rejects.toThrow(
      /CF rejected the credentials for client "promregator!t1": invalid_client \(Client authentication failed\); next try at /,
    );
    expect(pinned.counters.tokenRequests).toBe(1);
    await pinned.close();
    const right = connect("client_secret_basic");
    expect(await right.listOrganizations()).toHaveLength(1);
  });
});

describe("token_endpoint_auth_method keys", () => {
  const yaml = (cf: string, auth: string) =>
    `cf:\n  api_host: api.example.org\n  client_id: c\n${cf}promregator:\n  authenticator:\n    type: OAuth2XSUAABasic\n    oauth2xsuaaBasic:\n      tokenServiceURL: https://uaa.example.org/oauth/token\n      client_id: x\n${auth}`;
  const env = { CF_CLIENT_SECRET: "s", PROMREGATOR_AUTHENTICATOR_OAUTH2XSUAABASIC_CLIENT_SECRET: "t" };

  it("binds both keys, case-insensitively, and leaves them unset by default (auto)", () => {
    const set = loadConfig({
      text: yaml(
        "  token_endpoint_auth_method: CLIENT_SECRET_POST\n",
        "      token_endpoint_auth_method: client_secret_basic\n",
      ),
      env,
    }).config;
    expect(set.cf.token_endpoint_auth_method).toBe("client_secret_post");
    expect(set.promregator.authenticator?.oauth2xsuaaBasic?.token_endpoint_auth_method).toBe(
      "client_secret_basic",
    );
    const unset = loadConfig({ text: yaml("", ""), env }).config;
    expect(unset.cf.token_endpoint_auth_method).toBeUndefined();
    expect(unset.promregator.authenticator?.oauth2xsuaaBasic?.token_endpoint_auth_method).toBeUndefined();
  });

  it("refuses other values naming the key", () => {
    expect(() => loadConfig({ text: yaml("  token_endpoint_auth_method: mtls\n", ""), env })).toThrow(
      /cf\.token_endpoint_auth_method.*expected one of auto, client_secret_basic, client_secret_post/,
    );
    expect(() => loadConfig({ text: yaml("", "      token_endpoint_auth_method: header\n"), env })).toThrow(
      /oauth2xsuaaBasic\.token_endpoint_auth_method.*expected one of/,
    );
  });
});
