import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatorCertificate } from "../../src/simulator/tls.js";
import { freePort } from "../e2e/prometheus.js";
import { startPromregatorProcess } from "../e2e/promregator-process.js";
import { assertBuilt, runCli, scratchDir } from "./run-cli.js";

const dir = scratchDir();
beforeAll(assertBuilt);
afterAll(() => dir.remove());

/** A server that needs no Cloud Foundry: simulation mode, one instance per simulated app. */
function serverYaml(server: string): string {
  return `
promregator:
  simulation: {enabled: true, instances: 1}
  targets:
    - orgName: simorg
      spaceName: simspace
server:
${server}
`;
}

// One server at a time: each simulates a landscape of 100 apps in its own process.
describe("promregator healthcheck", () => {
  it("exits 0 against a running plain HTTP server on the configured address and port", async () => {
    const port = await freePort();
    const proc = await startPromregatorProcess({
      port,
      yaml: serverYaml(`  port: ${port}\n  address: 127.0.0.1`),
    });
    try {
      const result = await runCli(["--config", proc.configFile, "healthcheck"]);
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe(`http://127.0.0.1:${port}/health answered 200\n`);
      expect(result.code).toBe(0);
    } finally {
      await proc.kill();
    }
  }, 60_000);

  it("probes with HTTPS when server.tls is set, on the loopback when the server listens on every address", async () => {
    const port = await freePort();
    const { cert, key } = await simulatorCertificate();
    const certFile = dir.write(`tls-${port}.crt`, cert);
    const keyFile = dir.write(`tls-${port}.key`, key);
    const proc = await startPromregatorProcess({
      port,
      serverCaPem: cert,
      // no server.address: the default 0.0.0.0
      yaml: serverYaml(`  port: ${port}\n  tls:\n    cert: ${certFile}\n    key: ${keyFile}`),
    });
    try {
      const result = await runCli(["healthcheck"], { env: { PROMREGATOR_CONFIG: proc.configFile } });
      expect(result.stdout).toBe(`https://127.0.0.1:${port}/health answered 200\n`);
      expect(result.code).toBe(0);
    } finally {
      await proc.kill();
    }
  }, 60_000);

  it("follows PORT, as the server does, and exits 1 when nothing listens there", async () => {
    const port = await freePort();
    const file = dir.write("no-port.yml", serverYaml("  address: 127.0.0.1"));
    const result = await runCli(["--config", file, "healthcheck", "--timeout", "2"], {
      env: { PORT: String(port) },
    });
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`http://127.0.0.1:${port}/health: connect ECONNREFUSED`);
    expect(result.code).toBe(1);
  });

  it("exits 1, not the configuration-error code 2 that Docker reserves, when the configuration is bad", async () => {
    const file = dir.write("bad.yml", serverYaml("  port: not-a-port"));
    const result = await runCli(["--config", file, "healthcheck"]);
    expect(result.stderr).toContain("server.port");
    expect(result.code).toBe(1);
  });
});
