/**
 * Property templates: every settable path, with `[*]` for list indices, in its documented spelling and in
 * canonical form. Used to map environment variables onto keys and to tell known keys from unknown ones.
 */
import { canonicalPath, pathMatchForm } from "./paths.js";
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
