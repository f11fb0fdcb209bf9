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
