import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log.js";
import { createRequestHandler } from "../../src/server/handler.js";
import { inboundCredentials } from "../../src/server/inbound-auth.js";
import { matchRoute, protectedPaths, ROUTES } from "../../src/server/routes.js";

const GUID = "6c1d6c9e-5b7a-4d8e-9f10-0123456789ab";
let server: Server | undefined;
async function stop() {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((r) => server!.close(r));
  server = undefined;
}
afterEach(stop);

async function serve(yaml: string): Promise<string> {
  const { config } = loadConfig({ text: yaml, requireCf: false });
  const handler = createRequestHandler({
    config,
    logger: silentLogger,
    discovery: { current: () => undefined, ready: () => false, invalidate: () => {} },
    scrape: { handle: async (_req, res) => void res.end(), close: async () => {} },
    metrics: { renderChunks: () => ({ contentType: "text/plain", chunks: (async function* () {})() }) },
    processInstanceId: "self",
    inboundCredentials: { username: "promregator", password: "pw" },
  });
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A request path that reaches the route (prefix routes get an instance). */
const pathOf = (route: (typeof ROUTES)[number]) => (route.prefix ? `${route.path}${GUID}/0` : route.path);

const ALL_BASIC =
  "promregator: {discovery: {auth: BASIC}, endpoint: {auth: BASIC}, metrics: {auth: BASIC}, cache: {invalidate: {auth: BASIC}}}";

describe("route table", () => {
  it("answers 401 on exactly the paths it lists as protected, for each single switch", async () => {
    for (const yaml of [
      "promregator: {discovery: {auth: BASIC}}",
      "promregator: {endpoint: {auth: BASIC}}",
      "promregator: {metrics: {auth: BASIC}}",
      "promregator: {cache: {invalidate: {auth: BASIC}}}",
      ALL_BASIC,
    ]) {
      const base = await serve(yaml);
      const { config } = loadConfig({ text: yaml, requireCf: false });
      const listed = protectedPaths(config.promregator);
      const answered401: string[] = [];
      for (const route of ROUTES) {
        if ((await fetch(`${base}${pathOf(route)}`)).status === 401) answered401.push(route.path);
      }
      expect(answered401, yaml).toEqual(listed);
      expect(listed.length).toBeGreaterThan(0);
      await stop();
    }
  });

  it("protects nothing when every switch is NONE", async () => {
    const { config } = loadConfig({ text: "promregator: {}", requireCf: false });
    expect(protectedPaths(config.promregator)).toEqual([]);
  });

  it("serves Prometheus' /-/healthy and /-/ready next to /health and /ready, never protected", async () => {
    const base = await serve(ALL_BASIC);
    expect((await fetch(`${base}/-/healthy`)).status).toBe(200);
    const ready = await fetch(`${base}/-/ready`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get("retry-after")).toBe("5");
    expect(matchRoute("/-/ready")?.route.handler).toBe(matchRoute("/ready")?.route.handler);
    expect(matchRoute("/-/healthy")?.route.handler).toBe(matchRoute("/health")?.route.handler);
  });

  it("matches prefixes and hands the rest of the path to the endpoint", () => {
    expect(matchRoute(`/singleTargetMetrics/${GUID}/3`)).toMatchObject({ rest: `${GUID}/3` });
    expect(matchRoute("/singleTargetMetrics")).toBeUndefined();
    expect(matchRoute("/nope")).toBeUndefined();
  });
});

describe("inbound password", () => {
  it("refuses a BASIC switch without a password, naming the switch, the key and the environment variable", () => {
    for (const yaml of ["promregator: {endpoint: {auth: BASIC}}", ALL_BASIC]) {
      const { config } = loadConfig({ text: yaml, requireCf: false });
      expect(() => inboundCredentials(config)).toThrow(
        /promregator\.\w+(\.invalidate)?\.auth is BASIC.*promregator\.authentication\.basic\.password.*PROMREGATOR_AUTHENTICATION_BASIC_PASSWORD/,
      );
    }
  });

  it("uses the configured password, and needs none while every switch is NONE", () => {
    const { config } = loadConfig({
      text: "promregator: {endpoint: {auth: BASIC}, authentication: {basic: {username: p, password: s3}}}",
      requireCf: false,
    });
    expect(inboundCredentials(config)).toEqual({ username: "p", password: "s3" });
    const open = loadConfig({ text: "promregator: {}", requireCf: false }).config;
    expect(inboundCredentials(open).username).toBe("promregator");
  });
});
