/**
 * The character classes of java.util.regex.Pattern (`\\p{...}`, `\\s`, `\\h`, `\\v`) as class operands of a
 * JavaScript `v`-flag regex, with Pattern's CASE_INSENSITIVE variants; and the error for untranslatable constructs.
 */

/** A construct that cannot be translated, or a pattern that Java itself would reject. */
export class JavaRegexError extends Error {}

export function unsupported(construct: string): JavaRegexError {
  return new JavaRegexError(
    `uses a Java regex construct without an exact JavaScript equivalent: ${construct}`,
  );
}

export const ANY = "[\\s\\S]";
export const JAVA_SPACE = "[\\t-\\r ]";
export const HSPACE = "\\u{20}\\t\\u{A0}\\u{1680}\\u{180E}\\u{2000}-\\u{200A}\\u{202F}\\u{205F}\\u{3000}";
export const VSPACE = "\\n-\\r\\u{85}\\u{2028}\\u{2029}";

/** POSIX classes of Pattern (US-ASCII), as v-mode class operands; `ci` replaces one under CASE_INSENSITIVE. */
const POSIX: Readonly<Record<string, { cls: string; ci?: string }>> = {
  Lower: { cls: "[a-z]", ci: "[a-zA-Z]" },
  Upper: { cls: "[A-Z]", ci: "[a-zA-Z]" },
  ASCII: { cls: "[\\u{0}-\\u{7F}]" },
  Alpha: { cls: "[a-zA-Z]" },
  Digit: { cls: "[0-9]" },
  Alnum: { cls: "[a-zA-Z0-9]" },
  Punct: { cls: "[\\u{21}-\\u{2F}\\u{3A}-\\u{40}\\u{5B}-\\u{60}\\u{7B}-\\u{7E}]" },
  Graph: { cls: "[\\u{21}-\\u{7E}]" },
  Print: { cls: "[\\u{20}-\\u{7E}]" },
  Blank: { cls: "[\\u{20}\\t]" },
  Cntrl: { cls: "[\\u{0}-\\u{1F}\\u{7F}]" },
  XDigit: { cls: "[0-9a-fA-F]" },
  Space: { cls: JAVA_SPACE },
};

const CASED = "[\\p{Lowercase}\\p{Uppercase}\\p{Lt}]";
const CASED_LETTER = "[\\p{Lu}\\p{Ll}\\p{Lt}]";

/** java.lang.Character classes (`\p{javaLowerCase}`) with an exact Unicode equivalent. */
const JAVA_CHARACTER: Readonly<Record<string, { cls: string; ci?: string }>> = {
  javaLowerCase: { cls: "\\p{Lowercase}", ci: CASED },
  javaUpperCase: { cls: "\\p{Uppercase}", ci: CASED },
  javaTitleCase: { cls: "\\p{Lt}", ci: CASED },
  javaDigit: { cls: "\\p{Nd}" },
  javaLetter: { cls: "\\p{L}" },
  javaLetterOrDigit: { cls: "[\\p{L}\\p{Nd}]" },
  javaAlphabetic: { cls: "\\p{Alphabetic}" },
  javaIdeographic: { cls: "\\p{Ideographic}" },
  javaSpaceChar: { cls: "[\\p{Zs}\\p{Zl}\\p{Zp}]" },
  javaWhitespace: { cls: "[[\\p{Zs}\\p{Zl}\\p{Zp}\\t-\\r\\u{1C}-\\u{1F}]--[\\u{A0}\\u{2007}\\u{202F}]]" },
  javaISOControl: { cls: "[\\u{0}-\\u{1F}\\u{7F}-\\u{9F}]" },
  javaDefined: { cls: "\\P{Cn}" },
  javaMirrored: { cls: "\\p{Bidi_Mirrored}" },
};

const CATEGORIES = new Set(
  "L Lu Ll Lt Lm Lo LC M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Cs Co Cn".split(
    " ",
  ),
);

