import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { INFLATE_PIECE_BYTES } from "../../src/scrape/decode.js";

const ROOT = resolve(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const packageJson = JSON.parse(read("package.json")) as {
  engines: { node: string };
  files: string[];
  dependencies: Record<string, string>;
};

/** Node majors the README names as tested ("Tested majors: **20** ... and **24** ..."). */
function testedMajors(): number[] {
  const line = /Tested majors:([^\n]*\n[^\n]*)/.exec(read("README.md"))?.[1] ?? "";
  return [...line.matchAll(/\*\*(\d+)\*\*/g)].map((m) => Number(m[1]));
}

describe("Node versions", () => {
  const dockerfile = read("Dockerfile");
  const pinned = /^ARG NODE_VERSION=(\d+)\.(\d+)\.(\d+)$/m.exec(dockerfile);

  it("the image pins one exact Node release, in every stage", () => {
    expect(pinned, "ARG NODE_VERSION=<major>.<minor>.<patch>").not.toBeNull();
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const image of froms) expect(image).toBe(`node:\${NODE_VERSION}-slim`);
  });

  it("the image runs the newest tested major, engines admits the oldest, and CI tests the image's release", () => {
    const majors = testedMajors();
    expect(majors).toContain(20);
    expect(Number(pinned?.[1])).toBe(Math.max(...majors));
    expect(packageJson.engines.node).toBe(`>=${Math.min(...majors)}`);
    // The machine running this suite is one of the tested majors.
    expect(majors).toContain(Number(process.versions.node.split(".")[0]));
    // .ci/run reads the release from the Dockerfile rather than naming its own.
    expect(read(".ci/run")).toMatch(/sed -n 's\/\^ARG NODE_VERSION=\/\/p' Dockerfile/);
    expect(read(".ci/run")).toContain(`npx -y "node@\${node_version}"`);
  });

  it("the image's health check is the CLI's healthcheck command of the entrypoint", () => {
    const entry = (JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]") as string[]).at(-1);
    expect(entry).toBe("/opt/promregator/dist/cli.js");
    const check = /^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(check ?? "[]").slice(0, 3)).toEqual(["node", entry, "healthcheck"]);
  });
});

/**
 * The node options of a start command ("node <options> <script> ...") and its NODE_OPTIONS. V8's heap options
 * split between the two: Node refuses some of them in NODE_OPTIONS (--initial-old-space-size).
 */
function startOptions(command: string[], nodeOptions: string): { flags: string[]; nodeOptions: string[] } {
  expect(command[0]).toBe("node");
  const script = command.findIndex((arg, i) => i > 0 && !arg.startsWith("-"));
  return { flags: command.slice(1, script), nodeOptions: nodeOptions.split(/\s+/).filter(Boolean) };
}

