import type { IncomingMessage, ServerResponse } from "node:http";
import { sendText } from "../http/util.js";

/**
 * A whole foundation's API gone, as seen from outside: "unavailable" answers every Cloud Controller and UAA
 * request 503 (a load balancer with no healthy backend), "hang" accepts every request and never answers (a
 * black-holed backend). The router and /admin are not affected; `close()` of the simulator stops everything.
 */
export type Outage = "unavailable" | "hang";

export const OUTAGES: readonly Outage[] = ["unavailable", "hang"];

/** Answers (or holds) a request during an outage; returns false when there is none. */
export function serveOutage(outage: Outage | undefined, req: IncomingMessage, res: ServerResponse): boolean {
  if (outage === undefined) return false;
  if (outage === "hang") {
    // Read and forget the body; the connection stays open until the client gives up or the simulator closes.
    req.resume();
    return true;
  }
  sendText(res, 503, "no healthy upstream", { "retry-after": "5" });
  return true;
}
