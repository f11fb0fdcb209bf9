import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, runCli, scratchDir } from "./run-cli.js";

const dir = scratchDir();
beforeAll(assertBuilt);
afterAll(() => dir.remove());

/** Every stderr line parses as JSON: nothing for a log shipper to choke on. */
function jsonLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const CF = "cf: {api_host: api.cf.invalid, username: monitoring, password: cf-pw}\n";

describe.concurrent("promregator start-up failures", () => {
  it("refuses to start when an endpoint is BASIC and no inbound password is set, and prints none", async () => {
    const file = dir.write(
      "basic-no-password.yml",
      `${CF}promregator:\n  endpoint: {auth: BASIC}\n  targets: [{orgName: o}]\nserver: {port: 0, address: 127.0.0.1}\n`,
    );
    const run = await runCli(["--config", file]);
    expect(run.code).toBe(2);
    const [line] = jsonLines(run.stderr);
    expect(line.level).toBe("fatal");
    expect(line.msg).toContain("promregator.endpoint.auth is BASIC");
    expect(line.msg).toContain("PROMREGATOR_AUTHENTICATION_BASIC_PASSWORD");
    expect(run.stderr).not.toMatch(/generated password/i);

    const check = await runCli(["check-config", file]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain("promregator.authentication.basic.password");

    const logfmt = await runCli(["--config", file, "--log.format", "logfmt"]);
    expect(logfmt.code).toBe(2);
    expect(logfmt.stderr).toMatch(/^level=fatal ts=\S+ msg="configuration error: /);

    const withPassword = await runCli(["check-config", file], {
      env: { PROMREGATOR_AUTHENTICATION_BASIC_PASSWORD: "inbound-pw" },
    });
    expect(withPassword.code).toBe(0);
  });

  it("reports a port in use as one JSON line with a hint, and exits 1", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const { port } = busy.address() as { port: number };
    try {
      const file = dir.write(
        "busy.yml",
        `${CF}promregator:\n  targets: [{orgName: o}]\nserver: {port: ${port}, address: 127.0.0.1}\n`,
      );
      const run = await runCli(["--config", file]);
      expect(run.code).toBe(1);
      const fatal = jsonLines(run.stderr).find((l) => l.level === "fatal")!;
      expect(fatal.msg).toBe(`cannot listen on 127.0.0.1:${port}: the address is already in use`);
      expect(fatal.code).toBe("EADDRINUSE");
      expect(fatal.hint).toMatch(/another port/);
    } finally {
      busy.close();
    }
  });

  it("refuses an unknown --log.level, and reports a bad command line as a JSON line", async () => {
    const config = dir.write("ok.yml", CF);
    const run = await runCli(["--config", config, "--log.level", "verbose"]);
    expect(run.code).toBe(2);
    const lines = jsonLines(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe("fatal");
    expect(lines[0]?.msg).toMatch(
      /^bad command line: option '--log.level <level>' argument 'verbose' is invalid\. expected one of trace, .*off/,
    );
    const address = await runCli(["--config", config, "--web.listen-address", "localhost"]);
    expect(address.code).toBe(2);
    expect(jsonLines(address.stderr).at(-1)?.msg).toMatch(/^bad command line: .*--web\.listen-address/);
    // the format of the line is the one asked for, wherever --log.format stands
    const logfmt = await runCli(["--config", config, "--log.level", "verbose", "--log.format", "logfmt"]);
    expect(logfmt.code).toBe(2);
    expect(logfmt.stderr).toMatch(/^level=fatal ts=\S+ msg="bad command line: /);
    // Spring's upper-case names still work
    const upper = await runCli(["check-config", config, "--log.level", "DEBUG"]);
    expect(upper.code).toBe(0);
  });

  it("reports a configuration error of the server as JSON too", async () => {
    const run = await runCli(["--config", dir.write("bad.yml", "cf: [1, 2]\n")]);
    expect(run.code).toBe(2);
    expect(jsonLines(run.stderr).at(-1)?.msg).toMatch(/^configuration error: /);
  });
});
