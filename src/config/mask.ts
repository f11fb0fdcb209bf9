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

/** Deep copy of any document with every secret string (by key name, as above) replaced by "***". */
export function maskSecretValues(value: unknown): unknown {
  return maskValue(value, []);
}

function maskValue(value: unknown, path: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => maskValue(v, [...path, String(i)]));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, [...path, k]);
    return out;
  }
  const name = path[path.length - 1] ?? "";
  if (typeof value === "string" && SECRET_NAME.test(name)) return MASK;
  return value;
}
