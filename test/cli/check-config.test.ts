import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { decryptValue, encryptValue } from "../../src/config/index.js";
import { assertBuilt, runCli, scratchDir } from "./run-cli.js";

const FILE_PASSWORD = "file-secret-pw-1";
const ENV_INBOUND_PASSWORD = "env-secret-pw-2";
const CIPHER_PLAINTEXT = "cipher-secret-pw-3";
const ENCRYPT_KEY = "check-config-test-key";

const dir = scratchDir();
beforeAll(assertBuilt);
afterAll(() => dir.remove());

function validYaml(): string {
  return `cf:
  api_host: api.cf.example.org
  username: monitoring
  password: ${FILE_PASSWORD}
promregator:
  targetAuthenticators:
    - id: app-basic
      type: basic
      basic:
        username: scraper
        password: '{cipher}${encryptValue(CIPHER_PLAINTEXT, ENCRYPT_KEY)}'
  targets:
    - orgName: acme
      spaceName: prod
      authenticatorId: app-basic
`;
}

describe.concurrent("promregator check-config (without --resolve)", () => {
  it("prints the effective configuration with every secret as the placeholder of its variable and exits 0", async () => {
    const file = dir.write("valid.yml", validYaml());
    const result = await runCli(["check-config", file], {
      env: { PROMREGATOR_AUTHENTICATION_BASIC_PASSWORD: ENV_INBOUND_PASSWORD, ENCRYPT_KEY },
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`configuration ${file} is valid`);
    const printed = parse(result.stdout);
    // secrets from the file, from the environment and from a {cipher} value all become placeholders
    expect(printed.cf.password).toBe(`\${CF_PASSWORD}`);
    expect(printed.promregator.authentication.basic.password).toBe(
      `\${PROMREGATOR_AUTHENTICATION_BASIC_PASSWORD}`,
    );
    expect(printed.promregator.targetAuthenticators[0].basic.password).toBe(
      `\${PROMREGATOR_TARGETAUTHENTICATORS_0_BASIC_PASSWORD}`,
    );
    // and the rest is the effective configuration, defaults included
    expect(printed.cf.api_host).toBe("api.cf.example.org");
    expect(printed.cf.username).toBe("monitoring");
    expect(printed.promregator.targetAuthenticators[0].basic.username).toBe("scraper");
    expect(printed.promregator.targets[0]).toMatchObject({
      orgName: "acme",
      path: "/metrics",
      protocol: "https",
    });
    expect(printed.promregator.scraping.maxProcessingTime).toBe(5000);
    for (const secret of [FILE_PASSWORD, ENV_INBOUND_PASSWORD, CIPHER_PLAINTEXT, ENCRYPT_KEY]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });

  it("prints promregator.yml keys: the output loaded again is the same configuration, without warnings", async () => {
    const file = dir.write(
      "two-foundations.yml",
      `cf:
  name: eu
  api_host: api.cf.eu.example.org
  username: monitoring
foundations:
  - name: us
    api_host: api.cf.us.example.org:8443
    client_id: us-client
    scraping:
      proxy: {host: proxy.us.example.org, port: 3128}
promregator:
  targets:
    - orgName: shop
      serviceInstanceName: metrics-endpoint
    - orgName: shop
      foundation: us
  scraping:
    proxy: {host: proxy.eu.example.org, port: 8080}
  serviceBindings:
    credentials: ignore
logging:
  level:
    root: warn
    org.cloudfoundry.promregator.cfaccessor: debug
`,
    );
    const env = { CF_PASSWORD: "eu-pw-4", FOUNDATIONS_0_CLIENT_SECRET: "us-secret-5" };
    const first = await runCli(["check-config", file], { env });
    expect(first.code, first.stderr).toBe(0);
    const printed = parse(first.stdout);
    // the file's names, not internal ones: cf.name, foundations[].scraping.proxy, logging.level.<logger>
    expect(printed.cf).toMatchObject({
      name: "eu",
      api_host: "api.cf.eu.example.org",
      password: `\${CF_PASSWORD}`,
    });
    expect(printed.cf).not.toHaveProperty("apiUrl");
    expect(printed.foundations).toHaveLength(1);
    expect(printed.foundations[0]).toMatchObject({
      name: "us",
      api_host: "api.cf.us.example.org:8443",
      client_id: "us-client",
      client_secret: `\${FOUNDATIONS_0_CLIENT_SECRET}`,
      scraping: { proxy: { host: "proxy.us.example.org", port: 3128 } },
    });
    expect(printed.foundations[0]).not.toHaveProperty("scrapingProxy");
    expect(printed.logging).toEqual({ level: { root: "warn", cf: "debug" } });
    expect(printed).not.toHaveProperty("source");
    expect(first.stdout).not.toMatch(/eu-pw-4|us-secret-5/);
    // pasted back as a file, with the same variables it is valid, warns about nothing and prints the same again
    const pasted = dir.write("pasted.yml", first.stdout);
    const again = await runCli(["check-config", pasted], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("warning");
    expect(again.stdout).toBe(first.stdout);
    // without them, the placeholder names what is missing instead of becoming the password
    const bare = await runCli(["check-config", pasted]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("cf.password");
    expect(bare.stderr).toContain(`cannot resolve placeholder \${CF_PASSWORD}`);
  });

  it("warns about a foundation that no target names, and stays valid", async () => {
    const file = dir.write(
      "idle-foundation.yml",
      `cf:
  api_host: api.cf.eu.example.org
  username: monitoring
  password: pw
foundations:
  - name: us
    api_host: api.cf.us.example.org
    username: monitoring
    password: pw
promregator:
  targets:
    - orgName: shop
`,
    );
    const result = await runCli(["check-config", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      'warning: foundations[0] "us": no target names this foundation, so it is not contacted and nothing is discovered there',
    );
  });

  it("exits 2 on a bad value and names the key and file:line, without echoing secrets", async () => {
    const bad = validYaml().replace(
      "  targets:",
      "  scraping:\n    maxProcessingTime: five-seconds\n  targets:",
    );
    const file = dir.write("bad-value.yml", bad);
    const line = bad.split("\n").findIndex((l) => l.includes("five-seconds")) + 1;
    const result = await runCli(["check-config", file], { env: { ENCRYPT_KEY } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`promregator.scraping.maxProcessingTime (${file}:${line})`);
    expect(result.stderr).toContain("expected a whole number");
    expect(result.stdout).toBe("");
    expect(result.stderr).not.toContain(FILE_PASSWORD);
  });

  it("exits 2 when a {cipher} value cannot be decrypted, naming the key but not the key or the value", async () => {
    const file = dir.write("bad-cipher.yml", validYaml());
    const result = await runCli(["check-config", file], { env: { ENCRYPT_KEY: "the-wrong-key" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/promregator\.targetAuthenticators\[0\]\.basic\.password/);
    expect(result.stderr).not.toContain("the-wrong-key");
    expect(result.stderr).not.toContain(CIPHER_PLAINTEXT);
  });

  it("exits 2 for a plain value where the cf section belongs, naming the expected shape", async () => {
    const file = dir.write("cf-scalar.yml", "cf: api.cf.example.com\n");
    const result = await runCli(["check-config", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `cf (${file}:1): must be a mapping of settings (e.g. cf.api_host: ...), not a plain value`,
    );
    expect(result.stderr).not.toContain("unknown key");
  });

  it("warns about misspelt keys and variables, naming the closest known one, and stays valid", async () => {
    const yaml = validYaml().replace("  targets:", "  tragets: []\n  discovery:\n  targets:");
    const file = dir.write("typos.yml", `${yaml}promregatr:\n  x: 1\nlogging:\n  levl: debug\n`);
    const line = (text: string) => yaml.split("\n").findIndex((l) => l.includes(text)) + 1;
    // yaml ends with a newline: its last (empty) line is where `promregatr:` goes; a tree is named at its first value.
    const end = yaml.split("\n").length;
    const env = { ENCRYPT_KEY, PROMREGATOR_TARGET_0_ORGNAME: "o", CF_APIHOTS: "h", CF_INSTANCE_GUID: "g" };
    const result = await runCli(["check-config", file], { env });
    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr.split("\n").filter((l) => l.includes("warning:"));
    expect(warnings.map((w) => w.replace(/^.*warning: /, ""))).toEqual([
      `promregator.tragets (${file}:${line("tragets")}): unknown key, ignored; did you mean promregator.targets?`,
      `promregatr (${file}:${end + 1}): unknown key, ignored; did you mean promregator?`,
      `logging.levl (${file}:${end + 3}): unknown key, ignored; did you mean logging.level?`,
      "environment variable CF_APIHOTS sets no known key and is ignored; did you mean CF_API_HOST?",
      "environment variable PROMREGATOR_TARGET_0_ORGNAME sets no known key and is ignored; did you mean PROMREGATOR_TARGETS_0_ORGNAME?",
    ]);
  });

  it("exits 2 when the file does not exist", async () => {
    const missing = dir.path("no-such-file.yml");
    const result = await runCli(["check-config", missing]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`cannot read the configuration file ${missing} (ENOENT)`);
  });

  it("exits 2 for --strict without --resolve and for an unknown option", async () => {
    const file = dir.write("plain.yml", validYaml());
    const strict = await runCli(["check-config", file, "--strict"], { env: { ENCRYPT_KEY } });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain("only apply together with --resolve");
    const unknown = await runCli(["check-config", file, "--no-such-option"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--no-such-option'");
  });
});

describe.concurrent("promregator --version and --help", () => {
  it("prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../package.json"), "utf8"));
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(pkg.version);
  });

  it("`help <command>` prints that command's help, as `<command> --help` does", async () => {
    for (const command of ["demo", "check-config"]) {
      const [help, flag] = await Promise.all([runCli(["help", command]), runCli([command, "--help"])]);
      expect(help.code, help.stderr).toBe(0);
      expect(help.stdout).toContain(`Usage: promregator ${command} [options]`);
      expect(help.stdout).toBe(flag.stdout);
    }
    expect((await runCli(["help", "demo"])).stdout).toContain("--two-foundations");
  });

  it("lists the commands and the --config option", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const word of ["--config <file>", "check-config", "demo", "encrypt"]) {
      expect(result.stdout).toContain(word);
    }
  });

  it("lists the program's options, --config among them, in each command's help", async () => {
    for (const command of ["healthcheck", "check-config"]) {
      const result = await runCli([command, "--help"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Global Options:[\s\S]*--config <file>[\s\S]*--web\.listen-address/);
    }
  });

  it("documents --resolve, --strict and the exit codes of check-config", async () => {
    const result = await runCli(["check-config", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--resolve");
    expect(result.stdout).toContain("--strict");
    expect(result.stdout).toMatch(/Exit codes:[\s\S]*\b1 {2}with --resolve: Cloud Controller unreachable/);
    expect(result.stdout).toMatch(
      /\b3 {2}with --resolve --strict: a configured target matched no app instance, or nothing at all\s+would be scraped/,
    );
  });
});

describe.concurrent("promregator encrypt", () => {
  it("produces a {cipher} value that the configuration loader decrypts", async () => {
    const result = await runCli(["encrypt"], { env: { ENCRYPT_KEY }, input: "round-trip-secret\n" });
    expect(result.code).toBe(0);
    const match = /^'\{cipher\}([0-9a-f]+)'\n$/.exec(result.stdout);
    expect(match).not.toBeNull();
    expect(decryptValue(match![1], ENCRYPT_KEY)).toBe("round-trip-secret");
    expect(result.stdout + result.stderr).not.toContain("round-trip-secret");

    const file = dir.write(
      "encrypted.yml",
      `cf:\n  api_host: api.cf.example.org\n  username: u\n  password: ${result.stdout.trim()}\n`,
    );
    const check = await runCli(["check-config", file], { env: { ENCRYPT_KEY } });
    expect(check.code).toBe(0);
    expect(parse(check.stdout).cf.password).toBe(`\${CF_PASSWORD}`);
  });

  it("exits 2 without ENCRYPT_KEY", async () => {
    const result = await runCli(["encrypt"], { input: "value\n" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("ENCRYPT_KEY");
  });
});
