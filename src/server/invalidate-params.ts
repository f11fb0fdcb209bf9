import type { CacheInvalidation } from "../discovery/index.js";

const TRUE_VALUES = new Set(["true", "1", "yes", "on"]);
const FALSE_VALUES = new Set(["false", "0", "no", "off", ""]);
const CACHE_PARAMS = ["org", "space", "application", "domain", "route", "process", "resolver"] as const;

/** Reads /cache/invalidate query parameters with the Java version's boolean rules; throws on a bad value. */
export function parseInvalidation(query: URLSearchParams): CacheInvalidation {
  const selection: CacheInvalidation = {};
  for (const name of CACHE_PARAMS) {
    const raw = query.get(name);
    if (raw === null) continue;
    const value = raw.trim().toLowerCase();
    if (TRUE_VALUES.has(value)) selection[name] = true;
    else if (!FALSE_VALUES.has(value)) {
      throw new Error(
        `query parameter ${name}=${JSON.stringify(raw)} is not a boolean (true/false/1/0/yes/no/on/off)`,
      );
    }
  }
  return selection;
}