describe("heap options", () => {
  const dockerfile = read("Dockerfile");
  const manifestApp = (parse(read("manifest.yml")) as { applications: Record<string, unknown>[] })
    .applications[0];
  const readme = read("README.md");
  // The manifest docs/ha.md shows (its first YAML block that has `applications`).
  const haManifest = [...read("docs/ha.md").matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => parse(m[1]) as { applications?: Record<string, unknown>[] })
    .find((doc) => doc?.applications);
  const haApp = haManifest?.applications?.[0] ?? {};
  const shipped = {
    Dockerfile: startOptions(
      JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]"),
      /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile)?.[1] ?? "",
    ),
    "manifest.yml": startOptions(
      String(manifestApp.command).split(" "),
      String((manifestApp.env as Record<string, string>).NODE_OPTIONS),
    ),
    README: startOptions(
      (/^CF_PASSWORD=\S+ (node [^#\n]*)/m.exec(readme)?.[1] ?? "").trim().split(" "),
      /^export NODE_OPTIONS="([^"]*)"/m.exec(readme)?.[1] ?? "",
    ),
    "docs/ha.md": startOptions(
      String(haApp.command).split(" "),
      String((haApp.env as Record<string, string>).NODE_OPTIONS),
    ),
  };

  it("are the same wherever Promregator is started for production", () => {
    expect(shipped.Dockerfile.flags).toContain("--initial-old-space-size=32");
    expect(shipped.Dockerfile.nodeOptions).toContain("--max-old-space-size=160");
    for (const [where, options] of Object.entries(shipped))
      expect(options, where).toEqual(shipped.Dockerfile);
  });

  it("go with the same settings of glibc's allocator wherever Promregator is started for production", async () => {
    // Through a variable: the bench is plain JavaScript, outside the compiled sources.
    const benchProcesses = "../../bench/lib/processes.mjs";
    const bench = (await import(benchProcesses)) as { SHIPPED_ENV: Record<string, string> };
    const allocator = {
      Dockerfile: mallocSettings(runtimeStageEnv(dockerfile)),
      "manifest.yml": mallocSettings(manifestEnv(manifestApp.env)),
      README: mallocSettings(readmeStartEnv(readme)),
      "docs/ha.md": mallocSettings(manifestEnv(haApp.env)),
      "bench SHIPPED_ENV": bench.SHIPPED_ENV,
    };
    expect(allocator.Dockerfile).toEqual({ MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" });
    for (const [where, settings] of Object.entries(allocator))
      expect(settings, where).toEqual(allocator.Dockerfile);
  });

  it("keep the pieces of a streamed inflate below the size glibc maps on its own", () => {
    // Mapped, every piece of a large gzip body costs system calls and page faults (docs/performance.md).
    const threshold = Number(mallocSettings(runtimeStageEnv(dockerfile)).MALLOC_MMAP_THRESHOLD_);
    // glibc asks the size with its chunk header (16 bytes on 64-bit) against the threshold.
    expect(INFLATE_PIECE_BYTES + 16).toBeLessThan(threshold);
  });

  it("keep out of NODE_OPTIONS what Node refuses there", () => {
    for (const flag of shipped.Dockerfile.flags) {
      const run = spawnSync(process.execPath, ["-e", "0"], { env: { ...process.env, NODE_OPTIONS: flag } });
      expect(run.status, `${flag} in NODE_OPTIONS`).not.toBe(0);
    }
    const run = spawnSync(process.execPath, ["-e", "0"], {
      env: { ...process.env, NODE_OPTIONS: shipped.Dockerfile.nodeOptions.join(" ") },
    });
    expect(run.status, String(run.stderr)).toBe(0);
  });
});

/** Shell-like words: quotes group and are removed (`A="1 2"` is the word `A=1 2`). */
function shellWords(text: string): string[] {
  return (text.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? []).map((w) =>
    w.replace(/"([^"]*)"|'([^']*)'/g, "$1$2"),
  );
}

/**
 * The `NAME=VALUE` words of the ENV instructions of the image's last stage, the one that runs (`ENV NAME VALUE`,
 * the older form, counts too); continued lines are joined first.
 */
function runtimeStageEnv(dockerfile: string): string[] {
  const lines = dockerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const lastFrom = lines.findLastIndex((line) => /^\s*FROM\s/i.test(line));
  return lines.slice(lastFrom + 1).flatMap((line) => {
    const env = /^\s*ENV\s+(.*)$/i.exec(line);
    if (!env) return [];
    const words = shellWords(env[1]);
    return words[0]?.includes("=") ? words : [`${words[0]}=${words.slice(1).join(" ")}`];
  });
}

/**
 * A manifest's env block as NAME=VALUE words. A value that YAML does not read as a string is marked: the cf CLI
 * has sent unquoted numbers in other notations (2.0, 1.31072e+05), and glibc reads only their leading digits.
 */
function manifestEnv(env: unknown): string[] {
  return Object.entries((env ?? {}) as Record<string, unknown>).map(([name, value]) =>
    typeof value === "string" ? `${name}=${value}` : `${name}=(not a quoted string: ${String(value)})`,
  );
}

