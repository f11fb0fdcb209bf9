/**
 * Property templates: every settable path, with `[*]` for list indices, in its documented spelling and in
 * canonical form. Used to map environment variables onto keys and to tell known keys from unknown ones.
 */
import { canonicalPath, editDistance, joinPath, pathMatchForm, splitPath } from "./paths.js";
import { ALIASES, IGNORED_KEYS, SCALAR_KEYS, TREES } from "./schema.js";

export interface Template {
  /** Documented spelling, e.g. `promregator.targets[*].orgName`. */
  display: string;
  canonical: string;
  /** Matches the dotless match form (environment variables) and captures each index. */
  pattern: RegExp;
  /** Matches the canonical path (file keys) and captures each index. */
  dotted: RegExp;
}

function indexPattern(path: string): string {
  return path
    .split("[*]")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("\\[(\\d+)\\]");
}

function template(display: string): Template {
  const canonical = canonicalPath(display);
  return {
    display,
    canonical,
    pattern: new RegExp(`^${indexPattern(pathMatchForm(canonical))}$`),
    dotted: new RegExp(`^${indexPattern(canonical)}$`),
  };
}

/** Keys that can be set (from the file or the environment): scalars and tree fields. */
export const SETTABLE_TEMPLATES: readonly Template[] = [
  ...SCALAR_KEYS.map((k) => template(k.path)),
  ...TREES.flatMap((tree) => {
    const item = tree.list ? `${tree.path}[*]` : tree.path;
    return tree.fields.flatMap((f) => {
      const field = `${item}.${f.path}`;
      return f.kind.type === "list" ? [template(field), template(`${field}[*]`)] : [template(field)];
    });
  }),
];

/** Fills the `[*]` of a template with the indices captured by its pattern. */
export function fillIndices(templatePath: string, indices: readonly string[]): string {
  let i = 0;
  return templatePath.replace(/\[\*\]/g, () => `[${Number(indices[i++])}]`);
}

/**
 * Finds the template of a canonical path (`dotted`) or of a dotless match form; returns the concrete
 * documented and canonical paths.
 */
export function matchTemplate(
  path: string,
  form: "dotted" | "dotless",
): { display: string; canonical: string } | undefined {
  for (const t of SETTABLE_TEMPLATES) {
    const m = (form === "dotted" ? t.dotted : t.pattern).exec(path);
    if (m) {
      const indices = m.slice(1);
      return { display: fillIndices(t.display, indices), canonical: fillIndices(t.canonical, indices) };
    }
  }
  return undefined;
}

export const ALIAS_CANONICAL = ALIASES.map((a) => ({ ...a, canonical: canonicalPath(a.from) }));
export const IGNORED_CANONICAL = IGNORED_KEYS.map((k) => ({ ...k, canonical: canonicalPath(k.path) }));

interface ShapeRule {
  display: string;
  /** Paths strictly below the key, in canonical (`dotted`) and environment (`dotless`) form. */
  dotted: RegExp;
  dotless: RegExp;
  message: (got: "a list" | "a mapping") => string;
}

function shapeRule(display: string, list: boolean, insteadOfList?: string): ShapeRule {
  const canonical = canonicalPath(display);
  const dotted = indexPattern(canonical);
  const dotless = indexPattern(pathMatchForm(canonical));
  if (list) {
    // A list of strings: `key[0]` is fine (matched as a template before this is asked), anything deeper is not.
    return {
      display,
      dotted: new RegExp(`^${dotted}(?:\\.|\\[\\d+\\][.[])`),
      dotless: new RegExp(`^${dotless}\\[\\d+\\]\\[`),
      message: () => "expects a list of strings",
    };
  }
  return {
    display,
    dotted: new RegExp(`^${dotted}[.[]`),
    // An environment variable can only be recognised as a list index (`..._APPLICATIONNAME_0`).
    dotless: new RegExp(`^${dotless}\\[`),
    message: (got) =>
      insteadOfList ? `${insteadOfList} (got ${got})` : "expects a single value, not a list or mapping",
  };
}

/** Every key that takes one value or a list of strings, to recognise a list or mapping given in its place. */
const SHAPE_RULES: readonly ShapeRule[] = [
  ...SCALAR_KEYS.filter((k) => !k.path.startsWith("logging.level.")).map((k) => shapeRule(k.path, false)),
  ...TREES.flatMap((tree) => {
    const item = tree.list ? `${tree.path}[*]` : tree.path;
    return tree.fields.map((f) => shapeRule(`${item}.${f.path}`, f.kind.type === "list", f.insteadOfList));
  }),
];

