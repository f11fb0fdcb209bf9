/**
 * A Cloud Controller v3 list page read one resource at a time.
 *
 * A page of 1,000 apps is about 2 MB of JSON. `JSON.parse` of all of it is one block of the event loop (11-23 ms
 * measured with the shipped heap options), and the whole parsed graph stays alive until every resource is mapped,
 * so the young generation's collections copy it and promote it to the old one. Here the text is cut at the
 * items of its top-level `resources` array and each item is parsed when it is mapped: the caller can yield
 * between items, and each parsed item is garbage as soon as it is mapped.
 *
 * The cut follows RFC 8259's grammar (strings with their escapes, objects and arrays nested): outside strings,
 * the commas at the depth of the array's items separate them. It changes no result: every piece is given to
 * `JSON.parse`, and pieces that each parse concatenate to valid JSON. Where the cut would need to read the JSON
 * more closely than that (a top-level key with an escape, `resources` twice, no `resources` array, text that
 * ends early), the page is parsed whole, as before, and a body that is not JSON fails there.
 */

/** One page: the envelope (`pagination`, `included`) and its resources, parsed on demand. */
export interface ListPage {
  /** The page; when it was cut, with `resources` as an empty array. */
  envelope: unknown;
  /** The items of the top-level `resources` array when the page was cut; undefined when it was parsed whole. */
  resources?: ResourceTexts;
}

/** The text of each item of `resources`. */
export interface ResourceTexts {
  readonly length: number;
  /** Item i (0 <= i < length) parsed; throws SyntaxError for an item that is not JSON, RangeError for another i. */
  parse(i: number): unknown;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** RFC 8259 §2: the only whitespace JSON allows. */
const JSON_WHITESPACE = /^[ \t\n\r]*$/;

/**
 * Reads a list page's text. Throws SyntaxError (from `JSON.parse`) when the envelope, or the whole page when it
 * is not cut, is not JSON; an item that is not JSON throws when it is parsed.
 */
export function readListPage(text: string): ListPage {
  const cut = cutResources(text);
  if (!cut) return { envelope: JSON.parse(text) as unknown };
  const envelope = JSON.parse(`${text.slice(0, cut.open)}[]${text.slice(cut.close + 1)}`) as unknown;
  const { bounds } = cut;
  return {
    envelope,
    resources: {
      length: bounds.length / 2,
      parse: (i) => {
        if (!Number.isInteger(i) || i < 0 || 2 * i >= bounds.length)
          throw new RangeError(`resource ${i} of ${bounds.length / 2}`);
        return JSON.parse(text.slice(bounds[2 * i], bounds[2 * i + 1])) as unknown;
      },
    },
  };
}

interface Cut {
  /** Index of the `[` of the top-level `resources` array. */
  open: number;
  /** Index of its `]`. */
  close: number;
  /** Start and end (exclusive) of each item's text, whitespace included. */
  bounds: number[];
}

/** Where the items of the top-level `resources` array are; undefined when the page is to be parsed whole. */
function cutResources(text: string): Cut | undefined {
  const n = text.length;
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJECT) return undefined;
  let depth = 0;
  let key: string | undefined;
  let found: Cut | undefined;
  let itemStart = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return undefined;
      if (depth === 1) {
        const after = skipWhitespace(text, end + 1);
        if (text.charCodeAt(after) === COLON) {
          key = text.slice(i + 1, end);
          // An escaped key could spell "resources" in another way; JSON.parse reads such a page right.
          if (key.includes("\\")) return undefined;
          if (key === "resources" && found) return undefined;
        }
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === 1 && c === OPEN_ARRAY && key === "resources" && !found) {
        found = { open: i, close: -1, bounds: [] };
        itemStart = i + 1;
      }
      depth++;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      if (depth === 1 && found && found.close < 0) {
        if (c !== CLOSE_ARRAY) return undefined;
        found.close = i;
        // "[]" (with whitespace) has no item; anything else ends with one.
        if (found.bounds.length > 0 || !JSON_WHITESPACE.test(text.slice(itemStart, i)))
          found.bounds.push(itemStart, i);
      }
      if (depth === 0) return found && found.close > 0 ? found : undefined;
    } else if (c === COMMA && depth === 2 && found && found.close < 0) {
      found.bounds.push(itemStart, i);
      itemStart = i + 1;
    }
  }
  return undefined;
}

/** Index of the quote that ends the string starting at `start`; -1 when it does not end. */
function stringEnd(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let k = quote - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}
