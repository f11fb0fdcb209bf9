import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * How answers to matching Cloud Controller requests are spoiled:
 * - truncate: a complete HTTP answer whose JSON stops half way;
 * - cut: Content-Length of the whole body, half of it sent, then the connection dropped;
 * - garbage: 200 application/json that is not JSON;
 * - shape: valid JSON that is not a v3 list;
 * - page-gone: page 2 and later answer 404 CF-ResourceNotFound (deleted while paging);
 * - edit: valid JSON, each of its `resources` changed by the rule's `edit` (a field of the wrong value or missing).
 */
export type TamperMode = "truncate" | "cut" | "garbage" | "shape" | "page-gone" | "edit";

export interface TamperRule {
  pathPrefix: string;
  mode: TamperMode;
  /** For mode "edit": changes one resource of the list in place. */
  edit?: (resource: Record<string, unknown>) => void;
}

export interface TamperProxy {
  url: string;
  /** Spoil answers to paths starting with this prefix; undefined = pass everything through. */
  tamper: TamperRule | undefined;
  /** Ask CC for small pages on this path prefix, so that paging happens with a few resources. */
  smallPages: { pathPrefix: string; perPage: number } | undefined;
  /** Paths (with query) of the answers spoiled so far. */
  readonly spoiled: string[];
  /** Access and refresh tokens UAA issued through this proxy, and bearer tokens sent to CC. */
  readonly tokens: Set<string>;
  close(): Promise<void>;
}

/**
 * A plain-HTTP reverse proxy in front of a plain-HTTP simulator: it rewrites the simulator's origin in
 * bodies (so pagination and login links point back at the proxy) and spoils chosen answers.
 */
export async function startTamperProxy(upstream: string): Promise<TamperProxy> {
  const target = new URL(upstream);
  const state: TamperProxy = {
    url: "",
    tamper: undefined,
    smallPages: undefined,
    spoiled: [],
    tokens: new Set(),
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((req, res) => {
    let path = req.url ?? "/";
    const small = state.smallPages;
    if (small && path.startsWith(small.pathPrefix)) {
      path = path.replace(/([?&])per_page=\d+/, `$1per_page=${small.perPage}`);
    }
    const bearer = /^bearer\s+(\S+)/i.exec(req.headers.authorization ?? "");
    if (bearer) state.tokens.add(bearer[1]);
    const rule = state.tamper && path.startsWith(state.tamper.pathPrefix) ? state.tamper : undefined;
    if (rule?.mode === "page-gone" && /[?&]page=([2-9]|\d\d+)/.test(path)) {
      state.spoiled.push(path);
      const body = JSON.stringify({
        errors: [{ code: 10010, title: "CF-ResourceNotFound", detail: "Page not found" }],
      });
      res.writeHead(404, { "content-type": "application/json" }).end(body);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = { ...req.headers, host: target.host };
      const upstreamReq = request(
        { host: target.hostname, port: target.port, method: req.method, path, headers },
        (up) => {
          const body: Buffer[] = [];
          up.on("data", (c: Buffer) => body.push(c));
          up.on("end", () => {
            const text = Buffer.concat(body).toString("utf8").replaceAll(upstream, state.url);
            if (path.startsWith("/uaa/oauth/token")) rememberTokens(text, state.tokens);
            const ok = (up.statusCode ?? 500) === 200;
            const spoil = ok && rule && rule.mode !== "page-gone" ? rule.mode : undefined;
            if (spoil) state.spoiled.push(path);
            const out = Buffer.from(spoiled(text, spoil, rule?.edit), "utf8");
            const type = up.headers["content-type"] ?? "application/json";
            if (spoil === "cut") {
              res.writeHead(200, { "content-type": type, "content-length": Buffer.byteLength(text) });
              res.write(out, () => res.destroy());
              return;
            }
            res.writeHead(up.statusCode ?? 500, { "content-type": type, "content-length": out.length });
            res.end(out);
          });
        },
      );
      upstreamReq.on("error", () => res.destroy());
      upstreamReq.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

function spoiled(text: string, mode: TamperMode | undefined, edit?: TamperRule["edit"]): string {
  switch (mode) {
    case "edit": {
      const list = JSON.parse(text) as { resources: Record<string, unknown>[] };
      for (const resource of list.resources) edit?.(resource);
      return JSON.stringify(list);
    }
    case "truncate":
    case "cut":
      return text.slice(0, Math.floor(text.length / 2));
    case "garbage":
      return "{<html>this is not JSON";
    case "shape":
      return JSON.stringify({ pagination: { next: null }, resources: { not: "a list" } });
    default:
      return text;
  }
}

function rememberTokens(text: string, tokens: Set<string>): void {
  try {
    const body = JSON.parse(text) as { access_token?: unknown; refresh_token?: unknown };
    for (const t of [body.access_token, body.refresh_token]) if (typeof t === "string") tokens.add(t);
  } catch {
    // not a token answer
  }
}
