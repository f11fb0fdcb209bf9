/**
 * Reads promregator.yml into flat Spring-style properties (`promregator.targets[0].orgName`), each with the
 * line it was written on. Flattening, as Spring does, makes `cf.api_host: x` at the top level and nested
 * `cf: {api_host: x}` the same thing.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
} from "yaml";
import { type DocumentContext, type FileProperty, mergeDocuments } from "./documents.js";
import { ConfigError } from "./errors.js";

export type { FileProperty } from "./documents.js";

/** Guards against alias expansion blowing up ("billion laughs"); real files have a few hundred values. */
const MAX_PROPERTIES = 100_000;

/** Later documents of a multi-document file override earlier ones, as in Spring (see mergeDocuments). */
export function readYamlProperties(
  text: string,
  fileLabel: string,
  warnings: string[],
  context: DocumentContext = {},
): Map<string, FileProperty> {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, merge: true, prettyErrors: false });
  const documents: FileProperty[][] = [];
  if (!Array.isArray(docs)) return new Map();
  for (const doc of docs) {
    const problem = doc.errors[0];
    if (problem) {
      const line = lineCounter.linePos(problem.pos[0]).line;
      // Only the first line of the parser's message: later lines quote the file, which may hold a secret.
      throw new ConfigError(`${fileLabel}:${line}: invalid YAML: ${problem.message.split("\n")[0]}`);
    }
    // An empty document (a trailing `---`, or one holding only comments) sets nothing, as in Spring.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue;
    if (!isMap(doc.contents)) {
      const line = lineCounter.linePos(doc.contents.range?.[0] ?? 0).line;
      const hint =
        isScalar(doc.contents) && /^\s*[\w.[\]-]+\s*[=:]/.test(String(doc.contents.value))
          ? " (a .properties file must be named *.properties)"
          : "";
      throw new ConfigError(
        `${fileLabel}:${line}: the configuration must be a mapping of keys to values${hint}`,
      );
    }
    const flat: FileProperty[] = [];
    new Flattener(doc, lineCounter, fileLabel, flat).walk(doc.contents, "", 1);
    documents.push(flat);
  }
  return mergeDocuments(documents, fileLabel, warnings, context);
}

class Flattener {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly fileLabel: string,
    private readonly out: FileProperty[],
  ) {}

  private lineOf(node: { range?: readonly number[] | null } | null | undefined, fallback: number): number {
    const offset = node?.range?.[0];
    return offset === undefined ? fallback : this.lines.linePos(offset).line;
  }

  walk(node: unknown, path: string, line: number, seen = new Set<unknown>()): void {
    if (isAlias(node)) {
      // `seen` holds the aliases being expanded on the current path only, so reuse is fine and cycles are not.
      if (seen.has(node)) throw new ConfigError(`${this.fileLabel}:${line}: ${path}: circular YAML alias`);
      seen.add(node);
      this.walk(node.resolve(this.doc), path, line, seen);
      seen.delete(node);
      return;
    }
    if (isMap(node)) {
      // Merge keys (`<<: *base`) first, so that keys written in the map itself win over merged ones.
      const pairs = node.items.filter(isPair);
      // An empty mapping sets nothing, but its key is known to be written, e.g. an empty list item (`- {}`).
      if (pairs.length === 0) this.push({ key: path, value: null, line, shape: "map" });
      const merges = pairs.filter((p) => isMergeKey(p.key));
      for (const pair of merges) {
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const source of sources) this.walk(source, path, this.lineOf(pair.key as Node, line), seen);
      }
      for (const pair of pairs) {
        if (isMergeKey(pair.key)) continue;
        const keyLine = this.lineOf(pair.key as Node, line);
        const name = this.keyName(pair.key, keyLine);
        this.walk(pair.value, path ? `${path}.${name}` : name, keyLine, seen);
      }
      return;
    }
    if (isSeq(node)) {
      // As in Spring (YamlProcessor), an empty list is an empty value, which replaces a list of an earlier document.
      if (node.items.length === 0) this.push({ key: path, value: null, line, shape: "list" });
      node.items.forEach((item, i) => {
        this.walk(item, `${path}[${i}]`, this.lineOf(item as Node, line), seen);
      });
      return;
    }
    if (isScalar(node)) {
      this.push({ key: path, value: scalarText(node.value, node.source), line });
      return;
    }
    // A key without a value (`cf.username:`).
    this.push({ key: path, value: null, line });
  }

  private push(property: FileProperty): void {
    if (this.out.length >= MAX_PROPERTIES) {
      throw new ConfigError(`${this.fileLabel}: more than ${MAX_PROPERTIES} values (runaway YAML aliases?)`);
    }
    // An empty mapping at the top of a document (`{}`) names no key.
    if (property.key !== "") this.out.push(property);
  }

  private keyName(key: unknown, line: number): string {
    if (isScalar(key) && key.value !== null && typeof key.value !== "object") {
      return scalarText(key.value, key.source) ?? "";
    }
    throw new ConfigError(`${this.fileLabel}:${line}: only plain keys are supported`);
  }
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === "symbol" || (key.source === "<<" && key.type === "PLAIN"));
}

/**
 * The text the user wrote. For values YAML typed itself (numbers, booleans) the source text is kept, so that
 * e.g. a password `012345` stays `012345` instead of becoming 12345.
 */
function scalarText(value: unknown, source: string | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  return source ?? String(value);
}
