import { describe, expect, it } from "vitest";
import { errorOf, load, MINIMAL_CF } from "./helpers.js";

const target = (...lines: string[]) => `${MINIMAL_CF}promregator:\n  targets:\n${lines.join("\n")}\n`;

/** An empty target key must never read as "not set": that would widen the target or change its meaning. */
describe("empty target keys", () => {
  it('refuses serviceInstanceName: "" naming the key and its line, instead of selecting every app', () => {
    expect(errorOf(target("    - orgName: acme", '      serviceInstanceName: ""'))).toContain(
      "promregator.targets[0].serviceInstanceName (promregator.yml:8): is empty",
    );
  });

  it("refuses a placeholder that resolves to nothing", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Spring placeholder in the configuration text
    expect(errorOf(target("    - orgName: acme", "      serviceInstanceName: ${BINDING:}"))).toContain(
      "promregator.targets[0].serviceInstanceName (promregator.yml:8): is empty",
    );
  });

  it("refuses `key=` in a .properties file", () => {
    const text = [
      "cf.api_host=api.example.com",
      "cf.username=user",
      "cf.password=pw",
      "promregator.targets[0].orgName=acme",
      "promregator.targets[0].serviceInstanceName=",
    ].join("\n");
    expect(errorOf(text, { file: "promregator.properties" })).toContain(
      "promregator.targets[0].serviceInstanceName (promregator.properties:5): is empty",
    );
  });

  it("refuses an empty environment variable, naming it", () => {
    expect(
      errorOf(target("    - orgName: acme"), { env: { PROMREGATOR_TARGETS_0_APPLICATIONNAME: "" } }),
    ).toMatch(
      /promregator\.targets\[0\]\.applicationName \(environment variable PROMREGATOR_TARGETS_0_APPLICATIONNAME\): is empty/,
    );
  });

  it.each([
    ["orgName", '""'],
    ["orgRegex", '""'],
    ["spaceName", ""],
    ["spaceRegex", "~"],
    ["applicationName", '""'],
    ["applicationRegex", '""'],
    ["authenticatorId", '""'],
    ["protocol", '""'],
    ["path", '""'],
    ["internalRoutePort", '""'],
    ["kubernetesAnnotations", '""'],
  ])("refuses an empty %s (written %s)", (key, value) => {
    const first = key === "orgName" ? "    - spaceName: dev" : "    - orgName: acme";
    expect(errorOf(target(first, `      ${key}: ${value}`))).toContain(
      `promregator.targets[0].${key} (promregator.yml:8): is empty`,
    );
  });

  it("refuses an empty foundation rather than moving the target to the default foundation", () => {
    const text = `${MINIMAL_CF}foundations:\n  - name: us\n    api_host: api.us.example.com\n    username: u\n    password: p\npromregator:\n  targets:\n    - orgName: acme\n      foundation: \${FOUNDATION:}\n`;
    expect(errorOf(text)).toContain("promregator.targets[0].foundation (promregator.yml:13): is empty");
  });

  it("keeps an empty overrideRouteAndPath and preferredRouteRegex as unset, as the Java version does", () => {
    const { config } = load(
      target("    - orgName: acme", '      overrideRouteAndPath: ""', '      preferredRouteRegex: ""'),
    );
    expect(config.promregator.targets[0].overrideRouteAndPath).toBeUndefined();
    expect(config.promregator.targets[0].preferredRouteRegex).toEqual([]);
  });
});

describe("an empty cf.name", () => {
  it("is refused instead of becoming the default name", () => {
    const text = `${MINIMAL_CF}  name: \${FOUNDATION_NAME:}\n`;
    expect(errorOf(text)).toContain(
      "cf.name (promregator.yml:5): is empty: give the foundation of the cf block a name",
    );
  });
});
