import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemo } from "../../src/demo.js";
import { silentLogger } from "../../src/log.js";
import { assertBuilt, runCli, scratchDir } from "./run-cli.js";

beforeAll(assertBuilt);

describe("promregator demo", () => {
  let printed = "";
  let demo: Awaited<ReturnType<typeof runDemo>>;

  beforeAll(async () => {
    demo = await runDemo({
      port: 0,
      address: "127.0.0.1",
      logger: silentLogger,
      print: (t) => {
        printed += t;
      },
    });
  }, 60_000);
  afterAll(() => demo?.close());

  it("prints the status page first and how to choose another port", () => {
    const urls = [...printed.matchAll(/^ {2}([A-Z][\w /]+):\s+(http\S+)/gm)];
    expect(urls[0][1]).toBe("Status page");
    expect(urls[0][2]).toBe(`${demo.app.url}/`);
    expect(printed).toContain("npm start -- --port 9090");
  });

  it("prints a check-config --resolve command that works against the running simulator", async () => {
    const line = printed
      .split("\n")
      .find((l) => l.includes("check-config --resolve"))!
      .trim();
    const match =
      /^(?:NODE_EXTRA_CA_CERTS=(\S+) )?CF_PASSWORD=(\S+) node (\S+) check-config --resolve (\S+)$/.exec(line);
    expect(match, line).not.toBeNull();
    const [, ca, password, , file] = match!;
    const run = await runCli(["check-config", "--resolve", file], {
      env: { CF_PASSWORD: password, ...(ca && { NODE_EXTRA_CA_CERTS: ca }) },
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Would scrape \d+ instances/);
    expect(run.stdout).toContain("cart-service");
  });
});

describe("check-config --resolve with promregator.simulation.enabled", () => {
  const dir = scratchDir();
  afterAll(() => dir.remove());

  it("resolves against the simulated landscape, with no Cloud Foundry at hand", async () => {
    const file = dir.write(
      "simulation.yml",
      "promregator:\n  simulation: {enabled: true, instances: 2}\n  targets: [{orgName: simorg, applicationName: testapp7}]\n",
    );
    const run = await runCli(["check-config", "--resolve", "--json", file], { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("simulation mode");
    const report = JSON.parse(run.stdout);
    expect(JSON.stringify(report)).toContain("testapp7");
  });
});
