import type { IncomingMessage, ServerResponse } from "node:http";
import type { DiscoveredInstance } from "../discovery/types.js";

/** Header carrying this process's random id on every outbound scrape, to detect loops. */
export const PROMREGATOR_INSTANCE_HEADER = "x-promregator-instance";

export interface ScrapeHandler {
  /** Fetches the instance and writes the whole answer (status, headers, body) to `res`. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse, instance: DiscoveredInstance): Promise<void>;
  close(): Promise<void>;
}
