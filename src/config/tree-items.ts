/**
 * The items of an object tree (`promregator.targets[n]`, `promregator.authenticator`,
 * `promregator.targetAuthenticators[n]`) with relaxed field names. Placeholders that cannot be resolved stay
 * literal here, as Spring's binder leaves them.
 */
import { ConfigError, describeKey, type ValueOrigin } from "./errors.js";
import { canonicalPath } from "./paths.js";
import type { Property, PropertySource } from "./properties.js";
import type { Tree } from "./schema.js";
import { parseScalar, type ScalarKind, ValueError } from "./values.js";

export class TreeItem {
  constructor(
    private readonly source: PropertySource,
    /** Documented path of the item, e.g. `promregator.targets[2]`. */
    readonly base: string,
    /** Properties of the item keyed by canonical relative path (`preferredrouteregex[0]`). */
    private readonly props: Map<string, Property>,
  ) {}

  key(field: string): string {
    return `${this.base}.${field}`;
  }

  origin(field: string): ValueOrigin | undefined {
    return this.props.get(canonicalPath(field))?.origin;
  }

  /**
   * The environment variables that make up the item, sorted, when every setting of it comes from the
   * environment (`FOUNDATIONS_1_PASSWORD` left over beside a file with one foundation); else undefined.
   */
  envOnly(): string[] | undefined {
    const names: string[] = [];
    for (const prop of this.props.values()) {
      if (prop.origin.kind !== "env") return undefined;
      names.push(prop.origin.name);
    }
    return names.length > 0 ? [...new Set(names)].sort() : undefined;
  }

  /** Where the item is written in the file (its first line there), for an error about a field it lacks. */
  fileOrigin(): ValueOrigin | undefined {
    let first: ValueOrigin | undefined;
    for (const prop of this.props.values()) {
      const o = prop.origin;
      if (o.kind === "file" && (first?.kind !== "file" || o.line < first.line)) first = o;
    }
    return first;
  }

  /**
   * Whether the item sets `field` at all, even to an empty value (`key:`, `key=`, `""` or a placeholder that
   * resolves to nothing), which str() cannot tell from an absent key.
   */
  has(field: string): boolean {
    return this.props.has(canonicalPath(field));
  }

  str(field: string): string | undefined {
    return this.source.text(this.props.get(canonicalPath(field)), "lenient");
  }

  typed(field: string, kind: ScalarKind): string | number | boolean | undefined {
    const text = this.str(field);
    if (text === undefined) return undefined;
    try {
      return parseScalar(kind, text);
    } catch (err) {
      if (err instanceof ValueError) throw new ConfigError(err.message, this.key(field), this.origin(field));
      throw err;
    }
  }

  /** An enumeration field, checked against `values`; the result has the list's type, so no cast is needed. */
  oneOf<V extends string>(field: string, values: readonly V[]): V | undefined {
    const value = this.typed(field, { type: "enum", values });
    return values.find((v) => v === value);
  }

  /**
   * A list field, written as a YAML list or as one string. A plain value set in the environment wins over
   * list entries from the file; otherwise list entries win. With `commaDelimited` (a field the Java version
   * declares as a List), one string is split at commas and each part trimmed, as Spring converts a string to a
   * list; `split` then tells how many parts the string gave.
   */
  list(
    field: string,
    options: { commaDelimited?: boolean } = {},
  ): { value: string; key: string; origin: ValueOrigin | undefined; split?: number }[] {
    const canonical = canonicalPath(field);
    const single = this.props.get(canonical);
    const entries = [...this.props.entries()]
      .map(([k, prop]) => ({ index: indexAfter(k, canonical), prop }))
      .filter((e): e is { index: number; prop: Property } => e.index !== undefined)
      .sort((a, b) => a.index - b.index)
      .map((e) => e.prop);
    const chosen = single && (single.origin.kind === "env" || entries.length === 0) ? [single] : entries;
    return chosen.flatMap((prop) => {
      const value = this.source.text(prop, "lenient");
      if (value === undefined) return [];
      if (prop !== single || !options.commaDelimited) return [{ value, key: prop.key, origin: prop.origin }];
      // Spring's StringToCollectionConverter: split at every comma, trim each part; an empty part is unset.
      const parts = value
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== "");
      return parts.map((part) => ({ value: part, key: prop.key, origin: prop.origin, split: parts.length }));
    });
  }
}

function indexAfter(path: string, prefix: string): number | undefined {
  const m = /^\[(\d+)\]$/.exec(path.slice(prefix.length));
  return path.startsWith(prefix) && m ? Number(m[1]) : undefined;
}

/** Items of a list tree in index order; indices without any setting are skipped with a warning. */
export function treeItems(source: PropertySource, tree: Tree, warnings: string[]): TreeItem[] {
  const root = canonicalPath(tree.path);
  const groups = new Map<number, Map<string, Property>>();
  let single: Map<string, Property> | undefined;
  /** Items written without settings (`- {}` or a lone `-`), with where they are written. */
  const empty = new Map<number, Property>();
  for (const [canonical, prop] of source.props) {
    if (tree.list) {
      if (!canonical.startsWith(root)) continue;
      const item = /^\[(\d+)\]$/.exec(canonical.slice(root.length));
      if (item) empty.set(Number(item[1]), prop);
      const m = /^\[(\d+)\]\.(.+)$/.exec(canonical.slice(root.length));
      if (!m) continue;
      const index = Number(m[1]);
      if (!groups.has(index)) groups.set(index, new Map());
      groups.get(index)?.set(m[2], prop);
    } else if (canonical.startsWith(`${root}.`)) {
      single ??= new Map();
      single.set(canonical.slice(root.length + 1), prop);
    }
  }
  if (!tree.list) return single ? [new TreeItem(source, tree.path, single)] : [];
  // The last item counts even when it is empty, so that `[{}]` is reported as `[{}, {...}]` is.
  const last = Math.max(-1, ...groups.keys(), ...empty.keys());
  const items: TreeItem[] = [];
  for (let i = 0; i <= last; i++) {
    const props = groups.get(i);
    if (props) items.push(new TreeItem(source, `${tree.path}[${i}]`, props));
    else {
      const key = `${tree.path}[${i}]`;
      const marker = empty.get(i);
      warnings.push(`${marker ? describeKey(key, marker.origin) : key} has no settings and is ignored`);
    }
  }
  return items;
}
