import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LandscapeSpec } from "../../src/simulator/index.js";
import { guardUnhandledRejections, type Harness, httpGet, startHarness } from "./support/harness.js";
import { startCanary, startMetricsServer, type TestServer } from "./support/servers.js";

guardUnhandledRejections();

/**
 * "web" is the one discovered instance. The canary is reachable two ways, both never to be used: directly
 * on 127.0.0.1, and as the CF app "canary-app" in a space no target selects.
 */
function landscape(target: TestServer, canary: TestServer): LandscapeSpec {
  return {
    domains: [{ name: "apps.example.org" }],
    orgs: [
      {
        name: "rel-org",
        spaces: [
          {
            name: "rel-space",
            apps: [{ name: "web", instances: 1, behaviour: { upstream: `${target.url}/fast` } }],
          },
          {
            name: "other-space",
            apps: [{ name: "canary-app", instances: 1, behaviour: { upstream: canary.url } }],
          },
        ],
      },
    ],
  };
}

/** Sends the request as written (any method, any request target) and resolves once the socket closed. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    socket.on("data", (d) => {
      data += d.toString();
    });
    socket.on("error", () => resolve(data));
    socket.on("close", () => resolve(data));
    socket.setTimeout(5000, () => socket.destroy());
    socket.end(text);
  });
}

const setups: [string, boolean][] = [
  ["through the CF router", true],
  ["straight to the instance (overrideRouteAndPath, no proxy)", false],
];

describe.each(setups)("SSRF attempts, scraping %s", (_, viaRouter) => {
  let canary: TestServer;
  let target: TestServer;
  let h: Harness;
  let guid: string;
  let canaryGuid: string;

  beforeAll(async () => {
    canary = await startCanary();
    target = await startMetricsServer();
    h = await startHarness({
      logLevel: "warn",
      landscape: landscape(target, canary),
      configure: (config) => {
        if (viaRouter) return;
        config.promregator.scraping.proxy = undefined;
        config.promregator.targets[0].overrideRouteAndPath = `127.0.0.1:${target.port}/fast`;
      },
    });
    await h.app.whenReady();
    guid = h.sim.admin.findApp("web")!.guid;
    canaryGuid = h.sim.admin.findApp("canary-app")!.guid;
  });

  afterAll(async () => {
    await h?.close();
    await target?.close();
    await canary?.close();
  });

  const canaryHost = () => `127.0.0.1:${canary.port}`;
  const legit = () => `/singleTargetMetrics/${guid}/0`;

  it.each([
    ["Host", () => ({ host: canaryHost() })],
    ["Host naming the undiscovered CF app", () => ({ host: "canary-app.apps.example.org" })],
    [
      "X-Forwarded-Host/-Proto/-Port",
      () => ({
        "x-forwarded-host": canaryHost(),
        "x-forwarded-proto": "http",
        "x-forwarded-port": String(canary.port),
      }),
    ],
    ["Forwarded", () => ({ forwarded: `host=${canaryHost()};proto=http` })],
    ["X-CF-APP-INSTANCE of another app", () => ({ "x-cf-app-instance": `${canaryGuid}:0` })],
    [
      "X-Original-URL / X-Rewrite-URL",
      () => ({ "x-original-url": `http://${canaryHost()}/`, "x-rewrite-url": `http://${canaryHost()}/` }),
    ],
  ] as [string, () => Record<string, string>][])(
    "header %s: the discovered instance is scraped, nothing else",
    async (_, headers) => {
      const before = target.requests.length;
      const answer = await httpGet(h.app.url, legit(), headers());
      expect(answer.status).toBe(200);
      expect(answer.text).toContain("demo_up 1");
      expect(target.requests.length).toBe(before + 1);
      const seen = target.headers[target.headers.length - 1];
      if (viaRouter) {
        // the router picked the discovered instance, not the one named by the caller's header
        expect(seen["x-cf-applicationid"]).toBe(guid);
        expect(seen["x-cf-instanceindex"]).toBe("0");
      } else {
        expect(seen["x-cf-app-instance"]).toBeUndefined();
      }
      expect(canary.requests).toEqual([]);
    },
  );

  it.each([
    ["absolute-form target", () => `http://${canaryHost()}${legit()}`, 200],
    ["absolute-form to the undiscovered app", () => "http://canary-app.apps.example.org/metrics", 404],
    // "//host/path" is not a path in normal form: refused before any routing (src/server/request-path.ts).
    ["protocol-relative target", () => `//${canaryHost()}${legit()}`, 400],
    [
      "target URL in query parameters",
      () =>
        `${legit()}?target=http://${canaryHost()}/&url=http://${canaryHost()}/&__address__=${canaryHost()}&__metrics_path__=/x`,
      200,
    ],
    ["the undiscovered app's id", () => `/singleTargetMetrics/${canaryGuid}/0`, 404],
    ["a host in the path", () => `/singleTargetMetrics/${canaryHost()}/0`, 400],
  ] as [string, () => string, number][])("request target %s: %i", async (_, path, status) => {
    const answer = await httpGet(h.app.url, path());
    expect(answer.status).toBe(status);
    expect(canary.requests).toEqual([]);
  });

  it("CONNECT to the canary gets no tunnel", async () => {
    const answer = await raw(h.app.port, `CONNECT ${canaryHost()} HTTP/1.1\r\nHost: ${canaryHost()}\r\n\r\n`);
    expect(answer).not.toMatch(/^HTTP\/1\.1 200/);
    expect(canary.requests).toEqual([]);
    expect((await httpGet(h.app.url, "/health")).status).toBe(200);
  });

  it("the instance is only ever asked for its own metrics path", () => {
    expect(target.requests.length).toBeGreaterThan(0);
    expect(new Set(target.requests)).toEqual(new Set(["GET /fast/metrics"]));
  });
});
