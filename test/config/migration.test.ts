import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { type ConfigError, loadConfig, loadStartupConfig, MAX_CONFIG_BYTES } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { errorOf, load, MINIMAL_CF } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "promregator-migration-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CF_ENV = { CF_API_HOST: "api.example.com", CF_USERNAME: "u", CF_PASSWORD: "p" };

describe("logging.level.<logger> (Spring Boot's per-logger levels)", () => {
  it("accepts a Java package, flat or nested, and sets the level of the module doing its job", () => {
    const flat = load(`${MINIMAL_CF}logging.level.org.cloudfoundry.promregator.cfaccessor: DEBUG\n`);
    expect(flat.config.logging).toEqual({ level: "info", modules: { cf: "debug" } });
    const nested = load(
      `${MINIMAL_CF}logging:\n  level:\n    org:\n      cloudfoundry:\n        promregator:\n          fetcher: TRACE\n          scanner: ERROR\n    root: WARN\n`,
    );
    expect(nested.config.logging).toEqual({
      level: "warn",
      modules: { scrape: "trace", discovery: "error" },
    });
    expect(nested.warnings).toEqual([]);
  });

  it("lets org.cloudfoundry.promregator win over root, and OFF silence everything", () => {
    const { config } = load(
      `${MINIMAL_CF}logging.level:\n  root: ERROR\n  org.cloudfoundry.promregator: OFF\n`,
    );
    expect(config.logging.level).toBe("silent");
  });

  it("warns that a logger which names no part of Promregator has no effect", () => {
    const { warnings } = load(
      `${MINIMAL_CF}logging.level.org.springframework.web: DEBUG\nlogging.level.org.cloudfoundry.promregator.springconfig: INFO\n`,
    );
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^logging\.level\.org\.cloudfoundry\.promregator\.springconfig \(promregator\.yml:6\) has no effect/,
    );
    expect(warnings[1]).toMatch(
      /^logging\.level\.org\.springframework\.web \(promregator\.yml:5\) has no effect/,
    );
  });

  it("says that a class-level logger sets the level of its whole module", () => {
    const { config, warnings } = load(
      `${MINIMAL_CF}logging.level.org.cloudfoundry.promregator.cfaccessor.ReactiveCFAccessorImpl: DEBUG\n`,
    );
    expect(config.logging.modules).toEqual({ cf: "debug" });
    expect(warnings).toEqual([
      "logging.level.org.cloudfoundry.promregator.cfaccessor.ReactiveCFAccessorImpl (promregator.yml:5) sets the level of the whole cf module (loggers here are per module, not per class)",
    ]);
  });

  it("reads LOGGING_LEVEL_... variables, underscores standing for dots", () => {
    const { config } = load(MINIMAL_CF, {
      env: { LOGGING_LEVEL_ORG_CLOUDFOUNDRY_PROMREGATOR_CFACCESSOR: "debug", LOGGING_LEVEL_ROOT: "warn" },
    });
    expect(config.logging).toEqual({ level: "warn", modules: { cf: "debug" } });
  });

  it("refuses an unknown level, naming the logger key", () => {
    expect(errorOf(`${MINIMAL_CF}logging.level.org.cloudfoundry.promregator.scanner: LOUD\n`)).toBe(
      'logging.level.org.cloudfoundry.promregator.scanner (promregator.yml:5): expected one of trace, debug, info, warn, warning, error, fatal, off, got "LOUD"',
    );
    expect(errorOf(`${MINIMAL_CF}logging.level: DEBUG\n`)).toMatch(
      /^logging\.level \(promregator\.yml:5\): must map logger names to levels/,
    );
  });

  it("applies a module's level to that module's child logger only", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger("info", sink, { cf: "debug" });
    logger.child({ module: "cf" }).debug("cf detail");
    logger.child({ module: "scrape" }).debug("scrape detail");
    logger.debug("root detail");
    logger.child({ module: "scrape" }).info("scrape info");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["cf detail", "scrape info"]);
  });
});

