/**
 * Sorts the keys read from a structured source (the file, SPRING_APPLICATION_JSON): known keys are kept under
 * their documented spelling, deprecated spellings move to their new key, JVM-only keys are dropped with a
 * warning saying why, a list or mapping where one value belongs is fatal, a plain value or list where a section
 * belongs is reported (fatal for `cf`), and unknown keys are reported with the closest known key (not fatal, as
 * in the Java version).
 */
import { ConfigError, describeKey, type ValueOrigin } from "./errors.js";
import { loggerProperty } from "./logging.js";
import { canonicalPath, editDistance, isUnder } from "./paths.js";
import type { Property } from "./properties.js";
import { CHECKED_TREES, TREES } from "./schema.js";
import {
  ALIAS_CANONICAL,
  closestKey,
  fillIndices,
  findShapeProblem,
  IGNORED_CANONICAL,
  matchSection,
  matchTemplate,
  NEAR_MISS,
  SETTABLE_TEMPLATES,
  sectionGivenAList,
} from "./templates.js";

const READ_TREES = new Set([...CHECKED_TREES, "logging", "encrypt"]);
const TREE_CANONICAL = TREES.map((t) => ({ ...t, canonical: canonicalPath(t.path) }));
/** Sections that must be mappings because they hold a required key (`cf.api_host`): anything else is fatal. */
const REQUIRED_SECTIONS = new Set(["cf"]);
/**
 * Top-level trees of Spring Boot itself (profiles, actuator endpoints), valid in the Java version's file and
 * without effect here: not worth a warning. In `logging` and `encrypt`, which also hold Spring's own keys
 * (`logging.pattern.console`, `encrypt.fail-on-error`), only a near miss of a key read here is reported.
 */
const SPRING_TREES = new Set(["spring", "management", "info", "debug", "trace"]);

/** `, did you mean promregator.targets?` when an unknown key is a near miss of a known one. */
function didYouMean(canonical: string): string {
  const near = closestKey(canonical, "dotted");
  return near ? `; did you mean ${near}?` : "";
}

