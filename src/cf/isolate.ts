import { CfApiError } from "./errors.js";

/**
 * Fault isolation for batched list requests. One request names many keys (`names=a,b,c`,
 * `space_guids=...`); when the CC fails it because of one key (a 500 for one org, a resource whose
 * document is malformed), the batch is split in halves until the failing keys stand
 * alone, so that every other key is still read.
 */

/** Failed requests spent on isolation per list call, at most; beyond it a failing part fails whole. */
export const MAX_ISOLATION_FAILURES = 24;

/**
 * Whether a failure can depend on the keys of the request: CC answers other than authentication, access,
 * rate limit and unavailability, and malformed documents. A timeout, a broken connection, a body past the byte
 * cap (a 1,000-item page is far below it: an unending body) or pagination that does not end say nothing about
 * the keys; splitting then would only multiply the load on a CC in trouble (each half would page or read as long).
 */
export function isKeySpecific(err: unknown): err is CfApiError {
  if (!(err instanceof CfApiError)) return false;
  if (err.kind === "malformed") return true;
  if (err.kind !== "http" || err.status === undefined) return false;
  // 502, 503 and 504 speak of the server or what stands in front of it (RFC 9110 §15.6), not the request.
  return ![401, 403, 429, 502, 503, 504].includes(err.status);
}

export interface IsolationBudget {
  /** Failed requests still allowed for isolation. */
  failures: number;
}

export interface IsolatedRead<T> {
  items: T[];
  /** Error per key that failed on its own (or in a part the budget did not allow to split further). */
  failed: Map<string, CfApiError>;
}

/**
 * Reads `keys` with `fetch`; a key-specific failure splits the keys in halves, read one after the other
 * (gently: the CC is shared), until single keys fail alone. Other failures are thrown as they are.
 * `fetch` is told whether it reads a part (then it should not retry: the batch had its retry). Cost:
 * about 2·log2(n) extra requests per failing key, bounded by the budget.
 */
export async function readIsolating<T>(
  keys: readonly string[],
  fetch: (keys: readonly string[], isolating: boolean) => Promise<T[]>,
  budget: IsolationBudget,
  isolating = false,
): Promise<IsolatedRead<T>> {
  try {
    return { items: await fetch(keys, isolating), failed: new Map() };
  } catch (err) {
    if (!isKeySpecific(err)) throw err;
    budget.failures--;
    if (keys.length === 1 || budget.failures < 0) {
      return { items: [], failed: new Map(keys.map((key) => [key, err] as const)) };
    }
    const half = Math.ceil(keys.length / 2);
    const left = await readIsolating(keys.slice(0, half), fetch, budget, true);
    const right = await readIsolating(keys.slice(half), fetch, budget, true);
    return { items: [...left.items, ...right.items], failed: new Map([...left.failed, ...right.failed]) };
  }
}
