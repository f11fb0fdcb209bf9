/**
 * All properties after merging the file and the environment, and the reading of one value: `{cipher}`
 * decryption first (Spring Cloud decrypts property sources before anything reads them), then placeholders.
 */

import { errorMessage } from "../errors.js";
import { CIPHER_PREFIX, DEFAULT_SALT, decryptValue, readEncryptKeyFile } from "./cipher.js";
import { ConfigError, type ValueOrigin } from "./errors.js";
import { canonicalPath } from "./paths.js";
import { envNamesFor, PlaceholderCycleError, resolvePlaceholders } from "./placeholders.js";

export interface Property {
  /** Key for messages: the documented spelling with concrete indices, or as written for unknown keys. */
  key: string;
  /** null when written without a value. */
  value: string | null;
  origin: ValueOrigin;
  /** For an empty value from the file: written as an empty mapping or list (see FileProperty). */
  shape?: "map" | "list";
}

export type PlaceholderMode = "strict" | "lenient";

export class PropertySource {
  private encryption: { key: string | undefined; salt: string } | undefined;
  private readingKey = false;

  constructor(
    readonly props: Map<string, Property>,
    /** Every property of the file, also outside the trees we read, for placeholders to refer to. */
    private readonly allFileProps: Map<string, Property>,
    private readonly env: NodeJS.ProcessEnv,
    private readonly secretsDir: string,
    private readonly warnings: string[],
    /** Per canonical key, the values of weaker sources that `props` overrides, weakest first. */
    readonly shadowed: ReadonlyMap<string, readonly Property[]> = new Map(),
  ) {}

  get(canonical: string): Property | undefined {
    return this.props.get(canonical);
  }

  /**
   * The final text of a property, or undefined when it is unset or empty. In strict mode (keys read one by
   * one in the Java version) an unresolvable placeholder is fatal; in lenient mode (object trees) it stays
   * literally in the value, as Spring's binder leaves it.
   */
  text(prop: Property | undefined, mode: PlaceholderMode): string | undefined {
    if (!prop || prop.value === null) return undefined;
    const raw = this.decrypt(prop.value, prop);
    let result: { text: string; unresolved: string[] };
    try {
      result = resolvePlaceholders(raw, (name) => this.lookup(name));
    } catch (err) {
      if (err instanceof PlaceholderCycleError) throw new ConfigError(err.message, prop.key, prop.origin);
      throw err;
    }
    if (result.unresolved.length > 0) {
      const names = result.unresolved.map((n) => `\${${n}}`).join(", ");
      if (mode === "strict") {
        throw new ConfigError(
          `cannot resolve placeholder ${names}: no such property or environment variable, and no default`,
          prop.key,
          prop.origin,
        );
      }
      this.warnings.push(
        `${prop.key}: placeholder ${names} cannot be resolved and is used as literal text (as the Java version does)`,
      );
    }
    return result.text === "" ? undefined : result.text;
  }

  /** Placeholder names look in the environment first (Spring's precedence), then in the properties. */
  private lookup(name: string): string | undefined {
    for (const variable of envNamesFor(name)) {
      const value = this.env[variable];
      if (value !== undefined) {
        return this.decrypt(value, { key: name, value, origin: { kind: "env", name: variable } });
      }
    }
    const canonical = canonicalPath(name);
    const prop = this.props.get(canonical) ?? this.allFileProps.get(canonical);
    if (!prop || prop.value === null) return undefined;
    return this.decrypt(prop.value, prop);
  }

  private decrypt(value: string, prop: Property): string {
    if (!value.startsWith(CIPHER_PREFIX)) return value;
    if (this.readingKey) {
      throw new ConfigError("the encrypt key cannot itself be an encrypted value", prop.key, prop.origin);
    }
    const { key, salt } = this.encryptionSettings();
    if (key === undefined) {
      throw new ConfigError(
        "the value is encrypted ({cipher}) but no key is configured: set ENCRYPT_KEY, ENCRYPT_KEY_FILE or encrypt.key",
        prop.key,
        prop.origin,
      );
    }
    try {
      return decryptValue(value.slice(CIPHER_PREFIX.length), key, salt);
    } catch (err) {
      throw new ConfigError(`cannot decrypt the {cipher} value: ${errorMessage(err)}`, prop.key, prop.origin);
    }
  }

  private encryptionSettings(): { key: string | undefined; salt: string } {
    if (this.encryption) return this.encryption;
    this.readingKey = true;
    try {
      let key: string | undefined;
      try {
        key = readEncryptKeyFile(this.env, this.secretsDir);
      } catch (err) {
        throw new ConfigError(errorMessage(err));
      }
      key ??= this.text(this.props.get("encrypt.key"), "strict");
      const salt = this.text(this.props.get("encrypt.salt"), "strict") ?? DEFAULT_SALT;
      this.encryption = { key, salt };
      return this.encryption;
    } finally {
      this.readingKey = false;
    }
  }
}
