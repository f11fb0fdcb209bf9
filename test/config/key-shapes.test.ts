/**
 * Known keys with the wrong shape, unknown keys (in the file and in the environment), empty list items and
 * empty environment variables over file values: each is named with its key, where it is written and why.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { readYamlProperties } from "../../src/config/yaml-source.js";
import { errorOf, load, MINIMAL_CF } from "./helpers.js";

const TARGET = "promregator:\n  targets:\n    - orgName: o\n";

describe("a known section with the wrong shape", () => {
  it("is fatal for cf, which holds required keys, and names the expected shape", () => {
    expect(errorOf("cf: api.cf.example.com\n")).toBe(
      "cf (promregator.yml:1): must be a mapping of settings (e.g. cf.api_host: ...), not a plain value",
    );
    expect(errorOf("cf:\n  - api_host: api.example.com\n")).toBe(
      "cf (promregator.yml:2): must be a mapping of settings (e.g. cf.api_host: ...), not a list",
    );
  });

  it("is a warning, not 'unknown key', for an optional section given a plain value", () => {
    const { warnings } = load(`${MINIMAL_CF}  cache: 5\nserver: 8080\n`);
    expect(warnings).toEqual([
      "cf.cache (promregator.yml:5): must be a mapping of settings (e.g. cf.cache.type: ...), not a plain value; ignored",
      "server (promregator.yml:6): must be a mapping of settings (e.g. server.port: ...), not a plain value; ignored",
    ]);
  });

  it("is a warning, once, where a list stands for a mapping", () => {
    expect(load(`promregator: []\n${MINIMAL_CF}`).warnings).toEqual([
      "promregator (promregator.yml:1): must be a mapping of settings (e.g. promregator.targets: ...), not a list; ignored",
    ]);
    expect(load(`${MINIMAL_CF}promregator:\n  - a\n  - b\n`).warnings).toEqual([
      "promregator (promregator.yml:6): must be a mapping of settings (e.g. promregator.targets: ...), not a list; ignored",
    ]);
  });

  it("is harmless when empty", () => {
    const yaml = `${MINIMAL_CF}  cache:\n  watchdog: {}\npromregator:\n  discovery:\n  endpoint: ~\nserver:\n`;
    expect(load(yaml).warnings).toEqual([]);
  });

  it("is checked in .properties files too", () => {
    const props = "cf=api.cf.example.com\n";
    expect(errorOf(props, { file: "promregator.properties", format: "properties" })).toBe(
      "cf (promregator.properties:1): must be a mapping of settings (e.g. cf.api_host: ...), not a plain value",
    );
  });
});

describe("unknown keys in the file", () => {
  it("are reported even when written as an empty list, with the closest known key", () => {
    expect(load(`${MINIMAL_CF}promregator:\n  tragets: []\n`).warnings).toEqual([
      "promregator.tragets (promregator.yml:6): unknown key, ignored; did you mean promregator.targets?",
    ]);
  });

  it("name the closest known key below a list item", () => {
    expect(load(`${MINIMAL_CF}promregator:\n  targets:\n    - orgNmae: o\n`).warnings).toEqual([
      "promregator.targets[0].orgNmae (promregator.yml:7): unknown key, ignored; did you mean promregator.targets[0].orgName?",
    ]);
  });

  it("are reported at the top level, once per tree", () => {
    const yaml = `${MINIMAL_CF}promregatr:\n  targets:\n    - orgName: o\n    - orgName: p\nprometheus:\n  x: 1\n`;
    expect(load(yaml).warnings).toEqual([
      "promregatr (promregator.yml:7): unknown key, ignored; did you mean promregator?",
      "prometheus (promregator.yml:10): unknown key, ignored (Promregator reads only cf, promregator, server, foundations, logging, encrypt)",
    ]);
  });

  it("are reported in logging when they are near misses of a key read here", () => {
    expect(load(`${MINIMAL_CF}logging:\n  levl:\n    root: debug\n`).warnings).toEqual([
      "logging.levl.root (promregator.yml:7): unknown key, ignored; did you mean logging.level.root?",
    ]);
    expect(load(`${MINIMAL_CF}logging:\n  levl: debug\n`).warnings).toEqual([
      "logging.levl (promregator.yml:6): unknown key, ignored; did you mean logging.level?",
    ]);
  });

  it("are not reported for a top-level tree that placeholders read", () => {
    const yaml = `cf:\n  api_host: api.example.com\n  username: u\n  password: \${secrets.cf}\nsecrets:\n  cf: pw\n`;
    const { config, warnings } = load(yaml);
    expect(config.cf.password).toBe("pw");
    expect(warnings).toEqual([]);
  });
});

describe("list items without settings", () => {
  const base = `${MINIMAL_CF}promregator:\n  targets:\n`;

  it("are reported when the list has only that item, as in a longer list", () => {
    expect(load(`${base}    - {}\n`).warnings).toEqual([
      "promregator.targets[0] (promregator.yml:7) has no settings and is ignored",
    ]);
    expect(load(`${base}    -\n`).warnings).toEqual([
      "promregator.targets[0] (promregator.yml:7) has no settings and is ignored",
    ]);
  });

  it("are reported wherever they are in the list", () => {
    const { config, warnings } = load(`${base}    - {}\n    - orgName: o\n    -\n`);
    expect(config.promregator.targets.map((t) => t.orgName)).toEqual(["o"]);
    expect(warnings).toEqual([
      "promregator.targets[0] (promregator.yml:7) has no settings and is ignored",
      "promregator.targets[2] (promregator.yml:9) has no settings and is ignored",
    ]);
  });

  it("are not reported when the environment fills them", () => {
    const { config, warnings } = load(`${base}    - {}\n`, { env: { PROMREGATOR_TARGETS_0_ORGNAME: "e" } });
    expect(config.promregator.targets.map((t) => t.orgName)).toEqual(["e"]);
    expect(warnings).toEqual([]);
  });

  it("an empty list in a later document replaces the earlier list, as in Spring", () => {
    const props = readYamlProperties(`${TARGET}---\npromregator:\n  targets: []\n`, "x.yml", []);
    expect([...props.keys()]).toEqual(["promregator.targets"]);
  });
});

describe("environment variables that set no key", () => {
  const file = `${MINIMAL_CF}${TARGET}`;

  it("are reported for PROMREGATOR_*, with the closest known variable", () => {
    const env = {
      PROMREGATOR_TARGET_0_ORGNAME: "o",
      PROMREGATOR_TARGETS_0_APPLICATIONNAMES: "a",
      PROMREGATOR_SOMETHING: "x",
    };
    expect(load(file, { env }).warnings).toEqual([
      "environment variable PROMREGATOR_SOMETHING sets no known key and is ignored (docs/configuration.md names the variable of each key)",
      "environment variable PROMREGATOR_TARGETS_0_APPLICATIONNAMES sets no known key and is ignored; did you mean PROMREGATOR_TARGETS_0_APPLICATIONNAME?",
      "environment variable PROMREGATOR_TARGET_0_ORGNAME sets no known key and is ignored; did you mean PROMREGATOR_TARGETS_0_ORGNAME?",
    ]);
  });

  it("say when they name an old spelling or an ignored key", () => {
    const env = { PROMREGATOR_ENDPOINT_THREADS: "3", PROMREGATOR_GC_RATE: "5" };
    expect(load(file, { env }).warnings).toEqual([
      "environment variable PROMREGATOR_ENDPOINT_THREADS is ignored: promregator.endpoint.threads is an old spelling read only from the file; use PROMREGATOR_SCRAPING_THREADS",
      "environment variable PROMREGATOR_GC_RATE (promregator.gc.rate) is ignored: it tunes the Java virtual machine and has no counterpart here",
    ]);
  });

  it("are not reported for documented variables and those placeholders read", () => {
    const env = { PROMREGATOR_CONFIG: "/x.yml", PROMREGATOR_PASSWORD: "documented in docs/ha.md" };
    expect(load(file, { env }).warnings).toEqual([]);
  });

  it("are not reported when a placeholder of the file reads them", () => {
    const yaml = `${file}  authentication:\n    basic:\n      password: \${PROMREGATOR_INBOUND_PW}\n`;
    const env = { PROMREGATOR_INBOUND_PW: "pw" };
    expect(load(yaml, { env }).warnings).toEqual([]);
  });

  it("are reported for CF_* only as near misses of a cf.* key", () => {
    expect(load(file, { env: { CF_APIHOTS: "api.example.com", CF_PASWORD: "x" } }).warnings).toEqual([
      "environment variable CF_APIHOTS sets no known key and is ignored; did you mean CF_API_HOST?",
      "environment variable CF_PASWORD sets no known key and is ignored; did you mean CF_PASSWORD?",
    ]);
  });

  it("are not reported for what Cloud Foundry and the cf CLI set", () => {
    const env = Object.fromEntries(
      [
        "CF_INSTANCE_ADDR",
        "CF_INSTANCE_CERT",
        "CF_INSTANCE_GUID",
        "CF_INSTANCE_INDEX",
        "CF_INSTANCE_INTERNAL_IP",
        "CF_INSTANCE_IP",
        "CF_INSTANCE_KEY",
        "CF_INSTANCE_PORT",
        "CF_INSTANCE_PORTS",
        "CF_STACK",
        "CF_SYSTEM_CERT_PATH",
        "CF_HOME",
        "CF_TRACE",
        "CF_COLOR",
        "CF_DIAL_TIMEOUT",
        "CF_PLUGIN_HOME",
        "CF_STAGING_TIMEOUT",
        "CF_STARTUP_TIMEOUT",
      ].map((name) => [name, "1"]),
    );
    expect(load(file, { env }).warnings).toEqual([]);
  });

  it("are not reported for the service links Kubernetes sets for a Service named promregator", () => {
    const env = {
      PROMREGATOR_SERVICE_HOST: "10.96.12.3",
      PROMREGATOR_SERVICE_PORT: "8080",
      PROMREGATOR_SERVICE_PORT_HTTP: "8080",
      PROMREGATOR_PORT: "tcp://10.96.12.3:8080",
      PROMREGATOR_PORT_8080_TCP: "tcp://10.96.12.3:8080",
      PROMREGATOR_PORT_8080_TCP_PROTO: "tcp",
      PROMREGATOR_PORT_8080_TCP_PORT: "8080",
      PROMREGATOR_PORT_8080_TCP_ADDR: "10.96.12.3",
    };
    expect(load(file, { env }).warnings).toEqual([]);
    // without the Service's _SERVICE_HOST it is no service link: still named
    expect(load(file, { env: { PROMREGATOR_PORT: "8080" } }).warnings).toHaveLength(1);
  });
});

describe("an empty environment variable over a value of the file", () => {
  const file = `${MINIMAL_CF}${TARGET}`;

  it("is named as the cause when a required key is missing", () => {
    expect(errorOf(file, { env: { CF_PASSWORD: "" } })).toBe(
      "cf.password: is required with cf.username; environment variable CF_PASSWORD is set but empty and overrides " +
        "the value of cf.password (promregator.yml:4): remove the empty variable or give it a value",
    );
    expect(errorOf(file, { env: { CF_API_HOST: "" } })).toBe(
      "cf.api_host: is required; environment variable CF_API_HOST is set but empty and overrides the value of " +
        "cf.api_host (promregator.yml:2): remove the empty variable or give it a value",
    );
  });

  it("is reported for any key, also beside the error it causes", () => {
    const yaml = `${file}  scraping:\n    threads: 3\n`;
    const { config, warnings } = load(yaml, { env: { PROMREGATOR_SCRAPING_THREADS: "" } });
    expect(config.promregator.scraping.threads).toBe(5);
    expect(warnings).toEqual([
      "environment variable PROMREGATOR_SCRAPING_THREADS is set but empty and overrides the value of " +
        "promregator.scraping.threads (promregator.yml:9); promregator.scraping.threads counts as not set",
    ]);
    let error: ConfigError | undefined;
    try {
      load(file, { env: { PROMREGATOR_TARGETS_0_ORGNAME: "" } });
    } catch (err) {
      if (err instanceof ConfigError) error = err;
    }
    expect(error?.message).toMatch(
      /^promregator.targets\[0\].orgName \(environment variable PROMREGATOR_TARGETS_0_ORGNAME\): is empty/,
    );
    expect(error?.warnings).toContain(
      "environment variable PROMREGATOR_TARGETS_0_ORGNAME is set but empty and overrides the value of " +
        "promregator.targets[0].orgName (promregator.yml:7); promregator.targets[0].orgName counts as not set",
    );
  });

  it("is not reported when the file has no value either", () => {
    expect(
      load(`${file}  scraping:\n    threads:\n`, { env: { PROMREGATOR_SCRAPING_THREADS: "" } }).warnings,
    ).toEqual([]);
  });
});

describe("YAML 1.1 scalars", () => {
  it("are kept as written, not converted as SnakeYAML does", () => {
    const props = readYamlProperties(
      "a: NO\nb: yes\nc: off\nd: 010\ne: 0x1F\nf: 1_000\ng: 1.10\n",
      "x.yml",
      [],
    );
    expect(Object.fromEntries([...props.values()].map((p) => [p.key, p.value]))).toEqual({
      a: "NO",
      b: "yes",
      c: "off",
      d: "010",
      e: "0x1F",
      f: "1_000",
      g: "1.10",
    });
  });

  it("are read by the key's type from the text written: 010 is ten, 0x1F and 1_000 are refused", () => {
    expect(load(`${MINIMAL_CF}  request:\n    backoff: 010\n`).config.cf.request.backoff).toBe(10);
    expect(errorOf(`${MINIMAL_CF}  request:\n    backoff: 0x1F\n`)).toBe(
      'cf.request.backoff (promregator.yml:6): expected a whole number, got "0x1F"',
    );
    expect(errorOf(`${MINIMAL_CF}  request:\n    backoff: 1_000\n`)).toBe(
      'cf.request.backoff (promregator.yml:6): expected a whole number, got "1_000"',
    );
    const yaml = `cf:\n  api_host: api.example.com\n  username: NO\n  password: 010\n  skipSslValidation: off\n`;
    const { config } = load(yaml);
    expect([config.cf.username, config.cf.password, config.cf.skipSslValidation]).toEqual([
      "NO",
      "010",
      false,
    ]);
  });
});
