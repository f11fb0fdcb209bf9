/**
 * Regexes in the configuration are Java regexes (java.util.regex.Pattern); we match with JavaScript. This
 * module translates a Java pattern into an equivalent JavaScript pattern for the `v` flag, construct by
 * construct, and refuses, by name, every construct that has no exact equivalent. The rules are listed in
 * docs/migration.md ("Regular expressions").
 *
 * Semantics reproduced from Pattern's documentation: `.` excludes Java's line terminators; `^`, `$`, `\A`,
 * `\Z`, `\z` and the `m`/`d` flags as Java defines them; `\s` is ASCII; POSIX classes (`\p{Alpha}`...) are
 * US-ASCII; CASE_INSENSITIVE (the `i` flag, also inline `(?i)`, `(?i:...)`, `(?-i)`) folds ASCII letters only,
 * which is done by spelling out both cases rather than with JavaScript's `i` flag (that one folds Unicode).
 * Whole-string matching (`Matcher.matches()`) is `^(?:...)$` around the translation.
 */

import { errorMessage } from "../errors.js";
import {
  ANY,
  HSPACE,
  JAVA_SPACE,
  JavaRegexError,
  negate,
  property,
  unsupported,
  VSPACE,
} from "./java-regex-classes.js";

export { JavaRegexError } from "./java-regex-classes.js";

/** Java's line terminators (without UNIX_LINES), as a class body. */
const TERMINATORS = "\\n\\r\\u{85}\\u{2028}\\u{2029}";
const START = `(?<!${ANY})`;
const END = `(?!${ANY})`;

interface Flags {
  /** CASE_INSENSITIVE (US-ASCII) */
  i: boolean;
  /** DOTALL */
  s: boolean;
  /** MULTILINE */
  m: boolean;
  /** UNIX_LINES: only \n ends a line */
  d: boolean;
  /** COMMENTS: whitespace and #-comments are ignored */
  x: boolean;
}

/** A code point written so that it means itself in and outside a v-mode class. */
function char(cp: number): string {
  const c = String.fromCodePoint(cp);
  return /[A-Za-z0-9_]/.test(c) ? c : `\\u{${cp.toString(16).toUpperCase()}}`;
}

function isAsciiLetter(cp: number): boolean {
  return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
}

/** Ranges with, under CASE_INSENSITIVE, the other case of every ASCII letter in them (Pattern's rule). */
function foldRanges(lo: number, hi: number, ci: boolean): [number, number][] {
  const out: [number, number][] = [[lo, hi]];
  if (!ci) return out;
  for (const [a, z, shift] of [
    [0x61, 0x7a, -32],
    [0x41, 0x5a, 32],
  ] as const) {
    const from = Math.max(lo, a);
    const to = Math.min(hi, z);
    if (from <= to) out.push([from + shift, to + shift]);
  }
  return out;
}

function rangeText([lo, hi]: [number, number]): string {
  return lo === hi ? char(lo) : `${char(lo)}-${char(hi)}`;
}

interface Piece {
  /** Emitted before the quantifiable part (the leading characters of `\Q...\E`, whose quantifier binds the last). */
  prefix?: string;
  text: string;
  /** Assertions and lookarounds need `(?:...)` around them to take a quantifier in JavaScript. */
  assertion?: boolean;
  /** Whether a quantifier may follow (not after a flag group like `(?i)`). */
  quantifiable: boolean;
}

class Translator {
  private i = 0;
  private flags: Flags;
  private atomics = 0;
  private lookbehind = 0;

  constructor(
    private readonly re: string,
    caseInsensitive: boolean,
  ) {
    this.flags = { i: caseInsensitive, s: false, m: false, d: false, x: false };
  }

  translate(): string {
    const out = this.alternation();
    if (this.i < this.re.length) throw this.invalid(`unmatched ")" at position ${this.i}`);
    return out;
  }

  private invalid(what: string): JavaRegexError {
    return new JavaRegexError(`is not a valid Java regular expression: ${what}`);
  }

  private peek(offset = 0): string | undefined {
    return this.re[this.i + offset];
  }

  private skipComments(): void {
    if (!this.flags.x) return;
    for (;;) {
      const c = this.peek();
      if (c !== undefined && /\s/.test(c)) this.i++;
      else if (c === "#") {
        while (this.i < this.re.length && this.re[this.i] !== "\n") this.i++;
      } else return;
    }
  }

