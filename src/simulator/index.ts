import {
  createServer as createHttpServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { createAdmin } from "./admin/admin.js";
import { createApiHandler } from "./api.js";
import { Presenter } from "./cc/presenters.js";
import type { SimContext } from "./context.js";
import { Counters } from "./control/counters.js";
import { FailureInjector } from "./control/faults.js";
import { RateLimiter } from "./control/ratelimit.js";
import { Delays, sendText } from "./http/util.js";
import { parseLandscape } from "./landscape/load.js";
import { ServiceStore } from "./model/services.js";
import { LandscapeStore } from "./model/store.js";
import { createRouterHandler } from "./router/router.js";
import { simulatorCertificate } from "./tls.js";
import type { RunningSimulator, SimulatorAdmin, SimulatorOptions } from "./types.js";
import { UaaPolicy } from "./uaa/policy.js";
import { TokenIssuer } from "./uaa/tokens.js";

export { deriveGuid } from "./guid.js";
export {
  DEMO_BOUND_PATH,
  DEMO_SERVICE_INSTANCE,
  demoLandscape,
  demoSecondFoundationLandscape,
} from "./landscape/demo.js";
export { inFoundation } from "./landscape/foundation.js";
export {
  GENERATED_INTERNAL_DOMAIN,
  GENERATED_SHARED_DOMAIN,
  generateLandscape,
} from "./landscape/generate.js";
export { loadLandscapeFile, parseLandscape } from "./landscape/load.js";
export { OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from "./router/exposition.js";
export type * from "./types.js";

/** Login used when SimulatorOptions.users is not given. */
export const DEFAULT_SIMULATOR_USER = { username: "admin", password: "admin" } as const;
/** Client-credentials client used when SimulatorOptions.clients is not given. */
export const DEFAULT_SIMULATOR_CLIENT = {
  clientId: "promregator",
  clientSecret: "promregator-secret",
} as const;

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Starts Cloud Controller v3 + UAA (one listener, HTTPS by default) and the router (plain HTTP, also an
 * HTTP forward proxy) for the given landscape.
 */
export async function startSimulator(opts: SimulatorOptions): Promise<RunningSimulator> {
  const landscape = parseLandscape(opts.landscape);
  const store = new LandscapeStore(landscape);
  const host = opts.host ?? "127.0.0.1";
  const tls = opts.tls ?? true;
  const lifetime = opts.tokenLifetimeSeconds ?? 1200;
  if (!(lifetime > 0)) throw new Error(`tokenLifetimeSeconds must be positive, got ${String(lifetime)}`);
  const latencyMs = opts.latencyMs ?? 0;
  if (!(latencyMs >= 0)) throw new Error(`latencyMs must be a non-negative number, got ${String(latencyMs)}`);
  const limiter = new RateLimiter(opts.rateLimit);
  const users = opts.users ?? [DEFAULT_SIMULATOR_USER];
  const clients = opts.clients ?? [DEFAULT_SIMULATOR_CLIENT];

  const certificate = tls ? await simulatorCertificate() : undefined;
  // Handlers exist before the ports are known; they answer 503 for the instant until the URLs are set.
  let apiHandler: RequestListener | undefined;
  let router: ReturnType<typeof createRouterHandler> | undefined;
  const notReady: RequestListener = (_req, res) => sendText(res, 503, "simulator is starting\n");
  const onApi: RequestListener = (req, res) => (apiHandler ?? notReady)(req, res);
  const apiServer = certificate ? createHttpsServer(certificate, onApi) : createHttpServer(onApi);
  const routerServer = createHttpServer((req, res) =>
    router ? router.handle(req, res) : notReady(req, res),
  );
  routerServer.on("connect", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (router) router.handleConnect(routerServer, req, socket, head);
    else socket.destroy();
  });
  for (const server of [apiServer, routerServer]) {
    server.on("clientError", (_err, socket) => socket.destroy());
  }

  const apiPort = await listen(apiServer, opts.apiPort ?? 0, host);
  let routerPort: number;
  try {
    routerPort = await listen(routerServer, opts.routerPort ?? 0, host);
  } catch (err) {
    await stop(apiServer);
    throw err;
  }
  const apiUrl = `${tls ? "https" : "http"}://${urlHost(host)}:${apiPort}`;
  const uaaUrl = `${apiUrl}/uaa`;
  const ctx: SimContext = {
    store,
    services: new ServiceStore(store, landscape.serviceInstances, landscape.auditors),
    issuer: new TokenIssuer(`${uaaUrl}/oauth/token`, () => ctx.tokenLifetimeSeconds * 1000),
    accounts: {
      users: new Map(users.map((u) => [u.username, u.password])),
      clients: new Map([["cf", ""], ...clients.map((c): [string, string] => [c.clientId, c.clientSecret])]),
      policy: new UaaPolicy(opts.uaa ?? landscape.uaa),
    },
    limiter,
    failures: new FailureInjector(),
    counters: new Counters(),
    delays: new Delays(),
    presenter: new Presenter(apiUrl, store),
    latencyMs,
    tokenLifetimeSeconds: lifetime,
    apiUrl,
    uaaUrl,
    apiVersion: opts.apiVersion ?? "3.180.0",
    listFaults: landscape.listFaults ?? {},
  };
  const admin: SimulatorAdmin = createAdmin(ctx, {
    latencyMs,
    rateLimit: opts.rateLimit,
    tokenLifetimeSeconds: lifetime,
    listFaults: landscape.listFaults ?? {},
  });
  apiHandler = createApiHandler(ctx, admin);
  const routing = createRouterHandler(ctx);
  router = routing;

  let closed: Promise<void> | undefined;
  return {
    apiUrl: ctx.apiUrl,
    uaaUrl: ctx.uaaUrl,
    routerAddress: { host, port: routerPort },
    routerUrl: `http://${urlHost(host)}:${routerPort}`,
    ...(certificate ? { caPem: certificate.cert } : {}),
    admin,
    close() {
      closed ??= (async () => {
        ctx.delays.cancelAll();
        routing.closeTunnels();
        await Promise.all([stop(apiServer), stop(routerServer)]);
      })();
      return closed;
    },
  };
}
