/**
 * The cause of a target that a Cloud Controller layer could not be loaded for. A load that failed as a whole
 * (a 429, a timeout, a 5xx of a batched list) gives every key of its batch the same Error object, so keys
 * sharing one failure are named together ("routes of 7 apps (app1, app2, app3, …)"); a key that failed on its
 * own (the fault isolation of src/cf/isolate.ts gives each its own error) keeps its own wording.
 */

/** How many key names a batch cause lists before "…". */
const NAMES_SHOWN = 3;

export function layerError(what: string, cause: Error | undefined): Error {
  return new Error(`could not load ${what}: ${cause?.message ?? "unknown error"}`, { cause });
}

/**
 * The names of the keys that share each failure, in the order given, each key once. `keys` are the cache
 * keys with a display name; `errors` is the cache's failure per key.
 */
export function keysPerFailure(
  keys: Iterable<readonly [key: string, name: string]>,
  errors: ReadonlyMap<string, Error>,
): Map<Error, string[]> {
  const seen = new Set<string>();
  const out = new Map<Error, string[]>();
  for (const [key, name] of keys) {
    const error = errors.get(key);
    if (!error || seen.has(key)) continue;
    seen.add(key);
    const names = out.get(error);
    if (names) names.push(name);
    else out.set(error, [name]);
  }
  return out;
}

/**
 * `routes of app a1` for a key that failed alone; `routes of 7 apps (a1, a2, a3, …)` when the failure is
 * shared by several keys (the request covered all of them).
 */
export function layerOf(
  layer: string,
  noun: string,
  name: string,
  sharing: readonly string[] | undefined,
): string {
  if (!sharing || sharing.length <= 1) return `${layer} of ${noun} ${name}`;
  const shown = sharing.slice(0, NAMES_SHOWN).join(", ");
  const more = sharing.length > NAMES_SHOWN ? ", …" : "";
  return `${layer} of ${sharing.length} ${noun}s (${shown}${more})`;
}

/**
 * The error of a key that `layer` could not be loaded for: `could not load routes of app a1: …`, or naming the
 * keys that share its failure (`failures`, from keysPerFailure).
 */
export function keyFailure(
  layer: string,
  noun: string,
  name: string,
  error: Error | undefined,
  failures: ReadonlyMap<Error, string[]>,
): Error {
  return layerError(layerOf(layer, noun, name, error && failures.get(error)), error);
}
