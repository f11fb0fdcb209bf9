import { describe, expect, it } from "vitest";
import { checkJavaRegex, compileJavaRegex } from "../../src/config/java-regex.js";
import { load, MINIMAL_CF } from "./helpers.js";

/** [Java pattern, CASE_INSENSITIVE, names java.util.regex matches, names it does not match] */
const CASES: [string, boolean, string[], string[]][] = [
  ["(?i)MyApp", false, ["myapp", "MYAPP"], ["myap"]],
  ["(?i)prod-.*", false, ["PROD-eu"], ["dev-eu"]],
  ["x(?i:ab)y", false, ["xABy", "xaby"], ["XABy", "xABY"]],
  ["a(?i)b|c", false, ["aB", "C"], ["AB"]],
  ["(?-i:App)", true, ["App"], ["app"]],
  ["\\p{Alpha}+-\\p{Digit}{2}", false, ["abc-12"], ["ab1-12", "é-12"]],
  ["\\p{Lower}+", false, ["abc"], ["Abc"]],
  ["\\p{Lower}+", true, ["abc", "ABC"], ["é"]],
  ["\\p{Upper}\\p{Alnum}*", false, ["A1b"], ["a1b"]],
  ["\\p{Punct}\\p{Space}\\p{XDigit}", false, ["! f"], ["a f", "!\u00a0f"]],
  ["\\P{Digit}+", false, ["ab"], ["a1"]],
  ["\\p{IsLatin}+\\p{L}", false, ["éa"], ["α1"]],
  ["\\p{Lu}", true, ["a", "A"], ["1"]],
  ["\\p{javaLowerCase}", false, ["é"], ["É"]],
  ["[\\p{Alpha}&&[^aeiou]]+", false, ["bcd"], ["bad"]],
  ["[a-z&&[^b]]+", false, ["ac"], ["abc"]],
  ["[a-z[0-9]]+", false, ["a1"], ["A"]],
  ["[^a]", true, ["b"], ["a", "A"]],
  ["[a-c]+", true, ["aBc"], ["d"]],
  ["\\Qapp.v1\\E", false, ["app.v1"], ["appxv1"]],
  ["\\Qab\\E*", false, ["a", "abbb"], ["abab"]],
  ["[\\Q-]\\E]+", false, ["-]"], ["a"]],
  ["a*+a", false, [], ["aaa"]],
  ["a++b", false, ["aab"], ["b"]],
  ["(?>a|ab)c", false, ["ac"], ["abc"]],
  ["a.b", false, ["a-b"], ["a\nb", "a\u0085b"]],
  ["(?s)a.b", false, ["a\nb"], []],
  ["é", true, ["é"], ["É"]],
  ["\\s", false, [" "], ["\u00a0"]],
  ["\\w+", true, ["a_B1"], ["é"]],
  ["(?x) a b # comment\n c", false, ["abc"], ["a b c"]],
  ["\\x41\\u0042\\x{43}\\0104\\t\\e", false, ["ABCD\t\u001b"], []],
  ["\\uD83D\\uDE00", false, ["😀"], []],
  [".", false, ["😀"], []],
  ["\\Aapp\\z", false, ["app"], []],
  ["app\\Z", false, ["app"], []],
  ["[]a]+", false, ["]a"], []],
  ["x{2}}", false, ["xx}"], []],
  // MULTILINE ^ never matches at the end of input (Pattern.Caret), not even in an empty one
  ["(?m)^$", false, [], [""]],
  ["(?m)a\n^", false, [], ["a\n"]],
  ["(?m)^a$", false, ["a"], []],
  ["(?md)^$", false, [], [""]],
];

describe("Java regexes in target settings", () => {
  for (const [pattern, ci, yes, no] of CASES) {
    it(`${pattern}${ci ? " (case-insensitive)" : ""} means what it means in Java`, () => {
      const re = compileJavaRegex(pattern, { caseInsensitive: ci });
      for (const name of yes) expect(re.test(name), `${JSON.stringify(name)} should match`).toBe(true);
      for (const name of no) expect(re.test(name), `${JSON.stringify(name)} should not match`).toBe(false);
    });
  }

  it("are accepted in targets: the constructs a Java user writes", () => {
    const yaml = `${MINIMAL_CF}promregator:
  targets:
    - orgRegex: '(?i)ACME'
      spaceRegex: '\\p{Lower}+'
      applicationRegex: '\\Qapp.v1\\E|\\p{Alpha}+-\\p{Digit}+'
      preferredRouteRegex:
        - '(?i).*\\.internal'
`;
    expect(load(yaml).config.promregator.targets[0].orgRegex).toBe("(?i)ACME");
  });

  it("refuse, by name, what has no exact JavaScript equivalent", () => {
    const refused: [string, RegExp][] = [
      ["\\p{InGreek}", /the Unicode block \\p\{InGreek\}/],
      ["\\p{blk=Greek}", /the Unicode block/],
      ["(a)\\1", /back-reference \\1/],
      ["(?<n>a)\\k<n>", /back-reference \\k<\.\.\.>/],
      ["(?u)a", /the flag \(\?u\)/],
      ["(?U)\\w", /the flag \(\?U\)/],
      ["\\X", /grapheme cluster \\X/],
      ["\\b{g}", /grapheme cluster boundary/],
      ["\\N{LATIN SMALL LETTER A}", /named character/],
      ["[^a[b]]", /negated character class with a nested class/],
      ["(?<=a++)b", /possessive quantifier \+\+ inside a lookbehind/],
      ["[a&&&b]", /&&& in a character class/],
      ["a{2}{3}", /a \{n\} right after another quantifier/],
      ["a*{3}", /a \{n\} right after another quantifier/],
      ["\\p{javaJavaIdentifierStart}", /the character class \\p\{javaJavaIdentifierStart\}/],
    ];
    for (const [pattern, message] of refused) {
      expect(checkJavaRegex(pattern, ""), pattern).toMatch(
        /^uses a Java regex construct without an exact JavaScript equivalent: /,
      );
      expect(checkJavaRegex(pattern, ""), pattern).toMatch(message);
    }
  });

  it("refuse what Java itself rejects", () => {
    for (const pattern of ["a{", "*a", "(a", "a)", "[a-", "[z-a]", "\\q", "(?#x)", "a{3,2}", "[\\Q\\E]"]) {
      expect(checkJavaRegex(pattern, ""), pattern).toMatch(/^is not a valid Java regular expression: /);
    }
  });
});
