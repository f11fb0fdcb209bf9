/**
 * Regexes in promregator.yml are Java regexes; we match with JavaScript. Constructs that JavaScript lacks, or
 * that it would silently read differently (`\Q` is just "Q" there), are reported by name instead.
 */

const UNSUPPORTED_ESCAPES: Record<string, string> = {
  A: "\\A (start of input; use ^)",
  Z: "\\Z (end of input; use $)",
  z: "\\z (end of input; use $)",
  G: "\\G (end of the previous match)",
  Q: "\\Q...\\E quoting (escape each special character with \\ instead)",
  E: "\\E (end of \\Q quoting)",
  R: "\\R (any line break)",
  X: "\\X (grapheme cluster)",
  h: "\\h (horizontal whitespace; use [ \\t])",
  H: "\\H (non-horizontal whitespace)",
  p: "\\p{...} character classes",
  P: "\\P{...} character classes",
  a: "\\a (bell character)",
  e: "\\e (escape character)",
};

/** Returns why `source` cannot be used, or undefined when it compiles in JavaScript with `flags`. */
export function checkJavaRegex(source: string, flags: string): string | undefined {
  const construct = findUnsupportedConstruct(source);
  if (construct) return `uses a Java-only regex construct: ${construct}`;
  try {
    new RegExp(source, flags);
    return undefined;
  } catch (err) {
    return `is not a valid regular expression: ${(err as Error).message}`;
  }
}

function findUnsupportedConstruct(re: string): string | undefined {
  let i = 0;
  while (i < re.length) {
    const c = re[i];
    let atomEnd: number;
    if (c === "\\") {
      const next = re[i + 1];
      if (next !== undefined && UNSUPPORTED_ESCAPES[next]) return UNSUPPORTED_ESCAPES[next];
      atomEnd = i + 2;
    } else if (c === "[") {
      const end = scanClass(re, i);
      if (typeof end === "string") return end;
      atomEnd = end;
    } else if (c === "(") {
      const group = checkGroupStart(re, i);
      if (group) return group;
      i++;
      continue;
    } else {
      atomEnd = i + 1;
    }
    const quantifierEnd = scanQuantifier(re, atomEnd);
    if (quantifierEnd > atomEnd && re[quantifierEnd] === "+") {
      return `possessive quantifier "${re.slice(atomEnd, quantifierEnd + 1)}" (use "${re.slice(atomEnd, quantifierEnd)}")`;
    }
    i = Math.max(quantifierEnd, atomEnd);
  }
  return undefined;
}

/** End of the character class starting at `start`, or the name of a construct JavaScript lacks. */
function scanClass(re: string, start: number): number | string {
  let i = start + 1;
  if (re[i] === "^") i++;
  for (; i < re.length; i++) {
    const c = re[i];
    if (c === "\\") {
      const next = re[i + 1];
      if (next !== undefined && UNSUPPORTED_ESCAPES[next]) return UNSUPPORTED_ESCAPES[next];
      i++;
    } else if (c === "[") {
      return "nested character classes ([a-z[0-9]])";
    } else if (c === "&" && re[i + 1] === "&") {
      return "character class intersection (&&)";
    } else if (c === "]") {
      return i + 1;
    }
  }
  return re.length;
}

function checkGroupStart(re: string, start: number): string | undefined {
  if (re[start + 1] !== "?") return undefined;
  const rest = re.slice(start + 2);
  if (rest.startsWith(">")) return "atomic group (?>...)";
  if (/^[a-zA-Z-]+[:)]/.test(rest)) {
    return "inline flags such as (?i) (names are already compared case-insensitively where Java does)";
  }
  return undefined;
}

/** End of a quantifier (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each optionally lazy) at `at`, or `at`. */
function scanQuantifier(re: string, at: number): number {
  let end = at;
  const c = re[at];
  if (c === "*" || c === "+" || c === "?") end = at + 1;
  else if (c === "{") {
    const m = /^\{\d+(,\d*)?\}/.exec(re.slice(at));
    if (m) end = at + m[0].length;
  }
  if (end > at && re[end] === "?") end++;
  return end;
}