/**
 * When `path` lies below a key that takes a single value (or a list of plain strings), the documented key and
 * the message saying what it expects; `path` is canonical (`dotted`) or an environment match form (`dotless`).
 */
export function findShapeProblem(
  path: string,
  form: "dotted" | "dotless",
): { key: string; message: string } | undefined {
  for (const rule of SHAPE_RULES) {
    const m = (form === "dotted" ? rule.dotted : rule.dotless).exec(path);
    if (!m) continue;
    const got = path[m[0].length - 1] === "[" ? "a list" : "a mapping";
    return { key: fillIndices(rule.display, m.slice(1)), message: rule.message(got) };
  }
  return undefined;
}

const SETTABLE_DISPLAYS = new Set(SETTABLE_TEMPLATES.map((t) => t.display));
const TREE_PATHS = new Set(TREES.flatMap((t) => (t.list ? [t.path, `${t.path}[*]`] : [t.path])));

/**
 * Paths that only group settings (`cf`, `cf.cache`, `promregator.discovery`, `promregator.authenticator.basic`):
 * every proper prefix of a settable, old or ignored key. Tree roots and list items are not among them (their
 * shape is checked in file-keys.ts).
 */
export const SECTION_TEMPLATES: readonly (Template & { asList: RegExp })[] = (() => {
  const sections = new Set<string>();
  const paths = [
    ...SETTABLE_DISPLAYS,
    ...ALIASES.map((a) => a.from),
    ...IGNORED_KEYS.map((k) => k.path),
    ...TREES.map((t) => t.path),
  ];
  for (const path of paths) {
    const segments = splitPath(path);
    for (let n = 1; n < segments.length; n++) {
      if (segments[n - 1].startsWith("[")) continue;
      const prefix = joinPath(segments.slice(0, n));
      if (!SETTABLE_DISPLAYS.has(prefix) && !TREE_PATHS.has(prefix)) sections.add(prefix);
    }
  }
  return [...sections].map((display) => {
    const t = template(display);
    return { ...t, asList: new RegExp(`^${indexPattern(t.canonical)}\\[\\d+\\]`) };
  });
})();

/** The documented spelling of the section a canonical path names, with its indices, or undefined. */
export function matchSection(canonical: string): string | undefined {
  for (const t of SECTION_TEMPLATES) {
    const m = t.dotted.exec(canonical);
    if (m) return fillIndices(t.display, m.slice(1));
  }
  return undefined;
}

/** The section that a canonical path below a list index lies in (`promregator[0].x` -> `promregator`). */
export function sectionGivenAList(canonical: string): string | undefined {
  for (const t of SECTION_TEMPLATES) {
    const m = t.asList.exec(canonical);
    if (m) return fillIndices(t.display, m.slice(1));
  }
  return undefined;
}

/** Every known path (keys, sections, trees, old spellings) with `[*]` for indices, for "did you mean" hints. */
const KNOWN_DISPLAYS: readonly { display: string; canonical: string }[] = [
  ...new Set([
    ...SETTABLE_DISPLAYS,
    ...SECTION_TEMPLATES.map((t) => t.display),
    ...TREE_PATHS,
    ...ALIASES.map((a) => a.from),
    ...IGNORED_KEYS.map((k) => k.path),
  ]),
].map((display) => ({ display, canonical: canonicalPath(display) }));

/** At most this many edits (a swap of two letters counts one) make a key a near miss of a known one. */
export const NEAR_MISS = 2;

/**
 * The known key closest to an unknown one, in its documented spelling with the unknown key's indices, when it
 * is at most NEAR_MISS edits away; `path` is canonical (`dotted`) or an environment match form (`dotless`).
 */
export function closestKey(path: string, form: "dotted" | "dotless"): string | undefined {
  const indices = [...path.matchAll(/\[(\d+)\]/g)].map((m) => m[1]);
  const pattern = path.replace(/\[\d+\]/g, "[*]");
  let best: { display: string; distance: number } | undefined;
  for (const known of KNOWN_DISPLAYS) {
    const candidate = form === "dotted" ? known.canonical : pathMatchForm(known.canonical);
    if ((candidate.match(/\[\*\]/g) ?? []).length !== indices.length) continue;
    // A short name is not a near miss of every word of its length: CF_HOME (the cf CLI's) is not cf.name. What
    // counts is the length below the top-level name, which both share (`cf`, `promregator`).
    const below = candidate.length - known.canonical.split(/[.[]/)[0].length;
    const max = Math.min(NEAR_MISS, Math.floor(below / 3));
    const distance = editDistance(pattern, candidate, max);
    if (distance <= max && distance > 0 && (!best || distance < best.distance)) {
      best = { display: known.display, distance };
    }
  }
  return best && fillIndices(best.display, indices);
}
