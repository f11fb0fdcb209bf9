import { describe, expect, it } from "vitest";
import { checkJavaRegex } from "../../src/config/java-regex.js";
import type { KeyPath } from "../../src/config/schema.js";
import { SETTABLE_TEMPLATES } from "../../src/config/templates.js";
import { load, MINIMAL_CF } from "./helpers.js";

describe("Java regex check", () => {
  it("accepts what both dialects read alike", () => {
    for (const re of [
      "^app-[0-9]+$",
      "a\\*+",
      "[*+]x",
      "(?:a|b)+?",
      "(?<name>x){2,3}",
      "(?=a)b",
      "\\d{2}\\.\\w",
    ]) {
      expect(checkJavaRegex(re, "i")).toBeUndefined();
    }
  });

  it("refuses, by name, what has no exact JavaScript equivalent", () => {
    expect(checkJavaRegex("\\p{InGreek}", "")).toMatch(/Unicode block \\p\{InGreek\}/);
    expect(checkJavaRegex("(a)\\1", "")).toMatch(/back-reference \\1/);
    expect(checkJavaRegex("(?u)a", "")).toMatch(/\(\?u\)/);
    expect(checkJavaRegex("\\X", "")).toMatch(/grapheme cluster \\X/);
    expect(checkJavaRegex("[^a[b]]", "")).toMatch(/negated character class with a nested class/);
    expect(checkJavaRegex("(?<=a++)b", "")).toMatch(/possessive quantifier \+\+ inside a lookbehind/);
  });
});

describe("key table", () => {
  it("types key paths, so that a misspelt key does not compile", () => {
    // @ts-expect-error: not a key of the table
    const typo: KeyPath = "cf.api_hots";
    const layer: KeyPath = "cf.cache.expiry.domain";
    expect([typo, layer]).toEqual(["cf.api_hots", "cf.cache.expiry.domain"]);
  });

  it("gives every settable key a distinct environment-variable form", () => {
    const forms = SETTABLE_TEMPLATES.map((t) => t.pattern.source);
    expect(new Set(forms).size).toBe(forms.length);
  });
});

describe("YAML features", () => {
  it("supports anchors, merge keys and later documents overriding earlier ones", () => {
    const yaml = `${MINIMAL_CF}defaults: &defaults
  spaceName: shared
  path: /prometheus
promregator:
  targets:
    - <<: *defaults
      orgName: a
    - <<: *defaults
      orgName: b
      path: /other
---
server.port: 9999
`;
    const { config } = load(yaml);
    expect(config.promregator.targets.map((t) => [t.orgName, t.spaceName, t.path])).toEqual([
      ["a", "shared", "/prometheus"],
      ["b", "shared", "/other"],
    ]);
    expect(config.server.port).toBe(9999);
  });

  it("skips documents for Spring profiles with a warning", () => {
    const yaml = `${MINIMAL_CF}---\nspring.config.activate.on-profile: dev\nserver.port: 1234\n`;
    const { config, warnings } = load(yaml);
    expect(config.server.port).toBe(8080);
    expect(warnings).toEqual([
      "promregator.yml:6: a document limited to the Spring profile dev is skipped: the active profiles are default (no profile is activated, so the default profile is active)",
    ]);
  });
});

describe("YAML aliases", () => {
  it("may be reused in several places", () => {
    const yaml = `${MINIMAL_CF}path: &p /shared
base: &base { path: *p }
promregator.targets:
  - *base
  - *base
`;
    expect(load(yaml).config.promregator.targets.map((t) => t.path)).toEqual(["/shared", "/shared"]);
  });

  it("cannot blow up into an unbounded number of values", () => {
    const rows = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 7; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      rows.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(",")}]`);
    }
    expect(() => load(`${rows.join("\n")}\n`)).toThrow(/more than 100000 values/);
  });
});
