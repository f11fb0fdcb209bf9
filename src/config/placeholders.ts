/**
 * `${name}` and `${name:default}` placeholders, resolved like Spring's PropertyPlaceholderHelper: nested
 * placeholders are allowed in the name, the default and in resolved values; the default starts after the
 * first `:` outside a nested placeholder. A backslash escapes, as since Spring Framework 6.2 (Spring Boot 3.4,
 * PlaceholderParser): `\${a}` is the text `${a}`, and `${a\:b}` names the property `a:b`.
 */

const ESCAPE = "\\";

export type PlaceholderLookup = (name: string) => string | undefined;

export interface PlaceholderResult {
  text: string;
  /** Names that could not be resolved; their placeholders are left in `text` as written. */
  unresolved: string[];
}

/** Thrown for `${a}` whose value leads back to `${a}`. */
export class PlaceholderCycleError extends Error {}

export function resolvePlaceholders(text: string, lookup: PlaceholderLookup): PlaceholderResult {
  const unresolved: string[] = [];
  const out = resolve(text, lookup, new Set(), unresolved);
  return { text: out, unresolved };
}

function resolve(
  text: string,
  lookup: PlaceholderLookup,
  visiting: Set<string>,
  unresolved: string[],
): string {
  let out = "";
  let from = 0;
  for (;;) {
    const start = text.indexOf("${", from);
    if (start < 0) break;
    const end = findClosingBrace(text, start + 2);
    if (end < 0) break; // unterminated: kept literally, as Spring does
    if (text[start - 1] === ESCAPE) {
      out += `${text.slice(from, start - 1)}\${`;
      from = start + 2;
      continue;
    }
    out += text.slice(from, start);
    const inner = text.slice(start + 2, end);
    const colon = findDefaultSeparator(inner);
    const key = (colon < 0 ? inner : inner.slice(0, colon)).replaceAll(`${ESCAPE}:`, ":");
    const name = resolve(key, lookup, visiting, unresolved);
    const value = lookup(name);
    if (value !== undefined) {
      if (visiting.has(name)) throw new PlaceholderCycleError(`circular placeholder reference \${${name}}`);
      visiting.add(name);
      out += resolve(value, lookup, visiting, unresolved);
      visiting.delete(name);
    } else if (colon >= 0) {
      out += resolve(inner.slice(colon + 1), lookup, visiting, unresolved);
    } else {
      unresolved.push(name);
      out += text.slice(start, end + 1);
    }
    from = end + 1;
  }
  return out + text.slice(from);
}

/** Index of the `}` closing a placeholder whose body starts at `from`; `{` and `${` inside nest. */
function findClosingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  return -1;
}

function findDefaultSeparator(inner: string): number {
  let depth = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (c === ":" && depth === 0 && inner[i - 1] !== ESCAPE) return i;
  }
  return -1;
}

/**
 * The environment variable names Spring's SystemEnvironmentPropertySource tries for a property name:
 * as written, with `.` and/or `-` turned into `_`, and each of those upper-cased.
 */
export function envNamesFor(name: string): string[] {
  const variants = [name, name.replace(/\./g, "_"), name.replace(/-/g, "_"), name.replace(/[.-]/g, "_")];
  return [...new Set([...variants, ...variants.map((v) => v.toUpperCase())])];
}
