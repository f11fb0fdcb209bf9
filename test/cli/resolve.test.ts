import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { demoLandscape, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { assertBuilt, runCli, scratchDir } from "./run-cli.js";

const PASSWORD = "resolve-test-password-9";
const dir = scratchDir();
let sim: RunningSimulator;
let caFile: string;

beforeAll(async () => {
  assertBuilt();
  sim = await startSimulator({
    landscape: demoLandscape(),
    users: [{ username: "demo", password: PASSWORD }],
  });
  caFile = dir.write("ca.pem", sim.caPem ?? "");
});
afterAll(async () => {
  await sim?.close();
  dir.remove();
});
beforeEach(() => sim.admin.reset());

/** Short backoff so that the retries of a failing Cloud Controller do not slow the suite down. */
function config(targets: string, apiHost = sim.apiUrl): string {
  return `cf:
  api_host: ${apiHost}
  username: demo
  request:
    backoff: 10
promregator:
  targets:
${targets}`;
}

const MIXED_TARGETS = `    - orgName: acme-prod
      spaceName: checkout
    - orgName: acme-dev
    - orgName: no-such-org
    - orgName: acme-prod
      applicationRegex: "zzz.*"
`;

function resolveCli(file: string, extra: string[] = [], password = PASSWORD) {
  // The password reaches the child the documented way; the CA of the simulator through NODE_EXTRA_CA_CERTS.
  return runCli(["check-config", file, "--resolve", ...extra], {
    env: { CF_PASSWORD: password, NODE_EXTRA_CA_CERTS: caFile },
  });
}

/** The rows of the "would scrape" table (six columns), split into cells. */
function appTable(stdout: string): string[][] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("#"))
    .map((line) => line.split(/ {2,}/))
    .filter((cells) => cells.length === 6);
}

