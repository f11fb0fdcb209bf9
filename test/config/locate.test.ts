import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG_PATH, locateConfigFile } from "../../src/config/index.js";

const dir = mkdtempSync(join(tmpdir(), "promregator-locate-"));
const empty = mkdtempSync(join(tmpdir(), "promregator-locate-empty-"));
writeFileSync(join(dir, "promregator.yml"), "cf: {}\n");
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

// The Docker location takes precedence over ./promregator.yml; these tests assume it is absent here.
const dockerPathPresent = existsSync(DEFAULT_CONFIG_PATH);

describe("locateConfigFile", () => {
  it("prefers --config over PROMREGATOR_CONFIG", () => {
    expect(locateConfigFile("/a.yml", { PROMREGATOR_CONFIG: "/b.yml" }, dir)).toBe("/a.yml");
  });

  it("uses PROMREGATOR_CONFIG without --config, even if that file is missing", () => {
    expect(locateConfigFile(undefined, { PROMREGATOR_CONFIG: "/missing.yml" }, dir)).toBe("/missing.yml");
  });

  it.skipIf(dockerPathPresent)("falls back to ./promregator.yml when it exists", () => {
    expect(locateConfigFile(undefined, {}, dir)).toBe(join(dir, "promregator.yml"));
  });

  it.skipIf(dockerPathPresent)("returns undefined when nothing is found", () => {
    expect(locateConfigFile(undefined, {}, empty)).toBeUndefined();
  });
});
