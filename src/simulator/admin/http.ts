import type { IncomingMessage, ServerResponse } from "node:http";
import { errorMessage } from "../../errors.js";
import { readBody, sendJson } from "../http/util.js";
import type { SimulatorAdmin } from "../types.js";

/**
 * JSON admin API under /admin on the API listener (no CF auth), mirroring SimulatorAdmin for tests that
 * drive a simulator in another process. Bodies are JSON; answers are JSON; errors are 400 {"error": "..."}.
 *
 *   POST   /admin/apps/:guid/scale                {"instances": n}
 *   POST   /admin/apps/:guid/state                {"state": "STARTED"|"STOPPED"}
 *   POST   /admin/apps/:guid/instances/:i/behaviour  InstanceBehaviour
 *   POST   /admin/spaces/:guid/apps               AppSpec            -> {"guid": ...}
 *   DELETE /admin/apps/:guid
 *   GET    /admin/apps?name=x                      -> {"guid","spaceGuid"} or 404
 *   POST   /admin/revoke
 *   POST   /admin/uaa-policy                      {"clientAuth"?, "lockout"?: {"lockoutAfterFailures", ...}}
 *   GET    /admin/uaa-users/:name                  -> {"failedLogins", "locked"}
 *   POST   /admin/token-lifetime                   {"seconds": n}
 *   POST   /admin/failures                         {"count","status","pathPrefix"?,"kind"?}
 *   POST   /admin/latency                          {"ms": n}
 *   POST   /admin/rate-limit                       {"limit","windowSeconds"} or {} to switch off
 *   POST   /admin/list-faults                      CcListFaults ({} for none)
 *   GET    /admin/counters ; POST /admin/counters/reset ; POST /admin/reset
 *   POST   /admin/spaces/:guid/service_instances  {"name", "credentials"?}  -> {"guid": ...}
 *   POST   /admin/service_instances/:guid/bindings {"appGuid", "name"?, "credentials"?} -> {"guid": ...}
 *   DELETE /admin/service_bindings/:guid
 *   GET    /admin/service_instances?name=x          -> {"guid"} or 404
 *   POST   /admin/auditors                         {"names": [...]}
 *   POST   /admin/outage                           {"outage": "unavailable"|"hang"} or {} to end it
 */
export async function handleAdminRequest(
  admin: SimulatorAdmin,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const method = req.method ?? "GET";
  let body: Record<string, unknown> = {};
  if (method === "POST") {
    const text = await readBody(req);
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        sendJson(res, 400, { error: "request body is not valid JSON" });
        return;
      }
    }
  }
  const routes: [string, RegExp, (m: RegExpExecArray) => unknown][] = [
    ["POST", /^\/admin\/apps\/([^/]+)\/scale$/, (m) => admin.scaleApp(m[1], body.instances as number)],
    [
      "POST",
      /^\/admin\/apps\/([^/]+)\/state$/,
      (m) => admin.setAppState(m[1], body.state as "STARTED" | "STOPPED"),
    ],
    [
      "POST",
      /^\/admin\/apps\/([^/]+)\/instances\/(\d+)\/behaviour$/,
      (m) => admin.setInstanceBehaviour(m[1], Number(m[2]), body),
    ],
    ["POST", /^\/admin\/spaces\/([^/]+)\/apps$/, (m) => ({ guid: admin.addApp(m[1], body as never) })],
    ["DELETE", /^\/admin\/apps\/([^/]+)$/, (m) => admin.removeApp(m[1])],
    ["GET", /^\/admin\/apps$/, () => admin.findApp(url.searchParams.get("name") ?? "") ?? null],
    ["POST", /^\/admin\/revoke$/, () => admin.revokeTokens()],
    ["POST", /^\/admin\/uaa-policy$/, () => admin.setUaaPolicy(body as never)],
    ["GET", /^\/admin\/uaa-users\/([^/]+)$/, (m) => admin.uaaUser(decodeURIComponent(m[1]))],
    ["POST", /^\/admin\/token-lifetime$/, () => admin.setTokenLifetime(body.seconds as number)],
    ["POST", /^\/admin\/failures$/, () => admin.injectFailures(body as never)],
    ["POST", /^\/admin\/latency$/, () => admin.setLatency(body.ms as number)],
    [
      "POST",
      /^\/admin\/rate-limit$/,
      () => admin.setRateLimit(body.limit === undefined ? undefined : (body as never)),
    ],
    ["POST", /^\/admin\/list-faults$/, () => admin.setListFaults(body as never)],
    ["GET", /^\/admin\/counters$/, () => admin.counters()],
    ["POST", /^\/admin\/counters\/reset$/, () => admin.resetCounters()],
    ["POST", /^\/admin\/reset$/, () => admin.reset()],
    [
      "POST",
      /^\/admin\/spaces\/([^/]+)\/service_instances$/,
      (m) => ({ guid: admin.addServiceInstance(m[1], body as never) }),
    ],
    [
      "POST",
      /^\/admin\/service_instances\/([^/]+)\/bindings$/,
      (m) => ({ guid: admin.bindService(m[1], String(body.appGuid), body as never) }),
    ],
    ["DELETE", /^\/admin\/service_bindings\/([^/]+)$/, (m) => admin.unbindService(m[1])],
    [
      "GET",
      /^\/admin\/service_instances$/,
      () => {
        const guid = admin.findServiceInstance(url.searchParams.get("name") ?? "");
        return guid ? { guid } : null;
      },
    ],
    ["POST", /^\/admin\/auditors$/, () => admin.setAuditors(body.names as string[])],
    ["POST", /^\/admin\/outage$/, () => admin.setOutage(body.outage as never)],
  ];
  for (const [m, pattern, run] of routes) {
    const match = m === method ? pattern.exec(url.pathname) : null;
    if (!match) continue;
    try {
      const result = run(match);
      if (result === null) sendJson(res, 404, { error: "not found" });
      else sendJson(res, 200, result ?? { ok: true });
    } catch (err) {
      sendJson(res, 400, { error: errorMessage(err) });
    }
    return;
  }
  sendJson(res, 404, { error: `unknown admin request ${method} ${url.pathname}` });
}
