import { describe, expect, it } from "vitest";
import { CfApiError, createCloudControllerClient } from "../../src/cf/index.js";
import { compareVersions } from "../../src/cf/versions.js";
import { silentLogger } from "../../src/log.js";
import { capturingLogger, json, serveOrgs, testConfig, useFakeCf } from "./fake-cf.js";

const cf = useFakeCf({ lazy: true });

describe("API version check", () => {
  it("refuses a CC older than 3.84.0 before listing anything", async () => {
    const fake = await cf.start({ version: "3.83.9" });
    serveOrgs(fake);
    const client = cf.client();
    const err = await client.listOrganizations().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CfApiError);
    expect(err).toMatchObject({ kind: "version" });
    expect((err as Error).message).toContain("offers v3 API 3.83.9, but at least 3.84.0 is needed");
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(0);
  });

  it("accepts 3.84.0 and checks only once", async () => {
    const fake = await cf.start({ version: "3.84.0" });
    serveOrgs(fake);
    const client = cf.client();
    await client.listOrganizations();
    await client.listOrganizations();
    expect(fake.requestsTo("/")).toHaveLength(1);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
  });

  it("refuses a CC without the v3 API", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    fake.on("GET /", (_req, res, f) =>
      json(res, 200, { links: { self: { href: f.url }, login: { href: f.url } } }),
    );
    const client = cf.client();
    await expect(client.listOrganizations()).rejects.toThrow(/does not offer the v3 API/);
  });

  it("goes on with a warning when GET / is unusable, logging in through /v2/info", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    fake.on("GET /", (_req, res) => json(res, 404, { errors: [] }));
    fake.on("GET /v2/info", (_req, res, f) => json(res, 200, { authorization_endpoint: f.url }));
    const log = capturingLogger();
    const client = cf.client({}, { logger: log.logger });
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(log.text()).toContain("the CC API version was not checked");
  });

  it("retries GET / on the next call after a network failure instead of remembering it", async () => {
    const fake = await cf.start();
    serveOrgs(fake);
    let calls = 0;
    fake.on("GET /", (_req, res, f) => {
      calls++;
      if (calls <= 2) return void res.socket?.destroy();
      json(res, 200, {
        links: {
          cloud_controller_v3: { href: `${f.url}/v3`, meta: { version: "3.90.0" } },
          login: { href: f.url },
        },
      });
    });
    const client = cf.client();
    await expect(client.listOrganizations()).rejects.toMatchObject({ kind: "network", path: "/" });
    expect(await client.listOrganizations()).toHaveLength(1);
    expect(fake.requestsTo("/")).toHaveLength(3);
    expect(fake.requestsTo("/").every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it("compares dotted versions numerically", () => {
    expect(compareVersions("3.100.0", "3.84.0")).toBe(1);
    expect(compareVersions("3.84", "3.84.0")).toBe(0);
    expect(compareVersions("2.999.0", "3.84.0")).toBe(-1);
    expect(compareVersions("unknown", "3.84.0")).toBeUndefined();
  });
});

describe("getInfo", () => {
  it("returns GET /v3/info unauthenticated, without logging in", async () => {
    const fake = await cf.start();
    const client = cf.client();
    expect(await client.getInfo()).toMatchObject({ name: "fake", version: 42 });
    expect(fake.requestsTo("/v3/info")[0]!.headers.authorization).toBeUndefined();
    expect(fake.requestsTo("/oauth/token", "POST")).toHaveLength(0);
    expect(client.counters.requests.info).toBe(1);
  });

  it("makes a single attempt with the watchdog timeout", async () => {
    const fake = await cf.start();
    fake.on("GET /v3/info", () => {});
    const client = cf.client({ watchdog: { enabled: true, timeout: 100, rate: 1, initialDelay: 1 } });
    await expect(client.getInfo()).rejects.toMatchObject({ kind: "timeout", resource: "info" });
    expect(fake.requestsTo("/v3/info")).toHaveLength(1);
  });

  it("rejects calls after close", async () => {
    await cf.start();
    const client = cf.client();
    await client.close();
    await expect(client.listDomains()).rejects.toThrow("the Cloud Controller client is closed");
  });

  it("rejects an API URL that is not http(s)", () => {
    expect(() =>
      createCloudControllerClient({ config: testConfig("ftp://example.org"), logger: silentLogger }),
    ).toThrow(/must lead to an http or https URL/);
  });
});