describe("configuration from the environment only", () => {
  it("needs no file when the environment has the settings", () => {
    const { config } = loadStartupConfig(undefined, {
      ...CF_ENV,
      PROMREGATOR_TARGETS_0_ORGNAME: "o",
      PROMREGATOR_CONFIG: "",
    });
    expect(config.cf.apiUrl).toBe("https://api.example.com");
    expect(config.promregator.targets.map((t) => t.orgName)).toEqual(["o"]);
    expect(config.source).toBeUndefined();
  });

  it("reads SPRING_APPLICATION_JSON, nested or with dotted keys", () => {
    const json = JSON.stringify({
      cf: { api_host: "api.example.com", username: "u", password: "p" },
      "promregator.targets": [{ orgName: "o", applicationRegex: "app-.*" }],
      promregator: { scraping: { maxProcessingTime: 3000 } },
    });
    const { config } = loadStartupConfig(undefined, { SPRING_APPLICATION_JSON: json });
    expect(config.promregator.targets[0]).toMatchObject({ orgName: "o", applicationRegex: "app-.*" });
    expect(config.promregator.scraping.maxProcessingTime).toBe(3000);
  });

  it("takes SPRING_APPLICATION_JSON over other variables over the file, as Spring Boot orders them", () => {
    const text = `${MINIMAL_CF}promregator:\n  scraping:\n    maxProcessingTime: 1000\n    connectionTimeout: 900\n    socketReadTimeout: 800\n`;
    const { config } = loadConfig({
      text,
      env: {
        PROMREGATOR_SCRAPING_MAXPROCESSINGTIME: "2000",
        PROMREGATOR_SCRAPING_CONNECTIONTIMEOUT: "700",
        SPRING_APPLICATION_JSON: '{"promregator":{"scraping":{"maxProcessingTime":3000}}}',
      },
    });
    expect(config.promregator.scraping).toMatchObject({
      maxProcessingTime: 3000,
      connectionTimeout: 700,
      socketReadTimeout: 800,
    });
  });

  it("names SPRING_APPLICATION_JSON in errors, without quoting it", () => {
    expect(() => loadConfig({ env: { SPRING_APPLICATION_JSON: '{"cf": {"password": "s3cr3t",}}' } })).toThrow(
      /^SPRING_APPLICATION_JSON is not valid JSON/,
    );
    try {
      loadConfig({ env: { SPRING_APPLICATION_JSON: '{"cf": {"password": "s3cr3t",}}' } });
    } catch (err) {
      expect((err as Error).message).not.toContain("s3cr3t");
    }
    expect(() => loadConfig({ env: { SPRING_APPLICATION_JSON: '["a"]' } })).toThrow(/must be a JSON object/);
    const json =
      '{"cf":{"api_host":"api.example.com","username":"u","password":"p","request":{"backoff":"soon"}}}';
    expect(() => loadConfig({ env: { SPRING_APPLICATION_JSON: json } })).toThrow(
      "cf.request.backoff (environment variable SPRING_APPLICATION_JSON): expected a whole number",
    );
  });

  it("still says what to do when there is neither a file nor settings in the environment", () => {
    expect(() => loadStartupConfig(undefined, { PORT: "8080" })).toThrow(/^no configuration found/);
  });
});

