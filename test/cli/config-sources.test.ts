import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG_PATH } from "../../src/config/index.js";
import { assertBuilt, CLI, runCli, scratchDir } from "./run-cli.js";

const dir = scratchDir();
beforeAll(assertBuilt);
afterAll(() => dir.remove());

const CF_ENV = { CF_API_HOST: "http://127.0.0.1:9", CF_USERNAME: "u", CF_PASSWORD: "pw" };
// With the Docker location present, a file is always found; these tests are about having none.
const dockerPathPresent = existsSync(DEFAULT_CONFIG_PATH);

describe.concurrent("where promregator takes its configuration from", () => {
  it.skipIf(dockerPathPresent)(
    "check-config accepts a configuration from the environment alone",
    async () => {
      const result = await runCli(["check-config"], {
        env: { ...CF_ENV, PROMREGATOR_TARGETS_0_ORGNAME: "o" },
      });
      expect(result.stderr).toContain("configuration from the environment is valid");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("orgName: o");
      expect(result.stdout).not.toContain("pw");
    },
  );

  it.skipIf(dockerPathPresent)("check-config accepts SPRING_APPLICATION_JSON alone", async () => {
    const json = JSON.stringify({
      cf: { api_host: "api.example.com", username: "u", password: "pw" },
      promregator: { targets: [{ orgName: "from-json" }] },
    });
    const result = await runCli(["check-config"], { env: { SPRING_APPLICATION_JSON: json } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("orgName: from-json");
  });

  it.skipIf(dockerPathPresent)(
    "starts from the environment alone, without a configuration file",
    async () => {
      const child = spawn(process.execPath, [CLI], {
        env: {
          PATH: process.env.PATH ?? "/usr/bin",
          ...CF_ENV,
          PROMREGATOR_TARGETS_0_ORGNAME: "o",
          SERVER_PORT: "0",
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      const outcome = await new Promise<string>((resolve) => {
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes(" listening on ")) resolve("listening");
        });
        child.on("exit", (code) => resolve(`exited ${code}`));
      });
      child.kill("SIGKILL");
      expect(outcome, stderr).toBe("listening");
    },
  );

  it("reads a .properties file", async () => {
    const file = dir.write(
      "promregator.properties",
      "cf.api_host=api.example.com\ncf.username=u\ncf.password=pw\npromregator.targets[0].orgName=props\n",
    );
    const result = await runCli(["check-config", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("orgName: props");
  });

  it("refuses a path that is no regular file at once, with exit 2", async () => {
    for (const path of ["/dev/zero", dir.path("")]) {
      const result = await runCli(["--config", path]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/not a regular file/);
    }
  });

  it("prints the warnings found before a fatal error", async () => {
    const file = dir.write(
      "profiles.yml",
      "promregator.targets:\n  - orgName: o\n---\nspring.config.activate.on-profile: dev\ncf.api_host: x\n",
    );
    const result = await runCli(["--config", file]);
    expect(result.code).toBe(2);
    const warning = result.stderr.indexOf("a document limited to the Spring profile dev is skipped");
    const error = result.stderr.indexOf("configuration error: cf.api_host: is required");
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(error).toBeGreaterThan(warning);
  });
});
