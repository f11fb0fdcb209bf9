import { describe, expect, it } from "vitest";
import { readListPage } from "../../src/cf/list-page.js";

/** What paging gets from a page (its UTF-8 bytes, or those of a text): the envelope and every resource, parsed. */
function read(body: string | Buffer): { envelope: unknown; resources: unknown[]; cut: boolean } {
  const page = readListPage(typeof body === "string" ? Buffer.from(body, "utf8") : body);
  if (!page.resources) return { envelope: page.envelope, resources: [], cut: false };
  const { resources } = page;
  return {
    envelope: page.envelope,
    resources: Array.from({ length: resources.length }, (_, i) => resources.parse(i)),
    cut: true,
  };
}

/** The same page as JSON.parse reads it, with the resources taken out of the envelope. */
function whole(text: string): { envelope: unknown; resources: unknown[] } {
  const { resources, ...rest } = JSON.parse(text) as { resources: unknown[] };
  return { envelope: { ...rest, resources: [] }, resources };
}

const tricky = [
  { guid: "a", name: 'quote " comma , bracket ] brace } [ {', labels: { "k\\": "v\\\\" } },
  { guid: "b", name: 'back\\\\slash\\"', nested: [[1, [2, [3]]], { x: [] }, {}], n: -1.5e-3 },
  { guid: "c", name: "unicode \u00e9 \ud83d\ude00 \u2028", empty: "", t: true, f: false, z: null },
  "a string item",
  42,
  [1, 2, { resources: [9] }],
];

describe("a CC list page read one resource at a time", () => {
  it.each([
    ["compact", JSON.stringify({ pagination: { next: null }, resources: tricky })],
    ["indented", JSON.stringify({ pagination: { total_pages: 1 }, resources: tricky }, null, 2)],
    [
      "resources first, included last",
      JSON.stringify({ resources: tricky, included: { spaces: [{ guid: "s" }] } }),
    ],
    ["empty resources", '{"pagination":{},"resources":[]}'],
    ["empty resources with whitespace", '{ "resources" : [ \n\t\r ] , "pagination": {} }'],
    ["one resource", '{"resources":[{"guid":"only"}]}'],
    ["a resource key inside a resource", '{"pagination":{"resources":[1]},"resources":[{"resources":[2]}]}'],
    ["whitespace around items", '{"resources":[ {"guid":"x"} ,\n {"guid":"y"}\n]}'],
  ])("gives what JSON.parse gives: %s", (_, text) => {
    const got = read(text);
    expect(got.cut).toBe(true);
    expect({ envelope: got.envelope, resources: got.resources }).toEqual(whole(text));
  });

  it.each([
    ["a top-level key spelt with an escape", '{"resourc\\u0065s":[{"guid":"a"}],"resources":[{"guid":"b"}]}'],
    ["resources twice", '{"resources":[{"guid":"a"}],"resources":[{"guid":"b"}]}'],
    ["resources that is not an array", '{"resources":{"guid":"a"}}'],
    ["no resources", '{"pagination":{}}'],
    ["a page that is an array", '[{"resources":[1]}]'],
  ])("parses the page whole, as JSON.parse reads it: %s", (_, text) => {
    const got = read(text);
    expect(got.cut).toBe(false);
    expect(got.envelope).toEqual(JSON.parse(text));
  });

  it.each([
    // UTF-8 sequences of two, three and four bytes next to every delimiter the cut looks for
    [
      "next to quotes and brackets",
      '{"resources":[{"n\u00e9":"\u00e9"},["\u20ac"],{"k":"\ud83d\ude00"}],"\u00e9":1}',
    ],
    ["in a top-level key", '{"cl\u00e9":{"resources":[1]},"resources":[{"guid":"\u2028"}]}'],
  ])("reads multi-byte UTF-8 as JSON.parse reads the decoded body: %s", (_, escaped) => {
    const text = JSON.stringify(JSON.parse(escaped));
    const body = Buffer.from(text, "utf8");
    expect(body.length).toBeGreaterThan(text.length);
    const got = read(body);
    expect(got.cut).toBe(true);
    expect({ envelope: got.envelope, resources: got.resources }).toEqual(whole(text));
  });

  it("decodes bytes that are not UTF-8 as the whole body decodes them (U+FFFD), in a resource and around it", () => {
    const body = Buffer.concat([
      Buffer.from('{"x":"'),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('","resources":[{"guid":"'),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('"},{"guid":"b'),
      Buffer.from([0x80]),
      Buffer.from('"}]}'),
    ]);
    const got = read(body);
    expect(got.cut).toBe(true);
    expect({ envelope: got.envelope, resources: got.resources }).toEqual(whole(body.toString("utf8")));
    expect(got.resources).toEqual([{ guid: "\ufffd" }, { guid: "b\ufffd" }]);
  });

  it("reads the last of two resources keys as JSON.parse does when only the last is an array", () => {
    const text = '{"resources":1,"resources":[{"guid":"b"}]}';
    expect(read(text).resources).toEqual([{ guid: "b" }]);
  });

  it.each([
    ["cut off in a resource", '{"resources":[{"guid":"a"},{"gu'],
    ["cut off in a string", '{"resources":[{"guid":"a'],
    ["cut off after the resources", '{"resources":[{"guid":"a"}]'],
    ["an HTML page", "<html>login</html>"],
    ["bytes after the page", '{"resources":[{"guid":"a"}]} trailing'],
    ["a byte order mark", '\ufeff{"resources":[]}'],
    ["a bracket closing a brace", '{"resources":[{"guid":"a"]}'],
    ["a broken envelope", '{"pagination":{,},"resources":[{"guid":"a"}]}'],
  ])("throws SyntaxError for a body that is not JSON: %s", (_, text) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => read(text)).toThrow(SyntaxError);
  });

  it.each([
    ["a value that is not JSON", '{"resources":[{"guid":"a"},{"guid":b}]}'],
    ["two items without a comma", '{"resources":[{"guid":"a"} {"guid":"b"}]}'],
    ["an empty item", '{"resources":[{"guid":"a"},,{"guid":"b"}]}'],
    ["a trailing comma", '{"resources":[{"guid":"a"},]}'],
    ["whitespace JSON does not allow", '{"resources":[\u00a0]}'],
  ])("throws SyntaxError when a resource that is not JSON is parsed: %s", (_, text) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => read(text)).toThrow(SyntaxError);
  });

  it.each([2, -1, 0.5, Number.NaN])("refuses resource %s of two", (i) => {
    const page = readListPage(Buffer.from('{"resources":[1,2],"x":3}'));
    expect(() => page.resources?.parse(i)).toThrow(RangeError);
  });

  it("keeps the parsed items apart: a resource parsed twice is two objects", () => {
    const page = readListPage(Buffer.from('{"resources":[{"guid":"a"}]}'));
    expect(page.resources?.parse(0)).not.toBe(page.resources?.parse(0));
  });
});