/** NAME=VALUE words that the README's production start sets: its `export` lines and the command's prefix. */
function readmeStartEnv(readme: string): string[] {
  const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .find((b) => b.includes("CF_PASSWORD="));
  return (block ?? "").split("\n").flatMap((line) => {
    const words = shellWords(line.replace(/(^|\s)#.*$/, ""));
    if (words[0] === "export") return words.slice(1);
    const node = words.indexOf("node");
    return node > 0 ? words.slice(0, node) : [];
  });
}

/** The MALLOC_* settings among NAME=VALUE words; a later one wins, as in a shell or a Dockerfile. */
function mallocSettings(words: string[]): Record<string, string> {
  return Object.fromEntries(
    words
      .filter((w) => w.startsWith("MALLOC_"))
      .map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]),
  );
}

/** .cfignore lines; each must be a top-level name (`x`, `x/`) or a suffix glob (`*.ext`), which the matcher below covers. */
function cfignorePatterns(): string[] {
  return read(".cfignore")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

function uploadSkips(patterns: string[], path: string): boolean {
  return patterns.some((p) => {
    if (p.startsWith("*.")) return path.endsWith(p.slice(1));
    const name = p.replace(/^\//, "").replace(/\/$/, "");
    return path === name || path.startsWith(`${name}/`);
  });
}

describe(".cfignore for the buildpack variant of manifest.yml", () => {
  const patterns = cfignorePatterns();
  const app = (parse(read("manifest.yml")) as { applications: Record<string, unknown>[] }).applications[0];

  it("uses only patterns this test understands", () => {
    for (const p of patterns) expect(p).toMatch(/^(\*\.[\w.]+|\/?[\w.-]+\/?)$/);
  });

  it("uploads what the app runs: the command's script, package.json `files`, the lock file and the config", () => {
    expect(app.buildpacks).toEqual(["nodejs_buildpack"]);
    const script = String(app.command)
      .split(" ")
      .find((arg, i) => i > 0 && !arg.startsWith("-"));
    expect(script).toBe("dist/cli.js");
    const config = String((app.env as Record<string, string>).PROMREGATOR_CONFIG);
    expect(config.startsWith("/home/vcap/app/")).toBe(true);
    const needed = [
      script as string,
      ...packageJson.files.map((f) => `${f}/cli.js`),
      "package.json",
      "package-lock.json",
      config.slice("/home/vcap/app/".length),
    ];
    for (const path of needed) expect(uploadSkips(patterns, path), path).toBe(false);
  });

  it("leaves node_modules (the buildpack installs production dependencies) and the sources behind", () => {
    for (const path of ["node_modules/typescript/package.json", "src/cli.ts", "test/e2e/ha.test.ts"]) {
      expect(uploadSkips(patterns, path), path).toBe(true);
    }
  });
});

/** Bare package names imported by the TypeScript files under dir (node: built-ins excluded). */
function importedPackages(dir: string): Set<string> {
  const found = new Set<string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith(".ts")) {
        const text = readFileSync(path, "utf8");
        const specifiers = /^(?:import|export)\s[^"]*?from\s+"([^"]+)"|\bimport\("([^"]+)"\)/gm;
        for (const m of text.matchAll(specifiers)) {
          const spec = m[1] ?? m[2];
          if (spec.startsWith(".")) continue;
          if (spec.startsWith("node:") || builtinModules.includes(spec)) continue;
          const parts = spec.split("/");
          found.add(spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
        }
      }
    }
  };
  walk(join(ROOT, dir));
  return found;
}

describe("runtime dependencies", () => {
  it("are exactly the packages that src/ imports, in package.json and in package-lock.json", () => {
    const imported = [...importedPackages("src")].sort();
    const declared = Object.keys(packageJson.dependencies).sort();
    expect(declared).toEqual(imported);
    const lock = JSON.parse(read("package-lock.json")) as {
      packages: Record<string, { dependencies?: Record<string, string> }>;
    };
    expect(Object.keys(lock.packages[""].dependencies ?? {}).sort()).toEqual(declared);
  });
});
