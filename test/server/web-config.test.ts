import { request } from "node:https";
import bcrypt from "bcryptjs";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWebConfig } from "../../src/server/web-config.js";
import { runCli, scratchDir } from "../cli/run-cli.js";
import { freePort } from "../e2e/prometheus.js";
import { type PromregatorProcess, startPromregatorProcess } from "../e2e/promregator-process.js";

async function certificate(name: string, usage: "serverAuth" | "clientAuth") {
  const pems = await generate([{ name: "commonName", value: name }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true },
      { name: "extKeyUsage", [usage]: true },
      {
        name: "subjectAltName",
        altNames: usage === "serverAuth" ? [{ type: 7, ip: "127.0.0.1" }] : [{ type: 2, value: name }],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

interface Answer {
  status?: number;
  error?: string;
}

function get(
  url: string,
  opts: { ca: string; client?: { key: string; cert: string }; auth?: string },
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca: opts.ca, ...opts.client, agent: false, headers: opts.auth ? { authorization: opts.auth } : {} },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode }));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end();
  });
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("--web.config.file (Prometheus exporter-toolkit format)", () => {
  const dir = scratchDir();
  let server: { key: string; cert: string };
  let allowed: { key: string; cert: string };
  let stranger: { key: string; cert: string };
  let proc: PromregatorProcess | undefined;
  let base: string;

  beforeAll(async () => {
    server = await certificate("promregator", "serverAuth");
    allowed = await certificate("prometheus.example", "clientAuth");
    stranger = await certificate("stranger.example", "clientAuth");
    dir.write("server.crt", server.cert);
    dir.write("server.key", server.key);
    dir.write("clients.crt", allowed.cert);
    // A file as the exporter-toolkit docs describe it: relative paths, Go's ClientAuthType, a $2y$ bcrypt hash.
    const hash = bcrypt.hashSync("prom-pw", 6).replace(/^\$2b\$/, "$2y$");
    const webConfig = dir.write(
      "web-config.yml",
      `tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: clients.crt
  min_version: TLS12
http_server_config:
  headers:
    X-Frame-Options: deny
basic_auth_users:
  prometheus: ${hash}
`,
    );
    const port = await freePort();
    base = `https://127.0.0.1:${port}`;
    proc = await startPromregatorProcess({
      port,
      args: ["--web.config.file", webConfig, "--web.listen-address", `127.0.0.1:${port}`],
      yaml: "promregator:\n  simulation: {enabled: true, instances: 1}\n  targets: [{orgName: simorg}]\n",
      serverCaPem: server.cert,
      probe: async (url) =>
        (await get(url, { ca: server.cert, client: allowed, auth: basic("prometheus", "prom-pw") })).status,
    });
  }, 60_000);

  afterAll(async () => {
    await proc?.kill();
    dir.remove();
  });

  it("serves TLS and accepts a verified client certificate with a bcrypt user", async () => {
    const ok = await get(`${base}/-/healthy`, {
      ca: server.cert,
      client: allowed,
      auth: basic("prometheus", "prom-pw"),
    });
    expect(ok.status).toBe(200);
    expect(
      (
        await get(`${base}/discovery`, {
          ca: server.cert,
          client: allowed,
          auth: basic("prometheus", "prom-pw"),
        })
      ).status,
    ).toBe(200);
  });

  it("refuses a wrong password and a missing user with 401, on every endpoint but the health checks", async () => {
    for (const path of ["/health", "/-/healthy", "/ready", "/-/ready"]) {
      expect((await get(`${base}${path}`, { ca: server.cert, client: allowed })).status).not.toBe(401);
    }
    for (const path of ["/discovery", "/", "/promregatorMetrics"]) {
      expect((await get(`${base}${path}`, { ca: server.cert, client: allowed })).status).toBe(401);
      const wrong = await get(`${base}${path}`, {
        ca: server.cert,
        client: allowed,
        auth: basic("prometheus", "nope"),
      });
      expect(wrong.status).toBe(401);
    }
  });

  it("refuses a connection without a client certificate, or with one not signed by client_ca_file", async () => {
    const auth = basic("prometheus", "prom-pw");
    expect((await get(`${base}/-/healthy`, { ca: server.cert, auth })).status).toBeUndefined();
    expect(
      (await get(`${base}/-/healthy`, { ca: server.cert, client: stranger, auth })).status,
    ).toBeUndefined();
  });

  it("names the key of a broken file, and exits 2 before listening", async () => {
    const bad = dir.write("bad.yml", "basic_auth_users:\n  prometheus: plain-text-password\n");
    expect(() => loadWebConfig(bad)).toThrow(/basic_auth_users\.prometheus.*bcrypt hash/);
    const unknown = dir.write(
      "unknown.yml",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: Sometimes\n",
    );
    expect(() => loadWebConfig(unknown)).toThrow(/client_auth_type.*RequireAndVerifyClientCert/);
    const config = dir.write(
      "p.yml",
      "promregator:\n  simulation: {enabled: true}\n  targets: [{orgName: simorg}]\nserver: {port: 0}\n",
    );
    const run = await runCli(["--config", config, "--web.config.file", bad]);
    expect(run.code).toBe(2);
    // The fatal line, wherever an earlier asynchronous log write lands around it.
    const fatal = run.stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .find((entry) => entry.level === "fatal");
    expect(fatal?.msg).toMatch(/basic_auth_users\.prometheus/);
  });

  it("refuses what exporter-toolkit refuses: a client CA without a client auth type, header values outside its enumerations", () => {
    const caOnly = dir.write(
      "ca-only.yml",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: clients.crt\n",
    );
    expect(() => loadWebConfig(caOnly)).toThrow(
      /client_auth_type.*a client CA is set but client_auth_type is NoClientCert/,
    );
    const emptyType = dir.write(
      "ca-empty-type.yml",
      'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: clients.crt\n  client_auth_type: ""\n',
    );
    expect(() => loadWebConfig(emptyType)).toThrow(/NoClientCert/);
    for (const [name, value] of [
      ["X-Frame-Options", "DENY"],
      ["X-Content-Type-Options", "sniff"],
    ]) {
      const file = dir.write(
        `header-${name}.yml`,
        `http_server_config:\n  headers:\n    ${name}: ${value}\n`,
      );
      expect(() => loadWebConfig(file)).toThrow(new RegExp(`headers\\.${name}.*expects one of`));
    }
    const fine = dir.write(
      "headers-fine.yml",
      "http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n    X-Content-Type-Options: nosniff\n    Content-Security-Policy: \"default-src 'self'\"\n",
    );
    expect(loadWebConfig(fine).headers).toEqual({
      "x-frame-options": "sameorigin",
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'self'",
    });
  });

  it("accepts what exporter-toolkit accepts: RequireClientCert, and TLS keys without a certificate as plain HTTP", () => {
    const legacy = dir.write(
      "legacy.yml",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireClientCert\n",
    );
    expect(loadWebConfig(legacy).tls?.clientAuth).toBe("RequireAnyClientCert");
    const versionsOnly = dir.write("versions-only.yml", "tls_server_config:\n  min_version: TLS13\n");
    const plain = loadWebConfig(versionsOnly);
    expect(plain.tls).toBeUndefined();
    expect(plain.ignored).toEqual(["tls_server_config.min_version"]);
    // A certificate without its key still turns TLS on, and is refused.
    const certOnly = dir.write("cert-only.yml", "tls_server_config:\n  cert_file: server.crt\n");
    expect(() => loadWebConfig(certOnly)).toThrow(/both a certificate and a key/);
  });

  it("check-config refuses a web configuration the server would refuse", async () => {
    const bad = dir.write("bad-check.yml", "basic_auth_users:\n  prometheus: plain-text-password\n");
    const config = dir.write(
      "check.yml",
      "promregator:\n  simulation: {enabled: true}\n  targets: [{orgName: simorg}]\n",
    );
    const run = await runCli(["check-config", config, "--web.config.file", bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/basic_auth_users\.prometheus.*bcrypt hash/);
    const good = await runCli([
      "check-config",
      config,
      "--web.config.file",
      dir.write("ok.yml", "http_server_config:\n  http2: false\nrate_limit:\n  burst: 1\n"),
    ]);
    expect(good.code).toBe(0);
    // the warnings the server would print, and a word that the file was read
    expect(good.stderr).toContain("warning: web configuration: rate_limit has no effect here");
    expect(good.stderr).toContain("warning: web configuration: http_server_config.http2 has no effect here");
    expect(good.stderr).toMatch(/web configuration .*ok\.yml is valid/);
  });
});
