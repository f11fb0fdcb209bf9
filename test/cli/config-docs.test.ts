import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readEnvProperties } from "../../src/config/env-source.js";
import { canonicalPath } from "../../src/config/paths.js";
import { SCALAR_KEYS } from "../../src/config/schema.js";
import { configReference } from "../../src/config/schema-docs.js";
import { assertBuilt } from "./run-cli.js";

const root = resolve(import.meta.dirname, "../..");
const script = resolve(root, "scripts/gen-config-docs.mjs");
const committed = resolve(root, "docs/configuration.md");

function generate(flag: string) {
  return spawnSync(process.execPath, [script, flag], { encoding: "utf8", timeout: 15_000 });
}

beforeAll(assertBuilt);

describe("docs/configuration.md", () => {
  it("is exactly what scripts/gen-config-docs.mjs generates from the key table", () => {
    const run = generate("--stdout");
    expect(run.status, run.stderr).toBe(0);
    // On a difference: npm run build && node scripts/gen-config-docs.mjs
    expect(readFileSync(committed, "utf8")).toBe(run.stdout);
    expect(generate("--check").status).toBe(0);
  });

  it("documents every key of the table once, each with a meaning", () => {
    const reference = configReference();
    const documented = reference.sections.flatMap((s) => s.keys.map((k) => k.key));
    expect(documented.sort()).toEqual(SCALAR_KEYS.map((k) => k.path).sort());
    for (const key of [...reference.sections.flatMap((s) => s.keys), ...reference.targetFields]) {
      expect(key.meaning.length, key.key).toBeGreaterThan(10);
    }
    const doc = readFileSync(committed, "utf8");
    for (const key of SCALAR_KEYS) expect(doc).toContain(`| \`${key.path}\`<br>`);
  });

  it("names environment variables that the loader really reads as that key", () => {
    const reference = configReference();
    const cases = [
      ...reference.sections.flatMap((s) => s.keys).map((k) => [k.env, k.key] as const),
      ...reference.targetFields.map((k) => [k.env, `promregator.targets[0].${k.key}`] as const),
      ...reference.authenticatorFields.map(
        (k) => [k.env, `promregator.targetAuthenticators[0].${k.key}`] as const,
      ),
    ];
    expect(cases.length).toBeGreaterThan(90);
    for (const [env, key] of cases) {
      const read = readEnvProperties({ [env]: "value" }, []);
      expect([...read.keys()], `${env} -> ${key}`).toEqual([canonicalPath(key)]);
    }
  });

  it("shows the table's defaults, which are also the effective defaults of an empty configuration", () => {
    const byKey = new Map(configReference().sections.flatMap((s) => s.keys.map((k) => [k.key, k] as const)));
    for (const key of SCALAR_KEYS) {
      if (key.default === undefined || key.kind.type === "size") continue;
      const expected = key.default === "" ? '""' : String(key.default);
      expect(byKey.get(key.path)?.default, key.path).toBe(expected);
    }
    expect(byKey.get("promregator.scraping.maxBodySize")?.default).toBe("64 MiB");
    // no table default, but an effective one
    expect(byKey.get("logging.level.root")?.default).toBe("info");
    // secrets have none and are marked
    expect(byKey.get("cf.password")).toMatchObject({ default: undefined, secret: true });
    const target = new Map(configReference().targetFields.map((f) => [f.key, f.default] as const));
    expect(Object.fromEntries(target)).toMatchObject({
      path: "/metrics",
      protocol: "https",
      orgName: undefined,
    });
  });
});
