/** A copy of the configuration that is safe to print (`promregator check-config`). */
import type { Config } from "./types.js";

export const MASK = "***";

/**
 * Key names whose values are secrets wherever they appear: passwords, client secrets, private keys, tokens.
 * Matching by name keeps new secret fields masked without a list to maintain. `tokenServiceURL` is not one.
 */
const SECRET_NAME = /(password|secret|^client_key$|^token$)/i;

/** Deep copy with every secret string replaced by "***". The server TLS key is a file path and stays visible. */
export function maskSecrets(config: Config): unknown {
  // The default foundation's connection is the `cf` block itself: printed once, there.
  const foundations = config.foundations.map((f, i) => {
    if (i > 0) return f;
    const { cf: _same, ...rest } = f;
    return rest;
  });
  return maskValue({ ...config, foundations }, []);
}

/** Whether a key (its last name, e.g. `password`, `client_secret`) holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_NAME.test(key.split(".").pop() ?? "");
}

/**
 * Deep copy of a promregator.yml document with every secret string (by key name, as above) replaced by a
 * placeholder of the environment variable that sets that key: `cf.password` -> `${CF_PASSWORD}`,
 * `foundations[0].client_secret` -> `${FOUNDATIONS_0_CLIENT_SECRET}`. Pasted back into a file, the document
 * means the same with those variables set, and a missing one is an error naming it, where a literal mask would
 * be taken for the password.
 */
export function placeholderSecretValues(value: unknown): unknown {
  return maskValue(value, [], (path) => `\${${path.join("_").toUpperCase()}}`);
}

function maskValue(
  value: unknown,
  path: readonly string[],
  mask: (path: readonly string[]) => string = () => MASK,
): unknown {
  if (Array.isArray(value)) return value.map((v, i) => maskValue(v, [...path, String(i)], mask));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, [...path, k], mask);
    return out;
  }
  const name = path[path.length - 1] ?? "";
  if (typeof value === "string" && SECRET_NAME.test(name)) return mask(path);
  return value;
}
