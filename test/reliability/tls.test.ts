import { createServer as createHttpsServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { generate } from "selfsigned";
import { Agent, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { type ChildPromregator, freePort, scratchDir, startChild } from "./support/child.js";
import {
  CF_USER,
  eventually,
  fastConfigYaml,
  guardUnhandledRejections,
  type Harness,
  httpGet,
  smallLandscape,
  startHarness,
} from "./support/harness.js";

guardUnhandledRejections();

/** A self-signed certificate (its own CA) for 127.0.0.1, like a private CA's leaf would be. */
async function certificateFor127(name: string): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: "commonName", value: name }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

let targetCert: { key: string; cert: string };
let httpsTarget: Server;
let targetPort: number;
const scratch = scratchDir();

beforeAll(async () => {
  targetCert = await certificateFor127("metrics-target");
  httpsTarget = createHttpsServer(targetCert, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end("tls_target_up 1\n");
  });
  await new Promise<void>((resolve) => httpsTarget.listen(0, "127.0.0.1", resolve));
  targetPort = (httpsTarget.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => {
    httpsTarget.close(resolve);
    httpsTarget.closeAllConnections();
  });
  scratch.remove();
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("TLS towards Cloud Foundry", () => {
  it("is verified by default: an untrusted CF certificate fails discovery with a clear TLS error", async () => {
    h = await startHarness({ trustSimulatorCa: false, logLevel: "warn" });
    const warning = await eventually("a TLS warning", () => h!.logs.warnings(/certificate|self.signed/i)[0]);
    expect(warning.msg).toMatch(/^GET \/(v3\/info)?\S* failed: .*(self-signed certificate|SELF_SIGNED)/i);
    expect((await h.get("/ready")).status).toBe(503);
    expect((await h.get("/discovery")).status).toBe(503);
  });

  it("cf.skipSslValidation trusts CF but not an HTTPS scrape target with a self-signed certificate", async () => {
    h = await startHarness({
      trustSimulatorCa: false,
      logLevel: "warn",
      configure: (config) => {
        config.cf.skipSslValidation = true;
        config.promregator.scraping.proxy = undefined;
        Object.assign(config.promregator.targets[0], {
          protocol: "https",
          overrideRouteAndPath: `127.0.0.1:${targetPort}/metrics`,
        });
      },
    });
    await h.app.whenReady();
    const [first] = await h.discoveryTargets();
    const scrape = await h.get(first);
    expect(scrape.status).toBe(502);
    expect(scrape.text).toMatch(
      /TLS handshake with target 127\.0\.0\.1:\d+ failed: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/,
    );
  });
});

describe("NODE_EXTRA_CA_CERTS", () => {
  let sim: RunningSimulator;
  let child: ChildPromregator | undefined;

  beforeAll(async () => {
    sim = await startSimulator({ landscape: smallLandscape(), users: [CF_USER] });
  });
  afterAll(async () => {
    await child?.stop();
    await sim?.close();
  });

  it("trusts a private CA for both the CF API and HTTPS scrape targets", async () => {
    const port = await freePort();
    const yaml = fastConfigYaml(sim.apiUrl, {
      port,
      target: { protocol: "https", overrideRouteAndPath: `127.0.0.1:${targetPort}/metrics` },
    });
    const caFile = scratch.file("private-ca.pem", `${sim.caPem}\n${targetCert.cert}\n`);
    child = await startChild({
      configFile: scratch.file("extra-ca.yml", yaml),
      url: `http://127.0.0.1:${port}`,
      env: { CF_PASSWORD: CF_USER.password, NODE_EXTRA_CA_CERTS: caFile },
    });
    const groups = JSON.parse((await httpGet(child.url, "/discovery")).text) as {
      labels: Record<string, string>;
    }[];
    expect(groups).toHaveLength(7);
    const scrape = await httpGet(child.url, groups[0].labels.__metrics_path__);
    expect(scrape.status).toBe(200);
    expect(scrape.text).toContain("tls_target_up 1");
  });
});

describe("Promregator's own listener", () => {
  it("serves HTTPS with server.tls.cert and server.tls.key, and announces https targets", async () => {
    const own = await certificateFor127("promregator");
    const cert = scratch.file("listener.crt", own.cert);
    const key = scratch.file("listener.key", own.key);
    h = await startHarness({
      logLevel: "warn",
      configure: (config) => {
        config.server.tls = { cert, key };
      },
    });
    expect(h.app.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { ca: own.cert } });
    try {
      await h.app.whenReady();
      const health = await request(`${h.app.url}/health`, { dispatcher });
      expect(health.statusCode).toBe(200);
      expect(await health.body.text()).toBe("UP\n");
      const discovery = await request(`${h.app.url}/discovery`, { dispatcher });
      const groups = (await discovery.body.json()) as { labels: Record<string, string> }[];
      expect(groups[0].labels.__scheme__).toBe("https");
      // without the CA the certificate is not trusted; plain HTTP gets no answer
      await expect(request(`${h.app.url}/health`)).rejects.toThrow(/certificate/i);
      await expect(httpGet(h.app.url.replace("https:", "http:"), "/health")).rejects.toThrow();
    } finally {
      await dispatcher.close();
    }
  });
});
