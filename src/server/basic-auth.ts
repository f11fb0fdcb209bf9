import { createHash, timingSafeEqual } from "node:crypto";
import type { InboundRequest } from "../http-exchange.js";

export interface Credentials {
  username: string;
  password: string;
}

/** Hash both sides first so the comparison takes the same time whatever the lengths are. */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** True when the request carries HTTP Basic credentials equal to `expected`. */
export function hasValidBasicAuth(req: InboundRequest, expected: Credentials): boolean {
  const header = req.headers.authorization;
  if (!header) return false;
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const userOk = sameSecret(decoded.slice(0, colon), expected.username);
  const passOk = sameSecret(decoded.slice(colon + 1), expected.password);
  return userOk && passOk;
}
