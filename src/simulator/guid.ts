import { createHash, randomUUID } from "node:crypto";

/** The proxy and the router only accept lowercase hex guids; CF itself issues v4 UUIDs. */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A v4-looking UUID derived from a stable key, so a landscape gets the same guids on every start
 * (tests and benchmarks can compute them up front).
 */
export function deriveGuid(kind: string, key: string): string {
  const h = createHash("sha256").update(`${kind}\u0000${key}`).digest("hex");
  const variant = ((Number.parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function randomGuid(): string {
  return randomUUID();
}

export function isGuid(value: string): boolean {
  return GUID_PATTERN.test(value);
}
