import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type CloudControllerClient, createCloudControllerClient } from "../../src/cf/index.js";
import { createDiscoveryService } from "../../src/discovery/service.js";
import type { DiscoveryService } from "../../src/discovery/types.js";
import type { Logger } from "../../src/log.js";
import { silentLogger } from "../../src/log.js";
import { type LandscapeSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { captureLogger, simulatorCf, testConfig } from "./config.js";

/**
 * One app's Cloud Controller failure leaves out that app only: the other apps of its target are current, the
 * failing one keeps the instances an earlier discovery had for it, and the target reports the failure.
 */

const APPS = 150;
/** 150 started apps in one space, each with a web process of one instance and its own route. */
const landscape: LandscapeSpec = {
  domains: [{ name: "apps.example.com" }],
  orgs: [
    {
      name: "orgName",
      spaces: [
        {
          name: "spaceName",
          apps: Array.from({ length: APPS }, (_, i) => ({
            name: `bulk${i}`,
            routes: [`bulk${i}.apps.example.com`],
          })),
        },
      ],
    },
  ],
};

let sim: RunningSimulator | undefined;
let proxy: Server | undefined;
const clients: CloudControllerClient[] = [];
const services: DiscoveryService[] = [];

afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
  await Promise.all(clients.splice(0).map((c) => c.close()));
  if (proxy) {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
  }
  proxy = undefined;
  await sim?.close();
  sim = undefined;
});

async function start(): Promise<RunningSimulator> {
  sim = await startSimulator({ landscape, tls: false });
  return sim;
}

/** Discovery of the one target `orgName/spaceName` (every app) through the CC at `apiUrl`. */
function discovery(apiUrl: string, logger: Logger = silentLogger): DiscoveryService {
  const config = testConfig([{ orgName: "orgName", spaceName: "spaceName" }]);
  config.cf = simulatorCf(config.cf, apiUrl, { backoff: 5 });
  const client = createCloudControllerClient({ config: config.cf, logger: silentLogger });
  clients.push(client);
  const service = createDiscoveryService({ config, cf: client, logger });
  services.push(service);
  return service;
}

const appsOf = (instances: readonly { appName: string }[]) => new Set(instances.map((i) => i.appName));

describe("one app's Cloud Controller failure", () => {
  it("leaves out only that app when GET /v3/routes answers 500 for it: the first discovery serves the other 149", async () => {
    const s = await start();
    const failing = s.admin.findApp("bulk77")?.guid ?? "";
    s.admin.setListFaults({ failKeys: [failing] });
    const { logger, lines } = captureLogger();
    const service = discovery(s.apiUrl, logger);

    const snapshot = await service.refresh();

    expect(snapshot.instances).toHaveLength(APPS - 1);
    expect(appsOf(snapshot.instances).has("bulk77")).toBe(false);
    expect(appsOf(snapshot.instances).has("bulk149")).toBe(true);
    const [report] = snapshot.targets;
    expect(report).toMatchObject({ instances: APPS - 1, kind: "cc-error" });
    expect(report.problem).toMatch(
      /^could not load routes of app bulk77: GET \/v3\/routes failed with status 500/,
    );
    // The refresh is not ok (the status page's foundation health), with the app's failure as its cause.
    expect(service.lastRefresh()).toMatchObject({ ok: false, error: report.problem });
    const warned = lines().filter((l) => l.level === "warn" && /some apps of a target/.test(l.msg));
    expect(warned).toHaveLength(1);
    expect(warned[0].msg).toBe(
      "could not read some apps of a target; keeping their previous instances, its other apps are current",
    );
  });

  it("keeps the previous instances of the failing app and gives the other apps of its target fresh data", async () => {
    const s = await start();
    const service = discovery(s.apiUrl);
    const first = await service.refresh();
    expect(first.instances).toHaveLength(APPS);
    const before = first.instances.find((i) => i.appName === "bulk77");

    s.admin.setListFaults({ failKeys: [s.admin.findApp("bulk77")?.guid ?? ""] });
    s.admin.scaleApp(s.admin.findApp("bulk5")?.guid ?? "", 3);
    // Both layers read anew: without their entries the failing app has no cached routes to fall back on.
    await service.invalidate({ route: true, process: true });
    const next = service.current();

    // bulk5's new scale is there (fresh data), bulk77 is still served from the earlier discovery.
    expect(next?.instances.filter((i) => i.appName === "bulk5")).toHaveLength(3);
    expect(next?.instances.find((i) => i.appName === "bulk77")).toBe(before);
    expect(next?.instances).toHaveLength(APPS + 2);
    expect(next?.targets[0]).toMatchObject({ instances: APPS + 2, kind: "cc-error" });
    expect(next?.targets[0].problem).toMatch(/^could not load routes of app bulk77: /);

    // And once the CC answers for it again, the target is clean.
    s.admin.setListFaults({});
    await service.invalidate({ route: true });
    expect(service.current()?.targets[0].problem).toBeUndefined();
  });

  it("leaves out only the app whose route has a null url (a document isolated to that app)", async () => {
    const s = await start();
    const broken = "bulk77.apps.example.com";
    proxy = await rewritingProxy(s.apiUrl, (path, body) => {
      if (path !== "/v3/routes") return body;
      const doc = JSON.parse(body) as { resources: { url: string | null }[] };
      for (const route of doc.resources) if (route.url === broken) route.url = null;
      return JSON.stringify(doc);
    });
    const service = discovery(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);

    const snapshot = await service.refresh();

    expect(snapshot.instances).toHaveLength(APPS - 1);
    expect(appsOf(snapshot.instances).has("bulk77")).toBe(false);
    expect(snapshot.targets[0].kind).toBe("cc-error");
    expect(snapshot.targets[0].problem).toMatch(
      /^could not load routes of app bulk77: GET \/v3\/routes answered with an unexpected document: resources\[0\]\.url should be a string but is null/,
    );
  });

  it("still fails a target whose every app failed: nothing fresh is known of it", async () => {
    const s = await start();
    // One key for the whole space's routes: every app's request fails.
    s.admin.setListFaults({
      failKeys: landscape.orgs[0].spaces[0].apps.map((a) => s.admin.findApp(a.name)?.guid ?? ""),
    });
    const service = discovery(s.apiUrl);
    await expect(service.refresh()).rejects.toThrow(/could not load routes of/);
    expect(service.current()).toBeUndefined();
  });
});

/** An HTTP proxy to `target` that lets `rewrite` change the body of every answer (by request path). */
async function rewritingProxy(
  target: string,
  rewrite: (path: string, body: string) => string,
): Promise<Server> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        // Uncompressed answers, so that the body can be rewritten as text.
        headers: { ...req.headers, host: upstream.host, "accept-encoding": "identity" },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const path = new URL(req.url ?? "/", target).pathname;
          const body = Buffer.from(rewrite(path, Buffer.concat(chunks).toString()));
          const headers = { ...answer.headers, "content-length": String(body.length) };
          delete headers["transfer-encoding"];
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}