  private alternation(): string {
    const saved = { ...this.flags };
    const branches = [this.sequence()];
    while (this.peek() === "|") {
      this.i++;
      branches.push(this.sequence());
    }
    this.flags = saved;
    return branches.join("|");
  }

  private sequence(): string {
    let out = "";
    for (;;) {
      this.skipComments();
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") return out;
      const piece = this.atom();
      out += this.quantified(piece);
    }
  }

  private quantified(piece: Piece): string {
    this.skipComments();
    const start = this.i;
    const c = this.peek();
    let quantifier = "";
    if (c === "*" || c === "+" || c === "?") {
      quantifier = c;
      this.i++;
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.re.slice(this.i));
      if (!m)
        throw this.invalid(`illegal repetition "{" at position ${this.i} (write \\{ for a literal brace)`);
      if (m[3] !== undefined && m[3] !== "" && Number(m[3]) < Number(m[1])) {
        throw this.invalid(`illegal repetition range ${m[0]}`);
      }
      quantifier = m[0];
      this.i += m[0].length;
    }
    const prefix = piece.prefix ?? "";
    if (!quantifier) return prefix + piece.text;
    if (!piece.quantifiable) throw this.invalid(`dangling quantifier at position ${start}`);
    // Java accepts `a{2}{3}`; what it repeats is easy to misread, and a group says it plainly.
    const stacked = (at: number) => {
      if (this.re[at] === "{")
        throw unsupported(`a {n} right after another quantifier (write a group, e.g. (?:a{2}){3})`);
    };
    const base = piece.assertion ? `(?:${piece.text})` : piece.text;
    if (this.peek() === "?") {
      this.i++;
      stacked(this.i);
      return `${prefix}${base}${quantifier}?`;
    }
    if (this.peek() === "+") {
      this.i++;
      stacked(this.i);
      return prefix + this.atomic(`${base}${quantifier}`, `possessive quantifier ${quantifier}+`);
    }
    stacked(this.i);
    return `${prefix}${base}${quantifier}`;
  }

  /** Java's atomic group, exactly: a lookahead never backtracks into its match, and the back-reference consumes it. */
  private atomic(inner: string, construct: string): string {
    if (this.lookbehind > 0) throw unsupported(`${construct} inside a lookbehind`);
    const name = `_atomic${++this.atomics}`;
    return `(?=(?<${name}>${inner}))\\k<${name}>`;
  }

  private atom(): Piece {
    const c = this.re[this.i];
    const cp = this.re.codePointAt(this.i) ?? 0;
    switch (c) {
      case "(":
        return this.group();
      case "[":
        this.i++;
        return { text: this.characterClass(), quantifiable: true };
      case "\\":
        return this.escape();
      case ".":
        this.i++;
        if (this.flags.s) return { text: ANY, quantifiable: true };
        return { text: this.flags.d ? "[^\\n]" : `[^${TERMINATORS}]`, quantifiable: true };
      case "^":
        this.i++;
        return { text: this.caret(), quantifiable: true, assertion: true };
      case "$":
        this.i++;
        return { text: this.dollar(), quantifiable: true, assertion: true };
      case "*":
      case "+":
      case "?":
        throw this.invalid(`dangling meta character "${c}" at position ${this.i}`);
      case "{":
        throw this.invalid(`illegal repetition "{" at position ${this.i} (write \\{ for a literal brace)`);
      default:
        this.i += cp > 0xffff ? 2 : 1;
        return { text: this.literal(cp), quantifiable: true };
    }
  }

  private literal(cp: number): string {
    if (this.flags.i && isAsciiLetter(cp)) {
      return `[${char(cp)}${char(cp ^ 0x20)}]`;
    }
    return char(cp);
  }

  private caret(): string {
    if (!this.flags.m) return START;
    // Never at the end of input, not even at the start of an empty one (java.util.regex Pattern.Caret and
    // UnixCaret: "Perl does not match ^ at end of input even after newline").
    if (this.flags.d) return `(?:${START}|(?<=\\n))(?=${ANY})`;
    // At the start or after a line terminator, but not between \r and \n.
    return `(?:${START}|(?<=[${TERMINATORS}])(?<!\\r(?=\\n)))(?=${ANY})`;
  }

  private dollar(): string {
    if (this.flags.d) return this.flags.m ? `(?=\\n|${END})` : `(?=\\n?${END})`;
    if (this.flags.m) return `(?:(?=[${TERMINATORS}])(?<!\\r(?=\\n))|${END})`;
    // At the end, or before a line terminator that ends the input (never between \r and \n).
    return `(?=(?:\\r\\n|[${TERMINATORS}])?${END})(?<!\\r(?=\\n))`;
  }

  private group(): Piece {
    const start = this.i;
    this.i++;
    if (this.peek() !== "?") {
      const inner = this.alternation();
      this.close(start);
      return { text: `(${inner})`, quantifiable: true };
    }
    this.i++;
    const rest = this.re.slice(this.i);
    const lookaround = /^(=|!|<=|<!)/.exec(rest);
    if (lookaround) {
      this.i += lookaround[1].length;
      const behind = lookaround[1].startsWith("<");
      if (behind) this.lookbehind++;
      const inner = this.alternation();
      if (behind) this.lookbehind--;
      this.close(start);
      return { text: `(?${lookaround[1]}${inner})`, quantifiable: true, assertion: true };
    }
    const named = /^<([a-zA-Z][a-zA-Z0-9]*)>/.exec(rest);
    if (named) {
      this.i += named[0].length;
      const inner = this.alternation();
      this.close(start);
      return { text: `(?<${named[1]}>${inner})`, quantifiable: true };
    }
    if (rest.startsWith(":")) {
      this.i++;
      const inner = this.alternation();
      this.close(start);
      return { text: `(?:${inner})`, quantifiable: true };
    }
    if (rest.startsWith(">")) {
      this.i++;
      const inner = this.alternation();
      this.close(start);
      return { text: this.atomic(inner, "atomic group (?>...)"), quantifiable: true };
    }
    const flags = /^([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(rest);
    if (!flags) throw this.invalid(`unknown group construct "(?${rest.slice(0, 1)}" at position ${start}`);
    this.i += flags[0].length;
    const on = flags[1];
    const off = flags[2] ?? "";
    if (flags[3] === ")") {
      // `(?i)` applies to the rest of the enclosing group.
      this.setFlags(on, off);
      return { text: "", quantifiable: false };
    }
    const saved = { ...this.flags };
    this.setFlags(on, off);
    const inner = this.alternation();
    this.flags = saved;
    this.close(start);
    return { text: `(?:${inner})`, quantifiable: true };
  }

  private setFlags(on: string, off: string): void {
    for (const [letters, value] of [
      [on, true],
      [off, false],
    ] as const) {
      for (const f of letters) {
        if (f === "i" || f === "s" || f === "m" || f === "d" || f === "x") this.flags[f] = value;
        else if (f === "u") throw unsupported("the flag (?u) (Unicode-aware case folding)");
        else if (f === "U") throw unsupported("the flag (?U) (Unicode character classes)");
        else throw this.invalid(`unknown inline flag "${f}"`);
      }
    }
  }

  private close(start: number): void {
    if (this.peek() !== ")") throw this.invalid(`unclosed group opened at position ${start}`);
    this.i++;
  }

  private escape(): Piece {
    const start = this.i;
    this.i++;
    const c = this.peek();
    if (c === undefined) throw this.invalid("trailing backslash");
    switch (c) {
      case "Q": {
        this.i++;
        const literals = this.quoted().map((cp) => this.literal(cp));
        const last = literals.pop();
        return { prefix: literals.join(""), text: last ?? "", quantifiable: last !== undefined };
      }
      case "E":
        this.i++;
        return { text: "", quantifiable: false };
      case "b":
        if (this.peek(1) === "{") throw unsupported("grapheme cluster boundary \\b{g}");
        this.i++;
        return { text: "\\b", quantifiable: true, assertion: true };
      case "B":
        this.i++;
        return { text: "\\B", quantifiable: true, assertion: true };
      case "A":
      case "G":
        // In Matcher.matches() the end of the previous match (\G) is the start of the input.
        this.i++;
        return { text: START, quantifiable: true, assertion: true };
      case "z":
        this.i++;
        return { text: END, quantifiable: true, assertion: true };
      case "Z":
        this.i++;
        return {
          text: this.flags.d ? `(?=\\n?${END})` : `(?=(?:\\r\\n|[${TERMINATORS}])?${END})`,
          quantifiable: true,
          assertion: true,
        };
      case "R":
        this.i++;
        return { text: `(?:\\r\\n|[${VSPACE}])`, quantifiable: true };
      case "X":
        throw unsupported("grapheme cluster \\X");
      case "k":
        throw unsupported(
          `back-reference \\k<...> at position ${start} (in JavaScript a back-reference to a group that did not take part matches the empty string; in Java it fails)`,
        );
      default:
        if (/[1-9]/.test(c)) {
          throw unsupported(
            `back-reference \\${c} at position ${start} (in JavaScript a back-reference to a group that did not take part matches the empty string; in Java it fails)`,
          );
        }
    }
    const operand = this.classEscape();
    if (typeof operand === "string") return { text: operand, quantifiable: true };
    return { text: this.literal(operand), quantifiable: true };
  }

  /** The code points of `\Q...\E` (the `\Q` already consumed); to the end of the pattern without `\E`. */
  private quoted(): number[] {
    const end = this.re.indexOf("\\E", this.i);
    const text = this.re.slice(this.i, end < 0 ? this.re.length : end);
    this.i = end < 0 ? this.re.length : end + 2;
    return [...text].map((ch) => ch.codePointAt(0) ?? 0);
  }

  /**
   * An escape valid both in and outside a class (the backslash consumed): a class operand as text, or the
   * code point of a character escape.
   */
  private classEscape(): string | number {
    const c = this.re[this.i];
    this.i++;
    const ci = this.flags.i;
    switch (c) {
      case "d":
        return "\\d";
      case "D":
        return "\\D";
      case "w":
        return "\\w";
      case "W":
        return "\\W";
      case "s":
        return JAVA_SPACE;
      case "S":
        return negate(JAVA_SPACE);
      case "h":
        return `[${HSPACE}]`;
      case "H":
        return `[^${HSPACE}]`;
      case "v":
        return `[${VSPACE}]`;
      case "V":
        return `[^${VSPACE}]`;
      case "p":
      case "P": {
        let name: string;
        if (this.peek() === "{") {
          const end = this.re.indexOf("}", this.i);
          if (end < 0) throw this.invalid(`unclosed \\${c}{`);
          name = this.re.slice(this.i + 1, end);
          this.i = end + 1;
        } else {
          name = this.re[this.i] ?? "";
          this.i++;
        }
        const operand = property(name, ci);
        return c === "P" ? negate(operand) : operand;
      }
      case "t":
        return 0x09;
      case "n":
        return 0x0a;
      case "r":
        return 0x0d;
      case "f":
        return 0x0c;
      case "a":
        return 0x07;
      case "e":
        return 0x1b;
      case "c": {
        const x = this.re.codePointAt(this.i);
        if (x === undefined) throw this.invalid("\\c without a control letter");
        this.i++;
        return x ^ 64;
      }
      case "0": {
        const m = /^(?:[0-3][0-7]{2}|[0-7]{1,2})/.exec(this.re.slice(this.i));
        if (!m) throw this.invalid("\\0 must be followed by an octal digit");
        this.i += m[0].length;
        return Number.parseInt(m[0], 8);
      }
      case "x": {
        const m = /^(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{2}))/.exec(this.re.slice(this.i));
        if (!m) throw this.invalid("\\x must be followed by two hex digits or {hex}");
        this.i += m[0].length;
        const cp = Number.parseInt(m[1] ?? m[2], 16);
        if (cp > 0x10ffff) throw this.invalid(`\\x{${m[1]}} is beyond Unicode`);
        return cp;
      }
      case "u": {
        const unit = this.hex4();
        // Java reads an escaped surrogate pair as one code point.
        if (unit >= 0xd800 && unit <= 0xdbff && this.re.startsWith("\\u", this.i)) {
          const save = this.i;
          this.i += 2;
          const low = this.hex4();
          if (low >= 0xdc00 && low <= 0xdfff) return 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          this.i = save;
        }
        return unit;
      }
      case "N":
        throw unsupported("named character \\N{...}");
      default: {
        const cp = this.re.codePointAt(this.i - 1) ?? 0;
        if (/[a-zA-Z]/.test(c)) throw this.invalid(`illegal/unsupported escape sequence \\${c}`);
        if (cp > 0xffff) this.i++;
        return cp;
      }
    }
  }

  private hex4(): number {
    const m = /^[0-9a-fA-F]{4}/.exec(this.re.slice(this.i));
    if (!m) throw this.invalid("\\u must be followed by four hex digits");
    this.i += 4;
    return Number.parseInt(m[0], 16);
  }

  /** A character class (after `[`), as a v-mode class. */
  private characterClass(): string {
    const start = this.i - 1;
    const negated = this.peek() === "^";
    if (negated) this.i++;
    const operands: string[] = [];
    let union: string[] = [];
    let nested = false;
    let first = true;
    for (;;) {
      this.skipComments();
      const c = this.peek();
      if (c === undefined) throw this.invalid(`unclosed character class opened at position ${start}`);
      if (c === "]" && !first) {
        this.i++;
        break;
      }
      first = false;
      if (c === "[") {
        this.i++;
        union.push(this.characterClass());
        nested = true;
        continue;
      }
      if (c === "&" && this.peek(1) === "&") {
        // Java reads `&&&` in its own way (`[a&&&b]` matches a and b), not as && and a literal &.
        if (this.peek(2) === "&") throw unsupported("&&& in a character class");
        this.i += 2;
        if (union.length === 0) throw unsupported(`an empty operand of && in a character class`);
        operands.push(`[${union.join("")}]`);
        union = [];
        nested = true;
        continue;
      }
      const member = this.classMember();
      if (typeof member === "string") {
        union.push(member);
        continue;
      }
      let hi = member;
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== "[" && this.peek(1) !== undefined) {
        this.i++;
        const end = this.classMember();
        if (typeof end === "string")
          throw this.invalid(`a range ends in a character class at position ${this.i}`);
        if (end < member) throw this.invalid(`illegal character range near position ${this.i}`);
        hi = end;
      }
      union.push(...foldRanges(member, hi, this.flags.i).map(rangeText));
    }
    if (negated && nested) {
      throw unsupported(
        "a negated character class with a nested class or && (Java versions differ in what the ^ applies to)",
      );
    }
    if (operands.length > 0) {
      if (union.length === 0) throw unsupported(`an empty operand of && in a character class`);
      operands.push(`[${union.join("")}]`);
      return `[${operands.join("&&")}]`;
    }
    return `[${negated ? "^" : ""}${union.join("")}]`;
  }

  /** One member of a class: a code point, or an operand such as `\p{L}` (also `\Q...\E` as operand). */
  private classMember(): string | number {
    const c = this.re[this.i];
    if (c !== "\\") {
      const cp = this.re.codePointAt(this.i) ?? 0;
      this.i += cp > 0xffff ? 2 : 1;
      return cp;
    }
    this.i++;
    const next = this.peek();
    if (next === "Q") {
      this.i++;
      const cps = this.quoted();
      // Java refuses an empty \Q\E inside a class.
      if (cps.length === 0) throw this.invalid(`an empty \\Q\\E inside a character class`);
      return `[${cps.flatMap((cp) => foldRanges(cp, cp, this.flags.i).map(rangeText)).join("")}]`;
    }
    if (next === "b" || next === "B" || next === "A" || next === "z" || next === "Z" || next === "G") {
      throw this.invalid(`\\${next} inside a character class`);
    }
    if (next === "R" || next === "X" || next === "k" || (next !== undefined && /[1-9]/.test(next))) {
      throw this.invalid(`\\${next} inside a character class`);
    }
    return this.classEscape();
  }
}

