/**
 * How Spring Boot reads promregator.yml, where the Java version's users rely on it: profile keys, documents
 * limited to a cloud platform, empty documents, lists across documents, comma-separated lists, and the
 * checks that keep a bad value from failing only once the server runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, locateConfigFile } from "../../src/config/index.js";
import { errorOf, load, MINIMAL_CF } from "./helpers.js";

const PROPS_CF = "cf.api_host=api.example.com\ncf.username=user\ncf.password=pw\n";

function loadProps(text: string, env: NodeJS.ProcessEnv = {}) {
  return load(text, { file: "promregator.properties", env });
}

const target = (yaml: string) => `${MINIMAL_CF}promregator:\n  targets:\n    - orgName: org1\n${yaml}`;

describe("Spring profiles", () => {
  const orgs = (text: string, env: NodeJS.ProcessEnv = {}) =>
    load(text, { env }).config.promregator.targets.map((t) => t.orgName);
  const profileDocument = (condition: string, org: string) =>
    `---\n${condition}promregator:\n  targets:\n    - orgName: ${org}\n`;
  const onProfile = (expression: string, org: string) =>
    profileDocument(`spring.config.activate.on-profile: "${expression}"\n`, org);

  const variants: [string, string][] = [
    ["active (YAML)", "spring:\n  profiles:\n    active: dev\n"],
    ["include (YAML)", "spring:\n  profiles:\n    include: [a, b]\n"],
    ["an empty active (YAML)", "spring:\n  profiles:\n    active:\n"],
    ["dotted active (YAML)", "spring.profiles.active: dev\n"],
  ];
  for (const [name, yaml] of variants) {
    it(`activating a profile does not limit the document itself: ${name}`, () => {
      const { config, warnings } = load(`${yaml}${target("")}`);
      expect(config.promregator.targets.map((t) => t.orgName)).toEqual(["org1"]);
      expect(warnings.some((w) => w.includes("Spring profile"))).toBe(false);
    });
  }

  it("apply a document limited to an active profile, in every form, over the earlier documents", () => {
    const restrictions = [
      "spring:\n  profiles: dev\n",
      "spring:\n  profiles: [dev, test]\n",
      "spring:\n  config:\n    activate:\n      on-profile: dev\n",
      "spring.config.activate.on-profile: dev\n",
      "spring.config.activate.on-profile: test, dev\n",
    ];
    for (const restriction of restrictions) {
      const base = `spring.profiles.active: dev\n${target("")}`;
      expect(orgs(`${base}${profileDocument(restriction, "dev")}`)).toEqual(["dev"]);
      // not active: skipped, with a warning that says which profiles are
      const { config, warnings } = load(`${target("")}${profileDocument(restriction, "dev")}`);
      expect(config.promregator.targets.map((t) => t.orgName)).toEqual(["org1"]);
      expect(warnings.some((w) => w.includes("is skipped: the active profiles are default"))).toBe(true);
    }
  });

  it("take SPRING_PROFILES_ACTIVE over the file's spring.profiles.active, as Spring Boot does", () => {
    const text = `spring.profiles.active: dev\n${target("")}${onProfile("dev", "dev")}${onProfile("prod", "prod")}`;
    expect(orgs(text)).toEqual(["dev"]);
    expect(orgs(text, { SPRING_PROFILES_ACTIVE: "prod" })).toEqual(["prod"]);
    const { warnings } = load(text, { env: { SPRING_PROFILES_ACTIVE: "prod" } });
    expect(warnings).toContain(
      "promregator.yml:10: a document limited to the Spring profile dev is skipped: the active profiles are prod (SPRING_PROFILES_ACTIVE)",
    );
    // several active profiles, and includes on top
    expect(orgs(`${target("")}${onProfile("a & b", "both")}`, { SPRING_PROFILES_ACTIVE: "a, b" })).toEqual([
      "both",
    ]);
    expect(
      orgs(`spring.profiles.include: b\n${target("")}${onProfile("a & b", "both")}`, {
        SPRING_PROFILES_ACTIVE: "a",
      }),
    ).toEqual(["both"]);
  });

  it("name every source of the active profiles when a document is skipped", () => {
    const text = `spring.profiles.active: dev\n${target("")}${onProfile("other", "other")}`;
    const { warnings } = load(text, { env: { SPRING_PROFILES_INCLUDE: "prod" } });
    expect(warnings.filter((w) => w.includes("is skipped"))).toEqual([
      expect.stringMatching(
        /: a document limited to the Spring profile other is skipped: the active profiles are dev, prod \(spring\.profiles\.active at line 1, plus SPRING_PROFILES_INCLUDE\)$/,
      ),
    ]);
  });

  it("read spring.profiles.active only from documents not limited to a profile, the last one winning", () => {
    const text = `spring.profiles.active: a\n${target("")}---\nspring.profiles.active: b\n${onProfile("a", "a")}${onProfile("b", "b")}`;
    expect(orgs(text)).toEqual(["b"]);
    const list = `spring:\n  profiles:\n    active: [x, y]\n${target("")}${onProfile("y", "y")}`;
    expect(orgs(list)).toEqual(["y"]);
  });

  it("match profile expressions as spring-core does", () => {
    const cases: [string, string, boolean][] = [
      ["!prod", "dev", true],
      ["!prod", "prod", false],
      ["prod & cloud", "prod,cloud", true],
      ["prod & cloud", "prod", false],
      ["prod | cloud", "cloud", true],
      ["(prod | dev) & cloud", "dev,cloud", true],
      ["(prod | dev) & cloud", "dev", false],
      ["!(prod & cloud)", "prod", true],
      // as lenient as spring-core's ProfilesParser: a space inside a name, a trailing or repeated operator,
      // a missing ")", two names in a row (read as "or")
      ["my prof", "my prof", true],
      ["prod &", "prod", true],
      ["(prod", "prod", true],
      ["prod & & eu", "prod,eu", true],
      ["prod & & eu", "prod", false],
      ["(a)(b)", "b", true],
      ["!a & b", "b", true],
    ];
    for (const [expression, active, applies] of cases) {
      const text = `${target("")}${onProfile(expression, "matched")}`;
      expect(orgs(text, { SPRING_PROFILES_ACTIVE: active }), `${expression} with ${active}`).toEqual([
        applies ? "matched" : "org1",
      ]);
    }
  });

  it("make the default profile active when none is, and spring.profiles.default name it", () => {
    expect(orgs(`${target("")}${onProfile("default", "default")}`)).toEqual(["default"]);
    expect(orgs(`${target("")}${onProfile("default", "default")}`, { SPRING_PROFILES_ACTIVE: "x" })).toEqual([
      "org1",
    ]);
    expect(orgs(`spring.profiles.default: local\n${target("")}${onProfile("local", "local")}`)).toEqual([
      "local",
    ]);
  });

  it("refuse spring.profiles.active, include or default in a document limited to a profile, as Spring Boot does", () => {
    for (const setting of [
      "spring.profiles.active: extra",
      "spring.profiles.include: extra",
      "spring.profiles.default: x",
    ]) {
      const text = `${target("")}---\nspring.config.activate.on-profile: prod\n${setting}\n`;
      for (const env of [{}, { SPRING_PROFILES_ACTIVE: "prod" }]) {
        expect(errorOf(text, { env }), setting).toMatch(
          /^spring\.profiles\.(active|include|default) \(promregator\.yml:\d+\): cannot be set in a document limited to a Spring profile/,
        );
      }
    }
  });

  it("refuse a malformed profile expression, naming file and line", () => {
    const text = `${target("")}${onProfile("a & b | c", "x")}`;
    expect(errorOf(text)).toMatch(
      /^spring\.config\.activate\.on-profile \(promregator\.yml:\d+\): malformed profile expression "a & b \| c"$/,
    );
  });

  it("work the same in a .properties file", () => {
    const text = `spring.profiles.active=dev\n${PROPS_CF}promregator.targets[0].orgName=org1\n#---\nspring.config.activate.on-profile=dev\npromregator.targets[0].orgName=dev\n#---\nspring.config.activate.on-profile=prod\npromregator.targets[0].orgName=prod\n`;
    expect(loadProps(text).config.promregator.targets.map((t) => t.orgName)).toEqual(["dev"]);
    expect(
      loadProps(text, { SPRING_PROFILES_ACTIVE: "prod" }).config.promregator.targets.map((t) => t.orgName),
    ).toEqual(["prod"]);
  });
});

describe("spring.config.activate.on-cloud-platform", () => {
  const doc = (platform: string) =>
    `${target("")}---\nspring:\n  config:\n    activate:\n      on-cloud-platform: ${platform}\npromregator:\n  targets:\n    - orgName: platform\n`;
  const orgs = (text: string, env: NodeJS.ProcessEnv) =>
    load(text, { env }).config.promregator.targets.map((t) => t.orgName);

  it("applies the document on the platform Spring Boot detects", () => {
    expect(
      orgs(doc("kubernetes"), { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" }),
    ).toEqual(["platform"]);
    expect(orgs(doc("cloud_foundry"), { VCAP_APPLICATION: "{}" })).toEqual(["platform"]);
    expect(orgs(doc("cloud-foundry"), { VCAP_SERVICES: "{}" })).toEqual(["platform"]);
    expect(orgs(doc("HEROKU"), { DYNO: "web.1" })).toEqual(["platform"]);
    // nomad is applied only when forced: its detection rule is not Promregator's to guess
    expect(orgs(doc("nomad"), { NOMAD_ALLOC_ID: "x" })).toEqual(["org1"]);
    expect(orgs(doc("nomad"), { SPRING_MAIN_CLOUD_PLATFORM: "nomad" })).toEqual(["platform"]);
    expect(orgs(doc("kubernetes"), { SPRING_MAIN_CLOUD_PLATFORM: "kubernetes" })).toEqual(["platform"]);
  });

  it("skips the document with a warning elsewhere", () => {
    const { config, warnings } = load(doc("kubernetes"), { env: { KUBERNETES_SERVICE_HOST: "10.0.0.1" } });
    expect(config.promregator.targets.map((t) => t.orgName)).toEqual(["org1"]);
    expect(warnings.find((w) => w.includes("on-cloud-platform"))).toMatch(
      /^promregator\.yml:12: spring\.config\.activate\.on-cloud-platform is "kubernetes", which is not the platform Promregator runs on \(kubernetes is detected when KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT/,
    );
    // Cloud Foundry comes first in Spring's order, so a Kubernetes document does not apply next to VCAP_*.
    expect(
      orgs(doc("kubernetes"), {
        VCAP_APPLICATION: "{}",
        KUBERNETES_SERVICE_HOST: "h",
        KUBERNETES_SERVICE_PORT: "1",
      }),
    ).toEqual(["org1"]);
    // Spring Boot: no platform detected means NONE is active, so a "none" document applies then only
    expect(orgs(doc("none"), {})).toEqual(["platform"]);
    expect(orgs(doc("none"), { VCAP_APPLICATION: "{}" })).toEqual(["org1"]);
    expect(orgs(doc("cloud_foundry"), {})).toEqual(["org1"]);
  });

  it("skips the document of an unknown platform with a warning naming the value", () => {
    const { config, warnings } = load(doc("openshift"), { env: { VCAP_APPLICATION: "{}" } });
    expect(config.promregator.targets.map((t) => t.orgName)).toEqual(["org1"]);
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^promregator\.yml:12: spring\.config\.activate\.on-cloud-platform is "openshift", not a cloud platform Spring Boot knows/,
      ),
    );
  });

  it("works in a .properties file", () => {
    const text = `${PROPS_CF}promregator.targets[0].orgName=org1\n#---\nspring.config.activate.on-cloud-platform=cloud_foundry\npromregator.targets[0].orgName=cf\n`;
    expect(loadProps(text, { VCAP_APPLICATION: "{}" }).config.promregator.targets[0].orgName).toBe("cf");
    expect(loadProps(text).config.promregator.targets[0].orgName).toBe("org1");
  });
});

describe("empty YAML documents", () => {
  for (const [name, tail] of [
    ["a trailing ---", "---\n"],
    ["--- with only comments", "---\n# nothing here\n# nor here\n"],
    ["empty documents between others", "---\n---\n# c\n---\npromregator:\n  targets:\n    - orgName: org2\n"],
  ] as const) {
    it(`are skipped: ${name}`, () => {
      const { config } = load(`${target("")}${tail}`);
      expect(config.cf.api_host).toBe("api.example.com");
      expect(config.promregator.targets.length).toBe(1);
    });
  }

  it("leave the error of a wholly empty file as it was", () => {
    expect(errorOf("")).toMatch(/^cf\.api_host: is required/);
    expect(errorOf("---\n")).toMatch(/^cf\.api_host: is required/);
  });

  it("still refuse a document that is a plain value", () => {
    expect(errorOf(`${MINIMAL_CF}---\njust text\n`)).toBe(
      "promregator.yml:6: the configuration must be a mapping of keys to values",
    );
  });
});

describe("lists across documents", () => {
  it("a later document's list replaces the earlier list entirely", () => {
    const text = `${MINIMAL_CF}promregator:\n  targets:\n    - orgName: org1\n      spaceName: s1\n    - orgName: org2\n---\npromregator:\n  targets:\n    - orgName: org3\n`;
    const { config } = load(text);
    expect(config.promregator.targets).toHaveLength(1);
    expect(config.promregator.targets[0].orgName).toBe("org3");
    expect(config.promregator.targets[0].spaceName).toBeUndefined();
  });

  it("also for lists of strings, and lists given as one value", () => {
    const list = (first: string, second: string) =>
      load(`${target(first)}---\npromregator:\n  targets:\n    - orgName: org1\n${second}`).config.promregator
        .targets[0].preferredRouteRegex;
    expect(list("      preferredRouteRegex: [a, b, c]\n", "      preferredRouteRegex: [d]\n")).toEqual(["d"]);
    expect(list("      preferredRouteRegex: [a, b, c]\n", '      preferredRouteRegex: "d"\n')).toEqual(["d"]);
    // The second document sets the targets list without preferredRouteRegex: the whole target is replaced.
    expect(list("      preferredRouteRegex: [a, b]\n", "")).toEqual([]);
  });

  it("other foundations and authenticators lists too, while keys outside lists still merge", () => {
    const text = `${MINIMAL_CF}promregator:\n  targetAuthenticators:\n    - id: a1\n      type: none\n    - id: a2\n      type: none\n  scraping:\n    maxProcessingTime: 3000\n---\npromregator:\n  targetAuthenticators:\n    - id: b1\n      type: none\n`;
    const { config } = load(text);
    expect(config.promregator.targetAuthenticators.map((a) => a.id)).toEqual(["b1"]);
    expect(config.promregator.scraping.maxProcessingTime).toBe(3000);
    expect(config.cf.username).toBe("user");
  });

  it("in .properties documents as well", () => {
    const text = `${PROPS_CF}promregator.targets[0].orgName=org1\npromregator.targets[0].spaceName=s1\npromregator.targets[1].orgName=org2\n#---\npromregator.targets[0].orgName=org3\n`;
    const targets = loadProps(text).config.promregator.targets;
    expect(targets.map((t) => [t.orgName, t.spaceName])).toEqual([["org3", undefined]]);
  });

  it("environment variables still override single fields of the file's list items", () => {
    const text = `${MINIMAL_CF}promregator:\n  targets:\n    - orgName: org1\n      spaceName: s1\n    - orgName: org2\n`;
    const { config } = load(text, { env: { PROMREGATOR_TARGETS_0_ORGNAME: "envorg" } });
    expect(config.promregator.targets.map((t) => [t.orgName, t.spaceName])).toEqual([
      ["envorg", "s1"],
      ["org2", undefined],
    ]);
  });
});

describe("preferredRouteRegex given as one comma-separated string", () => {
  const regexes = (text: string, env: NodeJS.ProcessEnv = {}) =>
    load(text, { env }).config.promregator.targets[0].preferredRouteRegex;

  it("is split at commas and trimmed, in YAML, .properties, the environment and JSON", () => {
    expect(regexes(target('      preferredRouteRegex: ".*foo.*, .*bar.*"\n'))).toEqual([
      ".*foo.*",
      ".*bar.*",
    ]);
    const props = `${PROPS_CF}promregator.targets[0].orgName=org1\npromregator.targets[0].preferredRouteRegex=.*foo.* , .*bar.*\n`;
    expect(loadProps(props).config.promregator.targets[0].preferredRouteRegex).toEqual([
      ".*foo.*",
      ".*bar.*",
    ]);
    expect(regexes(target(""), { PROMREGATOR_TARGETS_0_PREFERREDROUTEREGEX: ".*foo.*,.*bar.*" })).toEqual([
      ".*foo.*",
      ".*bar.*",
    ]);
    const json = JSON.stringify({ promregator: { targets: [{ preferredRouteRegex: "a, b" }] } });
    expect(regexes(target(""), { SPRING_APPLICATION_JSON: json })).toEqual(["a", "b"]);
  });

  it("keeps list items whole, commas included", () => {
    expect(regexes(target('      preferredRouteRegex:\n        - "a{1,3}"\n        - b\n'))).toEqual([
      "a{1,3}",
      "b",
    ]);
  });

  it("drops empty parts, as an empty list entry counts as unset", () => {
    expect(regexes(target('      preferredRouteRegex: "a,, b,"\n'))).toEqual(["a", "b"]);
  });

  it("explains a pattern broken by the split", () => {
    expect(errorOf(target('      preferredRouteRegex: "a{1,3}"\n'))).toMatch(
      /^promregator\.targets\[0\]\.preferredRouteRegex \(promregator\.yml:8\): .*one of the 2 patterns the value gives when split at its commas.*as a YAML list item\)$/,
    );
  });
});

describe("promregator.metrics.labelNamePrefix", () => {
  const withPrefix = (prefix: string) =>
    `${MINIMAL_CF}promregator:\n  metrics:\n    labelNamePrefix: "${prefix}"\n`;

  it("is refused when it makes invalid label names, naming the key and line", () => {
    expect(errorOf(withPrefix("bad-prefix"))).toMatch(
      /^promregator\.metrics\.labelNamePrefix \(promregator\.yml:7\): "bad-prefix" gives the invalid label name "bad-prefixorg_name": /,
    );
    for (const bad of ["1x_", "a.b_", "é_", "__", "__x_", "a b"])
      expect(errorOf(withPrefix(bad))).toContain(bad);
    expect(() => load(MINIMAL_CF, { env: { PROMREGATOR_METRICS_LABELNAMEPREFIX: "x-" } })).toThrowError(
      /PROMREGATOR_METRICS_LABELNAMEPREFIX\): "x-" gives the invalid label name "x-org_name"/,
    );
  });

  it("is accepted when every label name is valid", () => {
    for (const good of ["", "target_", "T", "_", "a1_"]) {
      expect(load(withPrefix(good)).config.promregator.metrics.labelNamePrefix).toBe(good);
    }
  });
});

describe("promregator.discovery.hostname", () => {
  const withHost = (host: string) => `${MINIMAL_CF}promregator:\n  discovery:\n    hostname: "${host}"\n`;

  it("refuses a scheme, a port, a path or credentials, naming the key and line", () => {
    expect(errorOf(withHost("http://prom.example.com"))).toBe(
      'promregator.discovery.hostname (promregator.yml:7): must be a host name or IP address without a scheme (the scheme is promregator.discovery.scheme), got "http://prom.example.com"',
    );
    expect(errorOf(withHost("host:9090"))).toMatch(
      /hostname \(promregator\.yml:7\): must not contain a port/,
    );
    expect(errorOf(withHost("[fd00::1]:9090"))).toMatch(/must not contain a port/);
    expect(errorOf(withHost("host/path"))).toMatch(/without a path/);
    expect(errorOf(withHost("user@host"))).toMatch(/without credentials/);
    for (const bad of ["a..b", "-a.com", "a b", "[zz::1]", "1:2:3"]) {
      expect(errorOf(withHost(bad))).toMatch(/^promregator\.discovery\.hostname \(promregator\.yml:7\): /);
    }
    expect(() => load(MINIMAL_CF, { env: { PROMREGATOR_DISCOVERY_HOSTNAME: "h:1" } })).toThrowError(
      /PROMREGATOR_DISCOVERY_HOSTNAME\): must not contain a port/,
    );
  });

  it("accepts host names and IP addresses", () => {
    for (const good of [
      "prom",
      "prom.example.com",
      "prom.example.com.",
      "my_host.local",
      "10.0.0.1",
      "fd00::1",
      "[fd00::1]",
      "::1",
    ]) {
      expect(load(withHost(good)).config.promregator.discovery.hostname).toBe(good);
    }
  });
});

describe("SPRING_CONFIG_LOCATION", () => {
  const dir = mkdtempSync(join(tmpdir(), "promregator-spring-location-"));
  const file = join(dir, "custom.yml");
  writeFileSync(file, "cf: {}\n");
  mkdirSync(join(dir, "conf"));
  writeFileSync(join(dir, "conf", "promregator.properties"), "cf.api_host=x\n");
  mkdirSync(join(dir, "empty"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names the file, with or without file:", () => {
    expect(locateConfigFile(undefined, { SPRING_CONFIG_LOCATION: `file:${file}` }, dir)).toBe(file);
    expect(locateConfigFile(undefined, { SPRING_CONFIG_LOCATION: file }, dir)).toBe(file);
    expect(locateConfigFile(undefined, { SPRING_CONFIG_LOCATION: "custom.yml" }, dir)).toBe(file);
    expect(locateConfigFile(undefined, { "spring.config.location": `optional:file:${file}` }, dir)).toBe(
      file,
    );
  });

  it("names a directory holding promregator.yml or promregator.properties", () => {
    expect(locateConfigFile(undefined, { SPRING_CONFIG_LOCATION: `file:${dir}/conf/` }, dir)).toBe(
      join(dir, "conf", "promregator.properties"),
    );
  });

  it("comes after --config and PROMREGATOR_CONFIG, with a warning", () => {
    const warnings: string[] = [];
    const env = { SPRING_CONFIG_LOCATION: file, PROMREGATOR_CONFIG: "/b.yml" };
    expect(locateConfigFile(undefined, env, dir, warnings)).toBe("/b.yml");
    expect(warnings).toEqual([
      `SPRING_CONFIG_LOCATION ("${file}") is ignored: PROMREGATOR_CONFIG names the configuration file`,
    ]);
    expect(locateConfigFile("/a.yml", env, dir)).toBe("/a.yml");
  });

  it("refuses what it cannot honour, clearly", () => {
    const refusal = (value: string) => {
      try {
        locateConfigFile(undefined, { SPRING_CONFIG_LOCATION: value }, dir);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error("expected a ConfigError");
    };
    expect(refusal(`file:${file},file:/other.yml`)).toMatch(
      /^SPRING_CONFIG_LOCATION names 2 locations .* Promregator reads one configuration file/,
    );
    expect(refusal("classpath:/promregator.yml")).toMatch(/classpath: location has no meaning here/);
    expect(refusal("file:/nonexistent/promregator.yml")).toBe(
      'SPRING_CONFIG_LOCATION is "file:/nonexistent/promregator.yml", but /nonexistent/promregator.yml does not exist',
    );
    expect(refusal(`${dir}/empty/`)).toMatch(
      /a directory that holds neither promregator\.yml nor promregator\.properties/,
    );
  });

  it("an optional location that does not exist means no file, not the usual places (Spring replaces them)", () => {
    // the working directory holds a promregator.yml, which must not be picked up instead
    const cwd = join(dir, "with-local");
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, "promregator.yml"), "cf:\n  api_host: local.example.org\n");
    const warnings: string[] = [];
    expect(
      locateConfigFile(
        undefined,
        { SPRING_CONFIG_LOCATION: "optional:file:/nonexistent.yml" },
        cwd,
        warnings,
      ),
    ).toBeUndefined();
    expect(warnings).toEqual([
      expect.stringMatching(/names no existing file; it is optional, so no file is read/),
    ]);
  });

  it("names the promregator.properties it does not read beside promregator.yml in a location directory", () => {
    const both = join(dir, "both");
    mkdirSync(both, { recursive: true });
    writeFileSync(join(both, "promregator.yml"), "cf:\n  api_host: a.example.org\n");
    writeFileSync(join(both, "promregator.properties"), "cf.api_host=b.example.org\n");
    const warnings: string[] = [];
    expect(locateConfigFile(undefined, { SPRING_CONFIG_LOCATION: `file:${both}/` }, dir, warnings)).toBe(
      join(both, "promregator.yml"),
    );
    expect(warnings).toEqual([
      expect.stringContaining(`${join(both, "promregator.properties")} is not read`),
    ]);
  });
});
