import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemo } from "../../src/demo.js";
import { silentLogger } from "../../src/log.js";
import { assertBuilt, CLI, runCli, scratchDir } from "./run-cli.js";

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

  it("prints one instance's scrape URL, which answers with that instance's metrics", async () => {
    const url = /^ {2}One instance:\s+(http\S+)$/m.exec(printed)?.[1];
    expect(url).toMatch(new RegExp(`^${demo.app.url}/singleTargetMetrics/[0-9a-f-]+/\\d+$`));
    const res = await request(url as string);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toContain("promregator_up 1.0");
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

describe("promregator demo --two-foundations", () => {
  let demo: Awaited<ReturnType<typeof runDemo>>;
  let printed = "";

  beforeAll(async () => {
    demo = await runDemo({
      port: 0,
      address: "127.0.0.1",
      logger: silentLogger,
      twoFoundations: true,
      print: (t) => {
        printed += t;
      },
    });
  }, 60_000);
  afterAll(() => demo?.close());

  type Group = { targets: string[]; labels: Record<string, string> };
  const instances = async () => {
    const res = await fetch(`${demo.app.url}/discovery`);
    expect(res.status).toBe(200);
    const groups = (await res.json()) as Group[];
    return groups.filter((g) => g.labels.__meta_promregator_target_applicationName !== undefined);
  };

  it("serves both foundations' instances in /discovery, labelled with their foundation", async () => {
    const found = await instances();
    const byFoundation = new Map<string, Group[]>();
    for (const g of found) {
      const name = g.labels.__meta_promregator_target_foundation;
      byFoundation.set(name, [...(byFoundation.get(name) ?? []), g]);
    }
    expect([...byFoundation.keys()].sort()).toEqual(["eu", "us"]);
    // eu: every started app; us: only the app bound to metrics-endpoint, at the path of its binding
    expect(
      new Set(byFoundation.get("eu")!.map((g) => g.labels.__meta_promregator_target_applicationName)),
    ).toEqual(
      new Set(["cart-service", "payment-gateway", "node-exporter-demo", "inventory-api", "recommender"]),
    );
    const us = byFoundation.get("us")!;
    expect(us.map((g) => g.labels.__meta_promregator_target_applicationName)).toEqual([
      "payment-gateway",
      "payment-gateway",
    ]);
    // the same app in both foundations has two guids, as on two real Cloud Controllers
    const guidOf = (g: Group) => g.labels.__meta_promregator_target_instanceId.split(":")[0];
    const euGateway = byFoundation
      .get("eu")!
      .find((g) => g.labels.__meta_promregator_target_applicationName === "payment-gateway")!;
    expect(guidOf(us[0])).not.toBe(guidOf(euGateway));
    expect(printed).toContain("cf_foundation");
  });

  it("keeps --two-foundations in the hint for another port", () => {
    expect(printed).toContain("npm start -- --port 9090 --two-foundations");
  });

  it("prints curl commands that take the second foundation's API down and back up", async () => {
    const lines = printed.split("\n").filter((l) => l.includes("/admin/outage"));
    expect(lines).toHaveLength(2);
    const parse = (line: string) => {
      const m =
        /^ {2}curl --cacert (\S+) -X POST -H 'content-type: application\/json' -d '([^']*)' (\S+)$/.exec(
          line,
        );
      expect(m, line).not.toBeNull();
      return { ca: m![1], body: m![2], url: m![3] };
    };
    const [down, up] = lines.map(parse);
    expect(down.url).toBe(`${demo.second!.apiUrl}/admin/outage`);
    const agent = new Agent({ connect: { ca: readFileSync(down.ca, "utf8") } });
    const post = async (c: { body: string; url: string }) => {
      const res = await request(c.url, {
        method: "POST",
        body: c.body,
        headers: { "content-type": "application/json" },
        dispatcher: agent,
      });
      await res.body.dump();
      return res.statusCode;
    };
    const info = async () => {
      const res = await request(`${demo.second!.apiUrl}/v3/info`, { dispatcher: agent });
      await res.body.dump();
      return res.statusCode;
    };
    try {
      expect(await post(down)).toBe(200);
      expect(await info()).toBe(503);
      expect(await post(up)).toBe(200);
      expect(await info()).toBe(200);
    } finally {
      await agent.close();
    }
  });

  it("scrapes the bound app of the second foundation at the path its binding names", async () => {
    const [bound] = (await instances()).filter((g) => g.labels.__meta_promregator_target_foundation === "us");
    const res = await fetch(`${demo.app.url}${bound.labels.__meta_promregator_target_path}`);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.text()).toMatch(/^# (HELP|TYPE) /m);
  });
});

describe("promregator demo (the command)", () => {
  /** Starts `promregator demo --port 0 <args>`, waits for its printed URLs, stops it and returns stderr. */
  const demoStderr = (args: string[]) =>
    new Promise<string>((resolvePromise, reject) => {
      const child = spawn(process.execPath, [CLI, "demo", "--port", "0", ...args], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
      });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`demo did not start:\n${stdout}\n${stderr}`));
      }, 60_000);
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes("Press Ctrl+C")) child.kill("SIGTERM");
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.on("close", () => {
        clearTimeout(timer);
        resolvePromise(stderr);
      });
    });

  it("logs at the level of --log.level, in the format of --log.format", async () => {
    const stderr = await demoStderr(["--log.level", "info", "--log.format", "logfmt"]);
    expect(stderr).toMatch(/level=info .*msg=/);
  }, 70_000);

  it("logs nothing below warn by default", async () => {
    const stderr = await demoStderr([]);
    expect(stderr).not.toMatch(/"level":30|level=info/);
  }, 70_000);
});
