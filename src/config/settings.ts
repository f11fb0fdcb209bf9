/** Typed access to the scalar keys of the key table, with the Java defaults. */
import { ConfigError, emptyOverride, isEmptyValue, type ValueOrigin } from "./errors.js";
import { canonicalPath } from "./paths.js";
import type { PropertySource } from "./properties.js";
import { findScalarKey, KEYS_NOT_IN_JAVA, type KeyPath } from "./schema.js";
import { parseScalar, type ScalarValue, ValueError } from "./values.js";

export class Settings {
  /**
   * `keyOf` names where a table key is read from, for a block that repeats keys of the table under another
   * path (`foundations[1].api_host` read as `cf.api_host`); messages name that key. Default: the key itself.
   */
  constructor(
    private readonly source: PropertySource,
    private readonly keyOf: (path: KeyPath) => string = (path) => path,
  ) {}

  /** The key as the user writes it, for messages. */
  key(path: KeyPath): string {
    return this.keyOf(path);
  }

  /** The typed value, the default when unset, or undefined when the key has no default. */
  value(path: KeyPath): ScalarValue | undefined {
    const key = findScalarKey(path);
    const prop = this.prop(path);
    const text = this.source.text(prop, "strict");
    if (text === undefined) {
      if (prop && (KEYS_NOT_IN_JAVA.has(path) || this.keyOf(path) !== path)) {
        const fallback = key.default === undefined ? "unset" : `the default (${key.default})`;
        throw new ConfigError(
          `is empty: remove the key for ${fallback}, or give a value (an empty value is refused for keys the Java version did not have)`,
          this.keyOf(path),
          prop.origin,
        );
      }
      return key.default;
    }
    try {
      return parseScalar(key.kind, text, !key.secret);
    } catch (err) {
      if (err instanceof ValueError) throw new ConfigError(err.message, this.keyOf(path), prop?.origin);
      throw err;
    }
  }

  /** True when the key was given (file or environment) with a non-empty value. */
  isSet(path: KeyPath): boolean {
    return this.source.text(this.prop(path), "strict") !== undefined;
  }

  /**
   * When the key reads as unset because a stronger source (an environment variable) gives it an empty value over
   * a weaker source's value, the sentence saying so (for a "required" message); else undefined.
   */
  emptyOverride(path: KeyPath): string | undefined {
    const canonical = canonicalPath(this.keyOf(path));
    const prop = this.source.get(canonical);
    if (!prop || !isEmptyValue(prop)) return undefined;
    const weaker = [...(this.source.shadowed.get(canonical) ?? [])].reverse().find((p) => !isEmptyValue(p));
    return weaker && emptyOverride(prop, weaker);
  }

  origin(path: KeyPath): ValueOrigin | undefined {
    return this.prop(path)?.origin;
  }

  private prop(path: KeyPath) {
    return this.source.get(canonicalPath(this.keyOf(path)));
  }

  str(path: KeyPath): string | undefined {
    const v = this.value(path);
    return v === undefined ? undefined : String(v);
  }

  int(path: KeyPath): number {
    const v = this.value(path);
    if (typeof v !== "number") throw new Error(`internal: ${path} has no numeric default`);
    return v;
  }

  /** Same as int, for keys that allow fractions. */
  num(path: KeyPath): number {
    return this.int(path);
  }

  optInt(path: KeyPath): number | undefined {
    const v = this.value(path);
    return typeof v === "number" ? v : undefined;
  }

  bool(path: KeyPath): boolean {
    const v = this.value(path);
    if (typeof v !== "boolean") throw new Error(`internal: ${path} has no boolean default`);
    return v;
  }

  /** The value of an enumeration key, checked against `values` (the same list its table entry uses). */
  oneOf<V extends string>(path: KeyPath, values: readonly V[]): V {
    const v = this.value(path);
    const found = values.find((candidate) => candidate === v);
    if (found === undefined) throw new Error(`internal: ${path} is not one of ${values.join(", ")}`);
    return found;
  }
}
