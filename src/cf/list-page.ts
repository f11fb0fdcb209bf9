/**
 * A Cloud Controller v3 list page read one resource at a time.
 *
 * A page of 1,000 apps is about 2 MB of JSON. `JSON.parse` of all of it is one block of the event loop (11-23 ms
 * measured with the shipped heap options), and the whole parsed graph stays alive until every resource is mapped,
 * so the young generation's collections copy it and promote it to the old one. Here the body is cut at the
 * items of its top-level `resources` array and each item is decoded and parsed when it is mapped: the caller can
 * yield between items, and each parsed item is garbage as soon as it is mapped. The body stays bytes (outside
 * the JavaScript heap) until then: decoded whole, a page is a string of 2-4 MB that the collector has to hold
 * in its old generation until the page is mapped.
 *
 * The cut follows RFC 8259's grammar (strings with their escapes, objects and arrays nested): outside strings,
 * the commas at the depth of the array's items separate them. It reads UTF-8 bytes: every byte it looks for is
 * ASCII, and no byte of a multi-byte UTF-8 sequence is (RFC 3629 §3). It changes no result: every piece is
 * decoded and given to `JSON.parse`, and pieces that each parse concatenate to valid JSON. Where the cut would
 * need to read the JSON more closely than that (a top-level key with an escape, `resources` twice, no
 * `resources` array, a body that ends early), the page is parsed whole, as before, and a body that is not JSON
 * fails there.
 */

/** One page: the envelope (`pagination`, `included`) and its resources, parsed on demand. */
export interface ListPage {
  /** The page; when it was cut, with `resources` as an empty array. */
  envelope: unknown;
  /** The items of the top-level `resources` array when the page was cut; undefined when it was parsed whole. */
  resources?: ResourceTexts;
}

/** The items of `resources`. */
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
/**
 * Reads a list page's body (UTF-8, as CC answers JSON: RFC 8259 §8.1). Throws SyntaxError (from `JSON.parse`)
 * when the envelope, or the whole page when it is not cut, is not JSON; an item that is not JSON throws when it
 * is parsed.
 */
export function readListPage(body: Buffer): ListPage {
  const cut = cutResources(body);
  if (!cut) return { envelope: JSON.parse(body.toString("utf8")) as unknown };
  const envelope = JSON.parse(
    `${body.toString("utf8", 0, cut.open)}[]${body.toString("utf8", cut.close + 1)}`,
  ) as unknown;
  const { bounds } = cut;
  return {
    envelope,
    resources: {
      length: bounds.length / 2,
      parse: (i) => {
        if (!Number.isInteger(i) || i < 0 || 2 * i >= bounds.length)
          throw new RangeError(`resource ${i} of ${bounds.length / 2}`);
        return JSON.parse(body.toString("utf8", bounds[2 * i], bounds[2 * i + 1])) as unknown;
      },
    },
  };
}

interface Cut {
  /** Index of the `[` of the top-level `resources` array. */
  open: number;
  /** Index of its `]`. */
  close: number;
  /** Start and end (exclusive) of each item's bytes, whitespace included. */
  bounds: number[];
}

/** Where the items of the top-level `resources` array are; undefined when the page is to be parsed whole. */
function cutResources(body: Buffer): Cut | undefined {
  const n = body.length;
  let i = skipWhitespace(body, 0);
  if (body[i] !== OPEN_OBJECT) return undefined;
  let depth = 0;
  let key: string | undefined;
  let found: Cut | undefined;
  let itemStart = -1;
  for (; i < n; i++) {
    const c = body[i];
    if (c === QUOTE) {
      const end = stringEnd(body, i);
      if (end < 0) return undefined;
      if (depth === 1) {
        const after = skipWhitespace(body, end + 1);
        if (body[after] === COLON) {
          key = body.toString("utf8", i + 1, end);
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
        if (found.bounds.length > 0 || skipWhitespace(body, itemStart) < i) found.bounds.push(itemStart, i);
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
function stringEnd(body: Buffer, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = body.indexOf(QUOTE, at);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let k = quote - 1; body[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

/** The index of the first byte at or after `from` that is not JSON whitespace (RFC 8259 §2); may be the end. */
function skipWhitespace(body: Buffer, from: number): number {
  let i = from;
  for (;;) {
    const c = body[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}
