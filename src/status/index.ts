import type { IncomingMessage } from "node:http";
import { HTML_CONTENT_TYPE, JSON_CONTENT_TYPE } from "../media-type.js";
import type { StatusView } from "../server/index.js";
import { buildStatusDocument } from "./document.js";
import { renderStatusHtml } from "./html.js";
import { wantsJson } from "./negotiate.js";
import type { StatusDeps, StatusDocument } from "./types.js";

export { STATUS_JSON_PATH, wantsJson } from "./negotiate.js";
export { type LastScrape, ScrapeLog } from "./scrape-log.js";
export type * from "./types.js";

/** Rows of the HTML instance table; beyond that a page gets slow to render and read (the JSON has all). */
export const MAX_INSTANCE_ROWS = 500;
export const REFRESH_SECONDS = 15;

export interface StatusPage extends StatusView {
  /** The current state as the JSON twin serves it. */
  json(): StatusDocument;
}

/**
 * The operator page served at `/` (HTML) and `/status.json` (JSON). It answers "is it working, and if it
 * shows nothing, why?": readiness, CF connection, what each configured target resolved to, per-instance
 * last scrape, cache ages.
 */
export function createStatusView(deps: StatusDeps): StatusPage {
  const now = deps.now ?? Date.now;
  const json = () => buildStatusDocument(deps, now());
  return {
    json,
    async render(req: IncomingMessage) {
      const path = pathOf(req.url);
      const doc = json();
      if (wantsJson(path, req.headers.accept)) {
        return { contentType: JSON_CONTENT_TYPE, body: JSON.stringify(doc) };
      }
      return {
        contentType: HTML_CONTENT_TYPE,
        body: renderStatusHtml(doc, { maxInstanceRows: MAX_INSTANCE_ROWS, refreshSeconds: REFRESH_SECONDS }),
      };
    },
  };
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? "/", "http://localhost").pathname;
  } catch {
    return "/";
  }
}