/** The top-level names that `${...}` placeholders of the values refer to: the file may hold values for them. */
function placeholderTrees(props: Map<string, Property>): Set<string> {
  const trees = new Set<string>();
  for (const prop of props.values()) {
    for (const m of prop.value?.matchAll(/\$\{([^}:]+)/g) ?? []) {
      trees.add(canonicalPath(m[1].trim()).split(/[.[]/)[0]);
    }
  }
  return trees;
}

/** `props` are keyed by canonical path, each with the key as written and where it came from. */
export function prepareProperties(props: Map<string, Property>, warnings: string[]): Map<string, Property> {
  const kept = new Map<string, Property>();
  const aliased: { to: string; prop: Property }[] = [];
  const referenced = placeholderTrees(props);
  /** Top-level trees and sections already reported, so that each is named once. */
  const reported = new Set<string>();

  for (const [canonical, fp] of props) {
    const top = canonical.split(/[.[]/)[0];
    if (!READ_TREES.has(top)) {
      warnForeignTree(top, fp, referenced, reported, warnings);
      continue;
    }
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
    const tree = checkTreeShape(canonical, fp, origin);
    if (tree === "empty item") kept.set(canonical, fp);
    if (tree) continue;
    const shape = findShapeProblem(canonical, "dotted");
    if (shape) throw new ConfigError(shape.message, shape.key, origin);
    if (checkSectionShape(canonical, fp, reported, warnings)) continue;
    const hint = didYouMean(canonical);
    if (CHECKED_TREES.includes(top) || hint) warnings.push(`${where}: unknown key, ignored${hint}`);
  }

  for (const { to, prop } of aliased) {
    const target = canonicalPath(to);
    if (kept.has(target)) {
      warnings.push(`${describeKey(prop.key, prop.origin)} is deprecated and ignored because ${to} is set`);
    } else {
      // The Java version 1.x ignores these old spellings (they worked in 0.x); a leftover changes behaviour here.
      const effect = to.startsWith("cf.proxy.")
        ? "Cloud Controller and UAA requests go through that proxy"
        : `it is used as ${to}`;
      warnings.push(
        `${describeKey(prop.key, prop.origin)} is deprecated; use ${to} (the Java version 1.x ignores it, but here ${effect})`,
      );
      kept.set(target, prop);
    }
  }
  return kept;
}

/**
 * A top-level tree that Promregator does not read (`promregatr:`, `management:`): named once, with the known
 * tree it is a near miss of. Spring's own tree and trees that placeholders refer to are left alone.
 */
function warnForeignTree(
  top: string,
  fp: Property,
  referenced: Set<string>,
  reported: Set<string>,
  warnings: string[],
): void {
  if (SPRING_TREES.has(top) || referenced.has(top) || reported.has(top)) return;
  reported.add(top);
  const name = fp.key.split(/[.[]/)[0];
  const near = [...READ_TREES].find(
    (known) => editDistance(top, known, NEAR_MISS) <= Math.min(NEAR_MISS, Math.floor(known.length / 3)),
  );
  const where = describeKey(name, fp.origin);
  warnings.push(
    near
      ? `${where}: unknown key, ignored; did you mean ${near}?`
      : `${where}: unknown key, ignored (Promregator reads only ${[...READ_TREES].join(", ")})`,
  );
}

/**
 * A key that names a section (`cf`, `cf.cache`, `promregator.discovery`) rather than a setting: empty is
 * harmless, a plain value or a list is ignored with a warning, or fatal for a section holding a required key.
 * Returns true when the key was such a key.
 */
function checkSectionShape(
  canonical: string,
  fp: Property,
  reported: Set<string>,
  warnings: string[],
): boolean {
  const section = matchSection(canonical);
  const listed = section === undefined ? sectionGivenAList(canonical) : undefined;
  const name = section ?? listed;
  if (name === undefined) return false;
  if (section !== undefined && fp.value === null && fp.shape !== "list") return true;
  const got = listed !== undefined || fp.shape === "list" ? "a list" : "a plain value";
  const example = closestChild(name);
  const message = `must be a mapping of settings (e.g. ${example}), not ${got}`;
  if (REQUIRED_SECTIONS.has(canonicalPath(name))) throw new ConfigError(message, name, fp.origin);
  if (!reported.has(canonicalPath(name))) {
    reported.add(canonicalPath(name));
    warnings.push(`${describeKey(name, fp.origin)}: ${message}; ignored`);
  }
  return true;
}

/** The keys a message names first as what belongs in a section. */
const EXAMPLES = ["cf.api_host", "promregator.targets"];

/** A documented key below a section, for messages: `cf.cache` -> `cf.cache.timeout.org: ...`. */
function closestChild(section: string): string {
  const canonical = canonicalPath(section).replace(/\[\d+\]/g, "[*]");
  const preferred = EXAMPLES.find((e) => canonicalPath(e).startsWith(`${canonical}.`));
  if (preferred) return `${preferred}: ...`;
  const child = SETTABLE_TEMPLATES.find((t) => t.canonical.startsWith(`${canonical}.`));
  if (!child) return `${section}.<name>: <value>`;
  const indices = [...section.matchAll(/\[(\d+)\]/g)].map((m) => m[1]);
  return `${fillIndices(child.display, indices)}: ...`;
}

/**
 * Handles keys that name a tree or one of its items rather than a field: empty ones are harmless (an empty item
 * is kept, to be reported as an item without settings), a plain value where a list or mapping belongs is fatal.
 * Returns whether the key was such a key.
 */
function checkTreeShape(
  canonical: string,
  fp: Property,
  origin: ValueOrigin,
): false | "empty" | "empty item" {
  for (const tree of TREE_CANONICAL) {
    const isRoot = canonical === tree.canonical;
    const isItem =
      tree.list && new RegExp(`^${tree.canonical.replace(/\./g, "\\.")}\\[\\d+\\]$`).test(canonical);
    if (!isRoot && !isItem) continue;
    if (fp.value === null) return isItem ? "empty item" : "empty";
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
