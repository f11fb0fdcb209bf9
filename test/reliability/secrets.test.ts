import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LandscapeSpec } from "../../src/simulator/index.js";
import { startTamperProxy, type TamperProxy } from "./support/cc-tamper-proxy.js";
import { runCli, scratchDir } from "./support/child.js";
import {
  CF_USER,
  guardUnhandledRejections,
  type Harness,
  httpGet,
  relLandscape,
  startHarness,
} from "./support/harness.js";
import { startServer, type TestServer } from "./support/servers.js";

guardUnhandledRejections();

const SECRETS = {
  cfPassword: CF_USER.password,
  cfClientSecret: "cf-client-secret-3Hq9wT",
  inboundPassword: "inbound-pw-Lm4xP0",
  outboundBasicPassword: "outbound-basic-pw-8RtZ",
  oauthClientSecret: "oauth-client-secret-Vb7kQ",
};
const CF_CLIENT = "rel-cf-client";
const OAUTH_CLIENT = "rel-oauth";
const b64 = (text: string) => Buffer.from(text).toString("base64");

function landscape(target: TestServer): LandscapeSpec {
  const app = (name: string, path: string) => ({
    name,
    instances: 1,
    behaviour: { upstream: `${target.url}${path}` },
  });
  return relLandscape([
    app("basic-app", "/ok"),
    app("oauth-app", "/ok"),
    app("deny-app", "/deny"),
    app("redirect-app", "/redirect"),
  ]);
}

/** promregator.yml with every kind of secret; the CF secret and the inbound password come from the environment. */
function yaml(apiHost: string, tokenUrl: string, grant: "password" | "client"): string {
  return `
cf:
  api_host: ${apiHost}
  ${grant === "password" ? `username: ${CF_USER.username}` : `client_id: ${CF_CLIENT}`}
  request: { backoff: 20 }
promregator:
  authentication: { basic: { username: scraper } }
  discovery: { auth: BASIC }
  endpoint: { auth: BASIC }
  metrics: { auth: BASIC, internal: true, requestLatency: true }
  cache: { invalidate: { auth: BASIC } }
  targetAuthenticators:
    - id: basic-out
      type: basic
      basic: { username: scrape-user, password: ${SECRETS.outboundBasicPassword} }
    - id: oauth-out
      type: OAuth2XSUAABasic
      oauth2xsuaaBasic:
        tokenServiceURL: ${tokenUrl}
        client_id: ${OAUTH_CLIENT}
        client_secret: ${SECRETS.oauthClientSecret}
  targets:
    - { orgName: rel-org, spaceName: rel-space, applicationName: basic-app, protocol: http, authenticatorId: basic-out }
    - { orgName: rel-org, spaceName: rel-space, applicationName: oauth-app, protocol: http, authenticatorId: oauth-out }
    - { orgName: rel-org, spaceName: rel-space, applicationRegex: "(deny|redirect)-app", protocol: http, authenticatorId: basic-out }
server: { port: 0, address: 127.0.0.1 }
`;
}

const ENV = {
  CF_PASSWORD: SECRETS.cfPassword,
  CF_CLIENT_SECRET: SECRETS.cfClientSecret,
  PROMREGATOR_AUTHENTICATION_BASIC_PASSWORD: SECRETS.inboundPassword,
};

function expectNoSecrets(where: string, text: string, secrets: string[]): void {
  for (const secret of secrets) {
    if (text.includes(secret)) throw new Error(`${where} contains the secret ${secret.slice(0, 4)}…`);
  }
}