describe(".properties files", () => {
  const properties = [
    "# Java's promregator.properties",
    "cf.api_host=api.example.com",
    "cf.username : monitoring",
    "cf.password   s3cr3t",
    "promregator.targets[0].orgName=acme",
    "promregator.targets[0].applicationRegex=app-\\\\d+",
    "promregator.targets[0].preferredRouteRegex[0]=.*\\u00e9.*",
    "promregator.targets[0].path=/custom\\",
    "    /metrics",
    "logging.level.org.cloudfoundry.promregator=WARN",
    "",
  ].join("\n");

  it("are read like the Java version reads them (separators, escapes, continuation lines)", () => {
    const file = join(dir, "promregator.properties");
    writeFileSync(file, properties);
    const { config, warnings } = loadConfig({ file, env: {} });
    expect(warnings).toEqual([]);
    expect(config.cf.username).toBe("monitoring");
    expect(config.cf.password).toBe("s3cr3t");
    expect(config.promregator.targets[0]).toMatchObject({
      orgName: "acme",
      applicationRegex: "app-\\d+",
      preferredRouteRegex: [".*é.*"],
      path: "/custom/metrics",
    });
    expect(config.logging.level).toBe("warn");
  });

  it("name the file and line in errors, and skip Spring profile documents after #---", () => {
    const file = join(dir, "bad.properties");
    writeFileSync(
      file,
      `${properties}#---\nspring.config.activate.on-profile=dev\ncf.api_host=dev.example.com\n!---\npromregator.targets[0].protocol=HTTP\n`,
    );
    let error: ConfigError | undefined;
    try {
      loadConfig({ file, env: {} });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.message).toBe(
      `promregator.targets[0].protocol (${file}:15): must be exactly "http" or "https" (lower case), got "HTTP"`,
    );
    expect(error?.warnings).toEqual([
      `${file}:12: a document limited to the Spring profile dev is skipped: the active profiles are default (no profile is activated, so the default profile is active)`,
    ]);
  });

  it("are found in the working directory when there is no promregator.yml", () => {
    const cwd = join(dir, "cwd");
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, "promregator.properties"), properties);
    const output = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { locateConfigFile } from ${JSON.stringify(`${process.cwd()}/dist/config/index.js`)}; process.stdout.write(String(locateConfigFile(undefined, {}, ${JSON.stringify(cwd)})))`,
      ],
      { encoding: "utf8" },
    );
    expect(output).toBe(join(cwd, "promregator.properties"));
  });

  it("that are named .yml get a hint instead of a bare YAML error", () => {
    expect(errorOf("cf.api_host=api.example.com\n")).toMatch(
      /a \.properties file must be named \*\.properties/,
    );
  });
});

describe("a single-value key given a list or mapping", () => {
  it("is refused for applicationName, naming the key and what to do instead", () => {
    const yaml = `${MINIMAL_CF}promregator:\n  targets:\n    - orgName: o\n      applicationName:\n        - app1\n        - app2\n`;
    expect(errorOf(yaml)).toBe(
      "promregator.targets[0].applicationName (promregator.yml:9): expects a single name; use applicationRegex or one target per app (got a list)",
    );
  });

  it("is refused for the other names and regexes, for maps, and in every source", () => {
    expect(errorOf(`${MINIMAL_CF}promregator.targets:\n  - orgName: [a, b]\n`)).toMatch(
      /^promregator\.targets\[0\]\.orgName \(promregator\.yml:6\): expects a single name; use orgRegex or one target per organisation \(got a list\)$/,
    );
    expect(errorOf(`${MINIMAL_CF}promregator.targets:\n  - spaceName: {x: y}\n`)).toMatch(
      /spaceName \(promregator\.yml:6\): expects a single name; use spaceRegex .*\(got a mapping\)$/,
    );
    expect(errorOf(`${MINIMAL_CF}promregator.targets:\n  - applicationRegex: [a, b]\n`)).toMatch(
      /applicationRegex \(promregator\.yml:6\): expects a single regular expression; join alternatives with \|/,
    );
    expect(errorOf(`${MINIMAL_CF}promregator.targets:\n  - path: [a]\n`)).toMatch(
      /^promregator\.targets\[0\]\.path \(promregator\.yml:6\): expects a single value, not a list or mapping$/,
    );
    expect(errorOf(`${MINIMAL_CF}promregator.authenticator:\n  type: [basic]\n`)).toMatch(
      /^promregator\.authenticator\.type \(promregator\.yml:6\): expects a single value/,
    );
    expect(errorOf(`${MINIMAL_CF}promregator.targets:\n  - preferredRouteRegex: {a: b}\n`)).toMatch(
      /preferredRouteRegex \(promregator\.yml:6\): expects a list of strings$/,
    );
    expect(errorOf(MINIMAL_CF, { env: { PROMREGATOR_TARGETS_0_APPLICATIONNAME_1: "app2" } })).toBe(
      "promregator.targets[0].applicationName (environment variable PROMREGATOR_TARGETS_0_APPLICATIONNAME_1): expects a single name; use applicationRegex or one target per app (got a list)",
    );
    expect(
      errorOf(MINIMAL_CF, {
        env: { SPRING_APPLICATION_JSON: '{"promregator":{"targets":[{"applicationName":["a","b"]}]}}' },
      }),
    ).toMatch(/^promregator\.targets\[0\]\.applicationName \(environment variable SPRING_APPLICATION_JSON\)/);
  });
});

describe("warnings found before a fatal error", () => {
  it("travel with the error", () => {
    const yaml = `promregator.targets:\n  - orgName: o\n---\nspring.profiles: dev\ncf.api_host: x\n`;
    let error: ConfigError | undefined;
    try {
      load(yaml);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.message).toMatch(/^cf\.api_host: is required/);
    expect(error?.warnings).toEqual([
      "promregator.yml:4: a document limited to the Spring profile dev is skipped: the active profiles are default (no profile is activated, so the default profile is active)",
    ]);
  });
});

describe("a target authenticator without a usable type", () => {
  it("says that its targets fall back to the global authenticator, whose credentials are sent, and suggests type: none", () => {
    const yaml = `${MINIMAL_CF}promregator:
  authenticator:
    type: basic
    basic: {username: global, password: pw}
  targetAuthenticators:
    - id: public
      type: null
  targets:
    - orgName: o
      authenticatorId: public
`;
    const { warnings } = load(yaml);
    expect(warnings).toEqual([
      "promregator.targetAuthenticators[0] has no type (expected none, basic, OAuth2XSUAABasic or OAuth2XSUAACertificate); it is skipped, so targets using it fall back to the global authenticator promregator.authenticator (type basic) and its credentials are sent to them; write `type: none` to send none",
    ]);
  });
});

describe("a configuration path that is no regular file, or too large", () => {
  it("is refused at once: a character device, a directory, a FIFO", () => {
    expect(() => loadConfig({ file: "/dev/zero", env: {} })).toThrow(
      "the configuration file /dev/zero is a character device, not a regular file; name a YAML or .properties file",
    );
    expect(() => loadConfig({ file: dir, env: {} })).toThrow(`the configuration file ${dir} is a directory`);
    const fifo = join(dir, "fifo.yml");
    execFileSync("mkfifo", [fifo]);
    expect(() => loadConfig({ file: fifo, env: {} })).toThrow(`${fifo} is a named pipe (FIFO)`);
  });

  it("is refused, naming the limit, when larger than a few MiB", () => {
    const big = join(dir, "big.yml");
    writeFileSync(big, `${MINIMAL_CF}# ${"x".repeat(MAX_CONFIG_BYTES)}\n`);
    expect(() => loadConfig({ file: big, env: {} })).toThrow(
      new RegExp(`^the configuration file ${big} is too large \\(\\d+ bytes; the limit is 4 MiB\\)$`),
    );
  });
});
