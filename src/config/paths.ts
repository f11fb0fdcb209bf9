/**
 * Property paths in Spring's style (`promregator.targets[0].orgName`) and their canonical form, in which each
 * name is lower-cased with `-` and `_` removed. Two spellings with the same canonical form name the same setting
 * (Spring's relaxed binding: `oauth2xsuaaBasic`, `oauth2xsuaa-basic` and `OAUTH2XSUAA_BASIC` are one key).
 */

/** `a.b[0].c` -> ["a", "b", "[0]", "c"] */
export function splitPath(path: string): string[] {
  const segments: string[] = [];
  for (const part of path.split(".")) {
    const match = /^([^[]*)((?:\[[^\]]*\])*)$/.exec(part);
    if (!match) {
      segments.push(part);
      continue;
    }
    if (match[1]) segments.push(match[1]);
    for (const index of match[2].match(/\[[^\]]*\]/g) ?? []) segments.push(index);
  }
  return segments;
}

export function joinPath(segments: readonly string[]): string {
  let out = "";
  for (const s of segments) {
    if (s.startsWith("[")) out += s;
    else out += out ? `.${s}` : s;
  }
  return out;
}

export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, "");
}

export function canonicalPath(path: string): string {
  return joinPath(splitPath(path).map((s) => (s.startsWith("[") ? s : canonicalName(s))));
}

/**
 * The environment-variable form used for matching: `PROMREGATOR_TARGETS_0_ORGNAME` -> `promregatortargets[0]orgname`.
 * Separators vanish because `_` may be a word separator or part of a name (`CLIENT_SECRET`); a token made only
 * of digits is a list index.
 */
export function envMatchForm(variable: string): string {
  return variable
    .split("_")
    .filter((t) => t !== "")
    .map((t) => (/^\d+$/.test(t) ? `[${Number(t)}]` : t.toLowerCase()))
    .join("");
}

/** The same form for a canonical path or template: dots removed. */
export function pathMatchForm(canonical: string): string {
  return canonical.replace(/\./g, "");
}

/** True when `path` equals `prefix` or lies below it (`a.b` is under `a`, `a[0]` too, `ab` is not). */
export function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/**
 * `FOUNDATIONS_1_API_HOST` for `foundations[1].api_host`: the environment variable of a key in the spelling
 * the documentation uses, for hints in messages.
 */
export function envVariable(key: string): string {
  return key
    .replace(/[.[\]]+/g, "_")
    .replace(/_$/, "")
    .toUpperCase();
}

/**
 * The optimal-string-alignment distance of two strings (insertions, deletions, substitutions and swaps of two
 * neighbouring characters each count 1), for "did you mean" hints; gives up early above `max` (returns max + 1).
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2] + 1);
      current.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}