describe("promregator check-config --resolve (against the simulator)", () => {
  it("prints what would be scraped and why targets matched nothing; exit 0 without --strict", async () => {
    const result = await resolveCli(dir.write("mixed.yml", config(MIXED_TARGETS)));
    expect(result.code).toBe(0);
    const table = appTable(result.stdout);
    // one row per app: target, org, space, app, instances, URL
    expect(table).toContainEqual([
      "#0",
      "acme-prod",
      "checkout",
      "cart-service",
      "3",
      "https://cart-service.apps.example.org/metrics",
    ]);
    expect(table).toContainEqual([
      "#0",
      "acme-prod",
      "checkout",
      "payment-gateway",
      "2",
      "https://payment-gateway.apps.example.org/metrics",
    ]);
    expect(table.find((r) => r[3] === "inventory-api")?.slice(0, 5)).toEqual([
      "#1",
      "acme-dev",
      "sandbox",
      "inventory-api",
      "2",
    ]);
    // the stopped app of the landscape is not listed
    expect(result.stdout).not.toContain("legacy-batch");
    expect(result.stdout).toContain("Would scrape 8 instances of 4 apps");
    // per configured target: what it matched, and why not
    expect(result.stdout).toMatch(
      /#2 +org=no-such-org space=\* app=\* +0 +matched nothing: organization no-such-org not found/,
    );
    expect(result.stdout).toMatch(
      /#3 +org=acme-prod space=\* app=\/zzz\.\*\/ +0 +matched nothing: no application matches/,
    );
    expect(result.stdout).toMatch(/#0 +org=acme-prod space=checkout app=\* +5 +ok/);
    expect(result.stdout).toContain("2 targets of 4 matched nothing.");
    // progress, one line per phase, on stderr
    expect(result.stderr).toMatch(
      /\[\d+\.\ds\] connecting to the Cloud Controller at https:\/\/127\.0\.0\.1:\d+/,
    );
    expect(result.stderr).toContain("logging in as user demo");
    expect(result.stderr).toContain("resolved 8 instances of 4 apps");
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it("--strict exits 3 when a target matched nothing, and 0 when every target matched", async () => {
    const mixed = await resolveCli(dir.write("strict-mixed.yml", config(MIXED_TARGETS)), ["--strict"]);
    expect(mixed.code).toBe(3);
    expect(mixed.stderr).toContain("--strict: a configured target matched no app instance");
    const good = await resolveCli(dir.write("strict-good.yml", config("    - orgName: acme-prod\n")), [
      "--strict",
    ]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("Would scrape 6 instances of 3 apps");
  });

  it("--json lists every instance with its URL and every target with its problem", async () => {
    const result = await resolveCli(dir.write("json.yml", config(MIXED_TARGETS)), ["--json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    const cart = sim.admin.findApp("cart-service")!.guid;
    expect(report.ok).toBe(true);
    expect(report.instances).toHaveLength(8);
    expect(report.instances.filter((i: { app: string }) => i.app === "cart-service")).toEqual(
      [0, 1, 2].map((index) => ({
        instanceId: `${cart}:${index}`,
        org: "acme-prod",
        space: "checkout",
        app: "cart-service",
        index,
        url: "https://cart-service.apps.example.org/metrics",
        targetIndex: 0,
      })),
    );
    // internal routes: one host per instance
    const internal = report.instances.filter((i: { app: string }) => i.app === "inventory-api");
    expect(internal.map((i: { url: string }) => i.url)).toEqual([
      "http://0.inventory-api.apps.internal:8080/metrics",
      "http://1.inventory-api.apps.internal:8080/metrics",
    ]);
    expect(report.targets.map((t: { instances: number }) => t.instances)).toEqual([5, 3, 0, 0]);
    expect(report.targets[2].problem).toBe("organization no-such-org not found");
  });

  it("exits 1 when the login fails, without printing the password", async () => {
    const wrong = "not-the-password-7";
    const result = await resolveCli(dir.write("login.yml", config(MIXED_TARGETS)), [], wrong);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("login to Cloud Foundry failed");
    expect(result.stderr).toContain('user "demo"');
    expect(result.stdout).toBe("");
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  it("exits 1 when the Cloud Controller cannot be reached", async () => {
    // a port that was free a moment ago: nothing listens there
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const file = dir.write("unreachable.yml", config(MIXED_TARGETS, `https://127.0.0.1:${port}`));
    const result = await resolveCli(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cannot use the Cloud Controller (https://127.0.0.1:${port})`);
    expect(result.stderr).toContain("ECONNREFUSED");
  });

  it("exits 1 when the Cloud Controller fails for one target, and reports it next to the others", async () => {
    // every attempt (first try and retries) at listing apps fails; the second target needs no app list
    sim.admin.injectFailures({ count: 50, status: 500, pathPrefix: "/v3/apps" });
    const targets = "    - orgName: acme-prod\n    - orgName: no-such-org\n";
    const result = await resolveCli(dir.write("cc-error.yml", config(targets)));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/#0 +org=acme-prod space=\* app=\* +0 +matched nothing: .*500/);
    expect(result.stdout).toMatch(
      /#1 +org=no-such-org .* matched nothing: organization no-such-org not found/,
    );
    expect(result.stdout).toContain("The Cloud Controller failed while resolving:");
  });

  it("exits 1 when the Cloud Controller fails for every target", async () => {
    sim.admin.injectFailures({ count: 50, status: 500, pathPrefix: "/v3/apps" });
    const result = await resolveCli(dir.write("cc-down.yml", config("    - orgName: acme-prod\n")));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("resolving the targets failed");
    expect(result.stderr).toContain("500");
  });

  it("gives up after --timeout with exit 1", async () => {
    sim.admin.setLatency(5000);
    const file = dir.write("slow.yml", config("    - orgName: acme-prod\n"));
    const result = await resolveCli(file, ["--timeout", "0.5"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("gave up");
    expect(result.stderr).toContain("no result within 0.5 s");
  });

  it("exits 2 when cf.api_host is not set", async () => {
    const file = dir.write("no-api.yml", "promregator:\n  targets:\n    - orgName: a\n");
    const result = await runCli(["check-config", file, "--resolve"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("cf.api_host");
  });
});

describe("several foundations", () => {
  it("resolves each foundation's targets against its own Cloud Controller and reports them under its name", async () => {
    const yaml = `${config(`    - orgName: acme-prod
      spaceName: checkout
    - orgName: acme-dev
      foundation: second
`)}foundations:
  - name: second
    api_host: ${sim.apiUrl}
    username: demo
    request.backoff: 10
`;
    const file = dir.write("foundations.yml", yaml);
    const result = await runCli(["check-config", file, "--resolve", "--json"], {
      env: { CF_PASSWORD: PASSWORD, FOUNDATIONS_0_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: caFile },
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      foundations: { name: string; ok: boolean; targets: { targetIndex: number; description: string }[] }[];
    };
    expect(report.foundations.map((f) => [f.name, f.ok])).toEqual([
      ["default", true],
      ["second", true],
    ]);
    expect(report.foundations[0].targets.map((t) => t.targetIndex)).toEqual([0]);
    expect(report.foundations[1].targets).toEqual([
      expect.objectContaining({
        targetIndex: 1,
        description: "foundation=second org=acme-dev space=* app=*",
      }),
    ]);
    expect(result.stderr).toContain("foundation second:");
  });

  it("reports an app guid that two foundations list, served from the first only, as the status page does", async () => {
    // Both foundations are the one simulator: every app of the second is one the first lists already.
    const yaml = `${config(`    - orgName: acme-prod
      spaceName: checkout
    - orgName: acme-prod
      spaceName: checkout
      foundation: second
`)}foundations:
  - name: second
    api_host: ${sim.apiUrl}
    username: demo
    request.backoff: 10
`;
    const file = dir.write("same-app-guid.yml", yaml);
    const env = { CF_PASSWORD: PASSWORD, FOUNDATIONS_0_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: caFile };
    const json = await runCli(["check-config", file, "--resolve", "--json"], { env });
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as {
      foundations: {
        name: string;
        instances: unknown[];
        targets: { instances: number; kind?: string; problem?: string }[];
      }[];
    };
    const [first, second] = report.foundations;
    expect(first.targets[0]).toMatchObject({ kind: "same-app-guid" });
    expect(first.targets[0].instances).toBeGreaterThan(0);
    expect(first.targets[0].problem).toContain("only this foundation's instances are served");
    expect(second.targets[0]).toMatchObject({ instances: 0, kind: "same-app-guid" });
    expect(second.targets[0].problem).toContain("is also found in foundation default");
    expect(second.instances).toEqual([]);
    const text = await runCli(["check-config", file, "--resolve"], { env });
    expect(text.stdout).toMatch(
      /matched nothing: app \S+ \(guid [^)]+\) is also found in foundation default/,
    );
  });

  it("does not contact a foundation that no target names, as the server does not", async () => {
    // The cf: block points at a closed port: contacting it would fail the run with exit 1.
    const yaml = `${config(
      `    - orgName: acme-prod
      spaceName: checkout
      foundation: second
`,
      "https://127.0.0.1:1",
    )}foundations:
  - name: second
    api_host: ${sim.apiUrl}
    username: demo
    request.backoff: 10
`;
    const file = dir.write("unused-foundation.yml", yaml);
    const result = await runCli(["check-config", file, "--resolve", "--strict", "--json"], {
      env: { CF_PASSWORD: PASSWORD, FOUNDATIONS_0_PASSWORD: PASSWORD, NODE_EXTRA_CA_CERTS: caFile },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("foundation default: no target names it; not contacted");
    const report = JSON.parse(result.stdout) as { foundations: { name: string; ok: boolean }[] };
    expect(report.foundations.map((f) => [f.name, f.ok])).toEqual([["second", true]]);
  });
});
