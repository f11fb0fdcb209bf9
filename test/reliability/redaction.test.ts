import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";
import { cfHealth } from "./support/cf-checks.js";
import { scratchDir } from "./support/child.js";
import { CF_USER, eventually, type Harness, startHarness } from "./support/harness.js";

// The simulator's access tokens are JWTs; any "eyJ" in what we show is a leaked token (or part of one).
const TOKEN_TRACE = /eyJ[A-Za-z0-9_-]{10,}/;

describe("a load balancer error page that echoes the request", () => {
  let h: Harness;
  const dir = scratchDir();

  beforeAll(async () => {
    h = await startHarness();
    await h.app.whenReady();
    h.sim.admin.injectFailures({
      count: 10_000,
      status: 502,
      pathPrefix: "/v3/organizations",
      kind: "loadBalancerEcho",
    });
  });
  afterAll(async () => {
    await h?.close();
    dir.remove();
  });

  it("really echoes the bearer token (the case is real)", async () => {
    const dispatcher = new Agent({ connect: { ca: h.sim.caPem } });
    try {
      const login = await request(`${h.sim.uaaUrl}/oauth/token`, {
        dispatcher,
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from("cf:").toString("base64")}`,
        },
        body: new URLSearchParams({ grant_type: "password", ...CF_USER }).toString(),
      });
      const token = ((await login.body.json()) as { access_token: string }).access_token;
      const page = await request(`${h.sim.apiUrl}/v3/organizations`, {
        dispatcher,
        headers: { authorization: `bearer ${token}` },
      });
      expect(page.statusCode).toBe(502);
      expect(await page.body.text()).toContain(`authorization: bearer ${token}`);
    } finally {
      await dispatcher.close();
    }
  });

  it("does not leak the token into the warn log, /status.json or /", async () => {
    const health = await eventually("the CC failure on the status page", async () => {
      const now = await cfHealth(h);
      return now.lastError?.includes("502") ? now : undefined;
    });
    // The page was seen (its echoed header is named) but its value is gone.
    expect(health.lastError).toContain("authorization: [redacted]");
    expect(health.lastError).not.toMatch(TOKEN_TRACE);

    const warnings = h.logs.lines().filter((l) => ["warn", "error"].includes(l.level));
    expect(warnings.map((l) => l.msg).join("\n")).toContain("authorization: [redacted]");
    expect(h.logs.text()).not.toMatch(TOKEN_TRACE);

    const json = await h.get("/status.json");
    expect(json.text).not.toMatch(TOKEN_TRACE);
    const html = await h.get("/", { accept: "text/html" });
    expect(html.status).toBe(200);
    expect(html.text).toContain("502");
    expect(html.text).not.toMatch(TOKEN_TRACE);
  });

  it("does not leak the token into check-config --resolve", async () => {
    const ca = dir.file("ca.pem", h.sim.caPem ?? "");
    const file = dir.file(
      "resolve.yml",
      `cf:\n  api_host: ${h.sim.apiUrl}\n  username: ${CF_USER.username}\n  request:\n    backoff: 10\npromregator:\n  targets:\n    - orgName: rel-org\n`,
    );
    for (const extra of [[], ["--json"]]) {
      // Not spawnSync: the simulator answers from this process.
      const result = await runCli(["check-config", file, "--resolve", "--timeout", "10", ...extra], {
        env: { CF_PASSWORD: CF_USER.password, NODE_EXTRA_CA_CERTS: ca },
        timeoutMs: 40_000,
      });
      const output = result.stdout + result.stderr;
      expect(result.code).toBe(1);
      expect(output).toContain("502");
      expect(output).toContain("[redacted]");
      expect(output).not.toMatch(TOKEN_TRACE);
    }
  }, 90_000);
});
