/** Where a configuration value came from, for messages that point the user at the right line. */
export type ValueOrigin =
  | { kind: "file"; file: string; line: number }
  | { kind: "env"; name: string }
  | { kind: "default" };

export function describeOrigin(origin: ValueOrigin | undefined): string {
  if (!origin || origin.kind === "default") return "";
  if (origin.kind === "file") return `${origin.file}:${origin.line}`;
  return `environment variable ${origin.name}`;
}

/** `promregator.targets[2].orgRegex (promregator.yml:14)`, or just the key when its origin is unknown. */
export function describeKey(key: string, origin?: ValueOrigin): string {
  const where = describeOrigin(origin);
  return where ? `${key} (${where})` : key;
}

/** Whether a value is empty, which counts as not set (`key:`, `key=`, an empty environment variable). */
export function isEmptyValue(prop: { value: string | null }): boolean {
  return prop.value === null || prop.value === "";
}

/**
 * `environment variable CF_PASSWORD is set but empty and overrides the value of cf.password (promregator.yml:4)`:
 * why a key is unset although a weaker source gives it a value. Names no value.
 */
export function emptyOverride(
  stronger: { key: string; origin: ValueOrigin },
  weaker: { key: string; origin: ValueOrigin },
): string {
  const what = describeOrigin(stronger.origin) || stronger.key;
  return `${what} is set but empty and overrides the value of ${describeKey(weaker.key, weaker.origin)}`;
}

/**
 * A fatal configuration problem. The message names the key and, when it came from the file, `file:line`;
 * it never contains a secret value.
 */
export class ConfigError extends Error {
  readonly key: string | undefined;
  readonly origin: ValueOrigin | undefined;
  /** Warnings collected before the error, to be shown with it (they often explain it). */
  warnings: readonly string[] = [];

  constructor(message: string, key?: string, origin?: ValueOrigin) {
    super(key ? `${describeKey(key, origin)}: ${message}` : message);
    this.name = "ConfigError";
    this.key = key;
    this.origin = origin;
  }
}
