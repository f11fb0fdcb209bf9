import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, runCli, scratchDir } from "./run-cli.js";

// Files named by the configuration get the guards of the configuration file: a FIFO without a writer, an
// endless device or a directory is refused at once with exit 2, naming the key, instead of hanging start-up.
const dir = scratchDir();
const fifo = dir.path("pipe");
const base =
  "cf:\n  api_host: 127.0.0.1:9\n  username: u\n  password: pw\npromregator:\n  targets:\n    - orgName: o\nserver:\n  port: 0\n";
const config = dir.write("promregator.yml", base);
const pem = dir.write("some.pem", "not read before the guard\n");
const bad = () => ["/dev/zero", fifo, dir.path("")];

beforeAll(() => {
  assertBuilt();
  execFileSync("mkfifo", [fifo]);
});
afterAll(() => dir.remove());

describe.concurrent("files named by the configuration", () => {
  it("refuses a --web.config.file that is no regular file", async () => {
    for (const path of bad()) {
      const result = await runCli(["--config", config, "--web.config.file", path], { timeoutMs: 10_000 });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain("--web.config.file");
      expect(result.stderr).toContain("not a regular file");
    }
  });

  it("refuses a cert_file or key_file of the web configuration that is no regular file", async () => {
    for (const [name, path] of [
      ["cert", "/dev/zero"],
      ["key", fifo],
    ]) {
      const other = name === "cert" ? "key" : "cert";
      const web = dir.write(
        `web-${name}.yml`,
        `tls_server_config:\n  ${name}_file: ${path}\n  ${other}_file: ${pem}\n`,
      );
      const result = await runCli(["--config", config, "--web.config.file", web], { timeoutMs: 10_000 });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`tls_server_config.${name}_file`);
      expect(result.stderr).toContain("not a regular file");
    }
  });

  it("refuses a server.tls.cert or server.tls.key that is no regular file, also in check-config", async () => {
    for (const [name, path] of [
      ["cert", "/dev/zero"],
      ["cert", fifo],
      ["key", fifo],
    ]) {
      const other = name === "cert" ? "key" : "cert";
      const file = dir.write(
        `tls-${name}.yml`,
        `${base}  tls:\n    ${name}: ${path}\n    ${other}: ${pem}\n`,
      );
      for (const args of [
        ["--config", file],
        ["check-config", file],
      ]) {
        const result = await runCli(args, { timeoutMs: 10_000 });
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toContain(`server.tls.${name}`);
        expect(result.stderr).toContain("not a regular file");
      }
    }
  });

  it("refuses a server.tls.cert larger than the limit", async () => {
    const big = dir.write("big.pem", "x".repeat(4 * 1024 * 1024 + 1));
    const file = dir.write("tls-big.yml", `${base}  tls:\n    cert: ${big}\n    key: ${pem}\n`);
    const result = await runCli(["check-config", file], { timeoutMs: 10_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("server.tls.cert");
    expect(result.stderr).toContain("too large");
  });
});
