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

  it("probes with HTTPS when --web.config.file enables TLS, on the --web.listen-address the server uses", async () => {
    const port = await freePort();
    const { cert, key } = await simulatorCertificate();
    dir.write(`web-${port}.crt`, cert);
    dir.write(`web-${port}.key`, key);
    // relative names: read from the web configuration's own folder
    const web = dir.write(
      `web-${port}.yml`,
      `tls_server_config:\n  cert_file: web-${port}.crt\n  key_file: web-${port}.key\n`,
    );
    const flags = ["--web.config.file", web, "--web.listen-address", `127.0.0.1:${port}`];
    const proc = await startPromregatorProcess({
      port,
      serverCaPem: cert,
      // the configuration file names another port: the flag wins, for the server and for the check
      yaml: serverYaml("  port: 1"),
      args: flags,
    });
    try {
      const result = await runCli(["--config", proc.configFile, ...flags, "healthcheck"]);
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe(`https://127.0.0.1:${port}/health answered 200\n`);
      expect(result.code).toBe(0);
    } finally {
      await proc.kill();
    }
  }, 60_000);

  it("exits 1 naming client_auth_type when the web configuration requires client certificates", async () => {
    const { cert, key } = await simulatorCertificate();
    dir.write("mtls.crt", cert);
    dir.write("mtls.key", key);
    const file = dir.write("mtls-server.yml", serverYaml("  port: 9999\n  address: 127.0.0.1"));
    for (const type of ["RequireAndVerifyClientCert", "RequireAnyClientCert"]) {
      const web = dir.write(
        `mtls-${type}.yml`,
        "tls_server_config:\n  cert_file: mtls.crt\n  key_file: mtls.key\n" +
          `  client_auth_type: ${type}\n  client_ca_file: mtls.crt\n`,
      );
      const result = await runCli(["--config", file, "--web.config.file", web, "healthcheck"]);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `https://127.0.0.1:9999/health cannot be probed: tls_server_config.client_auth_type is ${type} in ${web}, ` +
          "so the server refuses connections without a client certificate, and this check has none\n",
      );
      expect(result.code).toBe(1);
    }
  });

  it("exits 1 naming the key when the web configuration file is bad", async () => {
    const file = dir.write("web-bad-server.yml", serverYaml("  port: 9999\n  address: 127.0.0.1"));
    const web = dir.write(
      "web-bad.yml",
      "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n",
    );
    const result = await runCli(["--config", file, "--web.config.file", web, "healthcheck"]);
    expect(result.stderr).toContain("tls_server_config.cert_file");
    expect(result.code).toBe(1);
  });

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
