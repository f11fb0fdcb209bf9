/**
 * Sorts the keys read from a structured source (the file, SPRING_APPLICATION_JSON): known keys are kept under
 * their documented spelling, deprecated spellings move to their new key, JVM-only keys are dropped with a
 * warning saying why, a list or mapping where one value belongs is fatal, and unknown keys under
 * cf/promregator/server are reported (not fatal, as in the Java version).
 */
import { ConfigError, describeKey, type ValueOrigin } from "./errors.js";
import { loggerProperty } from "./logging.js";
import { canonicalPath, isUnder } from "./paths.js";
import type { Property } from "./properties.js";
import { CHECKED_TREES, TREES } from "./schema.js";
import { ALIAS_CANONICAL, findShapeProblem, IGNORED_CANONICAL, matchTemplate } from "./templates.js";

const READ_TREES = new Set([...CHECKED_TREES, "logging", "encrypt"]);
const TREE_CANONICAL = TREES.map((t) => ({ ...t, canonical: canonicalPath(t.path) }));

/** `props` are keyed by canonical path, each with the key as written and where it came from. */
export function prepareProperties(props: Map<string, Property>, warnings: string[]): Map<string, Property> {
  const kept = new Map<string, Property>();
  const aliased: { to: string; prop: Property }[] = [];

  for (const [canonical, fp] of props) {
    const top = canonical.split(/[.[]/)[0];
    if (!READ_TREES.has(top)) continue;
    const origin = fp.origin;
    const where = describeKey(fp.key, origin);

    const logger = loggerProperty(canonical, fp);
    if (logger) {
      kept.set(logger.canonical, logger.prop);
      continue;
    }
    const alias = ALIAS_CANONICAL.find((a) => a.canonical === canonical);
    if (alias) {
      aliased.push({ to: alias.to, prop: { key: fp.key, value: fp.value, origin } });
      continue;
    }
    const ignored = IGNORED_CANONICAL.find((k) => isUnder(canonical, k.canonical));
    if (ignored) {
      warnings.push(`${where} is ignored: ${ignored.reason}`);
      continue;
    }
    const known = matchTemplate(canonical, "dotted");
    if (known) {
      kept.set(known.canonical, { key: known.display, value: fp.value, origin });
      continue;
    }
    if (checkTreeShape(canonical, fp, origin)) continue;
    const shape = findShapeProblem(canonical, "dotted");
    if (shape) throw new ConfigError(shape.message, shape.key, origin);
    if (CHECKED_TREES.includes(top)) warnings.push(`${where}: unknown key, ignored`);
  }

  for (const { to, prop } of aliased) {
    const target = canonicalPath(to);
    if (kept.has(target)) {
      warnings.push(`${describeKey(prop.key, prop.origin)} is deprecated and ignored because ${to} is set`);
    } else {
      warnings.push(`${describeKey(prop.key, prop.origin)} is deprecated; use ${to}`);
      kept.set(target, prop);
    }
  }
  return kept;
}

/**
 * Handles keys that name a tree or one of its items rather than a field: empty ones are harmless, a plain value
 * where a list or mapping belongs is fatal. Returns true when the key was such a key.
 */
function checkTreeShape(canonical: string, fp: Property, origin: ValueOrigin): boolean {
  for (const tree of TREE_CANONICAL) {
    const isRoot = canonical === tree.canonical;
    const isItem =
      tree.list && new RegExp(`^${tree.canonical.replace(/\./g, "\\.")}\\[\\d+\\]$`).test(canonical);
    if (!isRoot && !isItem) continue;
    if (fp.value === null) return true;
    const expected = isRoot && tree.list ? "a list" : "a mapping of settings";
    throw new ConfigError(`must be ${expected}, not a plain value`, fp.key, origin);
  }
  // A mapping where a list belongs (`foundations: {name: us, ...}` or `foundations: {us: {...}}`): read as
  // unknown keys, the items would silently disappear. Numeric keys stay Spring's spelling of an index.
  const mapped = TREE_CANONICAL.find(
    (tree) =>
      tree.list &&
      canonical.startsWith(`${tree.canonical}.`) &&
      !/^\d/.test(canonical.slice(tree.canonical.length + 1)),
  );
  if (mapped) {
    const field = fp.key.slice(mapped.path.length + 1);
    throw new ConfigError(
      `must be a list, not a mapping (found \`${field}\` under it): write each item with a leading \`- \`, ` +
        `e.g. \`${mapped.path}:\` then \`  - ${mapped.path === "foundations" ? "name: us" : "..."}\``,
      mapped.path,
      origin,
    );
  }
  return false;
}