describe.each(["password", "client"] as const)("no secret leaks (CF %s grant)", (grant) => {
  let target: TestServer;
  let proxy: TamperProxy;
  let h: Harness;
  const collected: [string, string][] = [];

  beforeAll(async () => {
    target = await startServer((req, res) => {
      if (req.url?.startsWith("/deny")) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="app"' }).end("denied");
      } else if (req.url?.startsWith("/redirect")) {
        // a target that puts credentials into its redirect: they must not be echoed
        const location = `http://scrape-user:${SECRETS.outboundBasicPassword}@elsewhere.example/m?token=${SECRETS.oauthClientSecret}`;
        res.writeHead(302, { location }).end();
      } else {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end("demo_up 1\n");
      }
    });
    h = await startHarness({
      landscape: landscape(target),
      simulator: {
        tls: false,
        clients: [
          { clientId: CF_CLIENT, clientSecret: SECRETS.cfClientSecret },
          { clientId: OAUTH_CLIENT, clientSecret: SECRETS.oauthClientSecret },
        ],
      },
      apiHost: async (sim) => {
        proxy = await startTamperProxy(sim.apiUrl);
        return proxy.url;
      },
      yaml: (apiHost) => yaml(apiHost, `${apiHost}/uaa/oauth/token`, grant),
      env: grant === "password" ? { ...ENV, CF_CLIENT_SECRET: "" } : ENV,
      logLevel: "trace",
    });
    await h.app.whenReady();
  });

  afterAll(async () => {
    await h?.close();
    await proxy?.close();
    await target?.close();
  });

  async function call(path: string, headers: Record<string, string> = {}): Promise<void> {
    const answer = await httpGet(h.app.url, path, headers);
    collected.push([`${path} (${answer.status})`, `${JSON.stringify(answer.headers)}\n${answer.text}`]);
  }

  it("logs, answers, error bodies, status and metrics contain none of them", async () => {
    const auth = { authorization: `Basic ${b64(`scraper:${SECRETS.inboundPassword}`)}` };
    const guidOf = (name: string) => h.sim.admin.findApp(name)!.guid;
    for (const app of ["basic-app", "oauth-app", "deny-app", "redirect-app"]) {
      await call(`/singleTargetMetrics/${guidOf(app)}/0`, auth);
    }
    // wrong inbound credentials, including the outbound ones
    await call("/discovery", { authorization: `Basic ${b64(`scraper:${SECRETS.outboundBasicPassword}`)}` });
    await call("/discovery", { authorization: `Basic ${b64(`scraper:${SECRETS.inboundPassword}x`)}` });
    await call(`/singleTargetMetrics/${guidOf("basic-app")}/0`);
    // a token renewal and a failing login on the CF side
    h.sim.admin.revokeTokens();
    await call(
      "/cache/invalidate?org=true&space=true&application=true&process=true&route=true&resolver=true",
      auth,
    );
    await new Promise((r) => setTimeout(r, 300));
    h.sim.admin.injectFailures({ count: 4, status: 401, pathPrefix: "/uaa" });
    h.sim.admin.revokeTokens();
    await call("/cache/invalidate?org=true&resolver=true", auth);
    await new Promise((r) => setTimeout(r, 300));
    for (const path of ["/discovery", "/status.json", "/", "/promregatorMetrics"]) await call(path, auth);
    await call("/promregatorMetrics", { ...auth, accept: "application/openmetrics-text" });

    const seenByTarget = target.headers.map((hd) => hd.authorization ?? "").filter(Boolean);
    const bearerTokens = seenByTarget.filter((a) => /^bearer /i.test(a)).map((a) => a.slice(7));
    // the secrets really were in use: CF tokens went through the proxy, the OAuth token reached the target
    expect(proxy.tokens.size).toBeGreaterThan(0);
    expect(bearerTokens.length).toBeGreaterThan(0);
    expect(seenByTarget).toContain(`Basic ${b64(`scrape-user:${SECRETS.outboundBasicPassword}`)}`);

    const secrets = [
      ...Object.values(SECRETS),
      ...proxy.tokens,
      ...bearerTokens,
      b64(`scraper:${SECRETS.inboundPassword}`),
      b64(`scrape-user:${SECRETS.outboundBasicPassword}`),
    ];
    // the error paths ran and were logged
    expect(h.logs.warnings(/^scrape failed$/).length).toBeGreaterThanOrEqual(2);
    expect(h.logs.warnings(/^CF rejected the credentials for (user|client) "/).length).toBeGreaterThan(0);
    expectNoSecrets("the log", h.logs.text(), secrets);
    for (const [where, text] of collected) expectNoSecrets(where, text, secrets);
    // the failures themselves are explained
    expect(collected.find(([w]) => w.includes(guidOf("deny-app")))?.[1]).toMatch(/401 Unauthorized/);
    expect(collected.find(([w]) => w.includes(guidOf("redirect-app")))?.[1]).toMatch(
      /redirecting to http:\/\/elsewhere\.example\/m; redirects to another origin are not followed/,
    );
  });
});

describe("check-config output", () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());
  const secrets = Object.values(SECRETS);
  const withFileSecrets = (text: string) =>
    text.replace(
      "request: { backoff: 20 }",
      `password: ${SECRETS.cfPassword}\n  client_secret: ${SECRETS.cfClientSecret}`,
    );

  it("masks every secret of a valid file and of the environment", () => {
    const file = scratch.file(
      "ok.yml",
      withFileSecrets(yaml("api.example.org", "https://uaa.example.org/oauth/token", "password")),
    );
    const result = runCli(["check-config", file], {
      PROMREGATOR_AUTHENTICATION_BASIC_PASSWORD: SECRETS.inboundPassword,
    });
    expect(result.stderr).toMatch(/is valid/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/outboundBasic|basic-out/);
    expectNoSecrets("check-config output", result.stdout + result.stderr, secrets);
  });

  it("names the broken key of an invalid file without echoing secrets", () => {
    const text = withFileSecrets(
      yaml("api.example.org", "https://uaa.example.org/oauth/token", "password"),
    ).replace("server: { port: 0,", "server: { port: 99999,");
    const result = runCli(["check-config", scratch.file("bad.yml", text)], ENV);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/server\.port/);
    expectNoSecrets("check-config error", result.stdout + result.stderr, secrets);
  });
});