/** Pattern's own extra names for `\p{...}`. */
const JAVA_EXTRA: Readonly<Record<string, { cls: string; ci?: string }>> = {
  L1: { cls: "[\\u{0}-\\u{FF}]" },
  LD: { cls: "[\\p{L}\\p{Nd}]" },
  all: { cls: ANY },
};

/** `\p{IsXxx}` binary properties (matched case-insensitively, `_` optional, as Java does). */
const BINARY: Readonly<Record<string, { cls: string; ci?: string }>> = {
  ALPHABETIC: { cls: "\\p{Alphabetic}" },
  IDEOGRAPHIC: { cls: "\\p{Ideographic}" },
  LETTER: { cls: "\\p{L}" },
  LOWERCASE: { cls: "\\p{Lowercase}", ci: CASED },
  UPPERCASE: { cls: "\\p{Uppercase}", ci: CASED },
  TITLECASE: { cls: "\\p{Lt}", ci: CASED },
  PUNCTUATION: { cls: "\\p{P}" },
  CONTROL: { cls: "\\p{Cc}" },
  WHITESPACE: { cls: "\\p{White_Space}" },
  DIGIT: { cls: "\\p{Nd}" },
  ASSIGNED: { cls: "\\P{Cn}" },
};

function category(name: string, ci: boolean): string | undefined {
  if (!CATEGORIES.has(name)) return undefined;
  // Under CASE_INSENSITIVE Pattern widens Lu, Ll and Lt to all three.
  if (ci && (name === "Lu" || name === "Ll" || name === "Lt")) return CASED_LETTER;
  return `\\p{${name}}`;
}

function script(name: string): string | undefined {
  const spelled = name
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join("_");
  const candidate = `\\p{Script=${spelled}}`;
  try {
    new RegExp(candidate, "v");
    return candidate;
  } catch {
    return undefined;
  }
}

/** A `\p{name}` of Java as a v-mode class operand; throws for names without an exact equivalent. */
export function property(name: string, ci: boolean): string {
  const pick = (p: { cls: string; ci?: string } | undefined) => (p ? (ci && p.ci) || p.cls : undefined);
  const eq = name.indexOf("=");
  let found: string | undefined;
  if (eq >= 0) {
    const key = name.slice(0, eq).toLowerCase();
    const value = name.slice(eq + 1);
    if (key === "sc" || key === "script") found = script(value);
    else if (key === "gc" || key === "general_category") found = category(value, ci);
    else if (key === "blk" || key === "block") throw blockError(name);
  } else if (name.startsWith("In")) {
    throw blockError(name);
  } else if (name.startsWith("Is")) {
    const rest = name.slice(2);
    found =
      pick(BINARY[rest.toUpperCase().replace(/_/g, "")]) ??
      category(rest, ci) ??
      pick(POSIX[rest]) ??
      script(rest);
  } else {
    found = pick(POSIX[name]) ?? pick(JAVA_CHARACTER[name]) ?? pick(JAVA_EXTRA[name]) ?? category(name, ci);
  }
  if (found === undefined) {
    throw unsupported(
      `the character class \\p{${name}} (no exact JavaScript equivalent; supported: POSIX classes such as \\p{Alpha}, general categories such as \\p{Lu}, scripts such as \\p{IsLatin}, \\p{IsAlphabetic} and similar)`,
    );
  }
  return found;
}

function blockError(name: string): JavaRegexError {
  return unsupported(
    `the Unicode block \\p{${name}} (JavaScript has no block property; use a range such as [\\u0370-\\u03FF])`,
  );
}

/** Negation of a class operand: `\p{X}` <-> `\P{X}`, `[...]` <-> `[^...]`. */
export function negate(operand: string): string {
  if (operand.startsWith("\\p{")) return `\\P${operand.slice(2)}`;
  if (operand.startsWith("\\P{")) return `\\p${operand.slice(2)}`;
  if (operand.startsWith("[^")) return `[${operand.slice(2)}`;
  return `[^${operand.slice(1)}`;
}
