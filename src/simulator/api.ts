import type { IncomingMessage, ServerResponse } from "node:http";
import { handleAdminRequest } from "./admin/http.js";
import { handleCcRequest, sendInjectedFailure } from "./cc/handler.js";
import type { SimContext } from "./context.js";
import { serveOutage } from "./control/outage.js";
import { sendJson } from "./http/util.js";
import type { SimulatorAdmin } from "./types.js";
import { handleTokenRequest } from "./uaa/handler.js";

/** The API listener: /admin, UAA under /uaa, and the Cloud Controller for everything else. */
export function createApiHandler(
  ctx: SimContext,
  admin: SimulatorAdmin,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handleApiRequest(ctx, admin, req, res).catch(() => {
      if (!res.headersSent) {
        sendJson(res, 500, {
          errors: [{ detail: "An unknown error occurred.", title: "UnknownError", code: 10001 }],
        });
      } else {
        res.destroy();
      }
    });
  };
}

async function handleApiRequest(
  ctx: SimContext,
  admin: SimulatorAdmin,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const raw = req.url ?? "/";
  let url: URL;
  try {
    // Concatenate rather than resolve, so a path like "//x" stays a path.
    url = new URL(raw.startsWith("/") ? `${ctx.apiUrl}${raw}` : raw);
  } catch {
    sendJson(res, 400, {
      errors: [{ detail: "The request is invalid", title: "CF-InvalidRequest", code: 10004 }],
    });
    return;
  }
  // CC routes ignore a trailing slash.
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  if (path === "/admin" || path.startsWith("/admin/")) return handleAdminRequest(admin, req, res, url);
  if (serveOutage(ctx.outage, req, res)) return;
  if (path === "/uaa" || path.startsWith("/uaa/")) {
    ctx.counters.countUaa(path);
    const failure = ctx.failures.take(path);
    if (failure) {
      if (failure.kind === undefined || failure.kind === "cc") {
        sendJson(res, failure.status, { error: "server_error", error_description: "Internal Server Error" });
      } else {
        sendInjectedFailure(res, failure);
      }
      return;
    }
    if (path === "/uaa/oauth/token") return handleTokenRequest(req, res, url, ctx.accounts, ctx.issuer);
    sendJson(res, 404, { error: "not_found", error_description: `No handler for ${path}` });
    return;
  }
  return handleCcRequest(ctx, req, res, url, path);
}