/**
 * The JavaScript source (for the `v` flag) equivalent to a Java pattern compiled with the given case
 * sensitivity. Throws JavaRegexError naming the construct when there is no exact equivalent or Java would
 * reject the pattern.
 */
export function translateJavaRegex(pattern: string, caseInsensitive: boolean): string {
  const source = new Translator(pattern, caseInsensitive).translate();
  try {
    new RegExp(source, "v");
  } catch (err) {
    throw new JavaRegexError(`is not a valid regular expression: ${errorMessage(err)}`);
  }
  return source;
}

/**
 * A Java pattern compiled for whole-string matching (`Matcher.matches()`), optionally with
 * CASE_INSENSITIVE. Throws Error with a readable reason.
 */
export function compileJavaRegex(pattern: string, options: { caseInsensitive?: boolean } = {}): RegExp {
  const source = translateJavaRegex(pattern, options.caseInsensitive ?? false);
  return new RegExp(`^(?:${source})$`, "v");
}

/** Why `source` cannot be used, or undefined. `flags` "i" means CASE_INSENSITIVE. */
export function checkJavaRegex(source: string, flags: string): string | undefined {
  try {
    translateJavaRegex(source, flags.includes("i"));
    return undefined;
  } catch (err) {
    if (err instanceof JavaRegexError) return err.message;
    throw err;
  }
}
