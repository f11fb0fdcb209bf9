import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/java-promregator.yml", import.meta.url));

describe("a realistic promregator.yml of the Java version", () => {
  const env = {
    CF_PASSWORD: "cf-secret",
    ENCRYPT_KEY: "someotherkey",
    PROMREGATOR_AUTHENTICATOR_OAUTH2XSUAABASIC_CLIENT_SECRET: "xsuaa-secret",
  };

  it("loads with the values it sets and the defaults for the rest", () => {
    const { config } = loadConfig({ file: FIXTURE, env });
    expect(config.source).toBe(FIXTURE);
    expect(config.cf).toMatchObject({
      apiUrl: "https://api.cf.eu10.example.com",
      username: "technical-user@example.com",
      password: "cf-secret",
      proxy: { host: "proxy.corp.example.com", port: 8080 },
      connectionPool: { size: 20 },
      cache: {
        timeout: { org: 7200, space: 7200, application: 600, domain: 3600, resolver: 600 },
        expiry: { application: 300, org: 120 },
        aggregator: { blocksize: { route: 50, process: 100 }, checkinterval: { route: 125, process: 200 } },
      },
      request: {
        timeout: { org: 4000, space: 4000, appInSpace: 5000, route: 2500 },
        backoff: 1000,
        rateLimit: 12.5,
      },
      watchdog: { enabled: true, restartCount: 3, timeout: 2500 },
    });
    const p = config.promregator;
    expect(p.discovery).toEqual({
      hostname: "promregator.internal.example.com",
      port: 443,
      auth: "BASIC",
      ownMetricsEndpoint: false,
    });
    expect(p.endpoint.auth).toBe("BASIC");
    expect(p.metrics).toEqual({
      auth: "NONE",
      requestLatency: true,
      internal: false,
      labelNamePrefix: "target_",
    });
    expect(p.authentication.basic).toEqual({ username: "prometheus", password: "myothersecret" });
    expect(p.scraping).toMatchObject({
      maxProcessingTime: 4000,
      connectionTimeout: 1500,
      socketReadTimeout: 3000,
      threads: 10,
    });
    expect(p.authenticator).toEqual({
      type: "OAuth2XSUAABasic",
      oauth2xsuaaBasic: {
        tokenServiceURL: "https://subaccount.authentication.eu10.example.com/oauth/token",
        client_id: "sb-promregator!t123",
        client_secret: "xsuaa-secret",
        scopes: "metrics.read, metrics.admin",
      },
    });
    expect(p.targetAuthenticators[0]).toEqual({
      id: "selfScrape",
      type: "basic",
      basic: { username: "prometheus", password: "myothersecret" },
    });
    expect(p.targetAuthenticators[1]).toMatchObject({
      id: "legacy-gateway",
      type: "OAuth2XSUAACertificate",
      oauth2xsuaaCertificate: {
        tokenServiceCertURL: "https://subaccount.authentication.cert.eu10.example.com/oauth/token",
        client_id: "sb-gateway!t77",
      },
    });
    expect(p.targetAuthenticators[1].oauth2xsuaaCertificate?.client_key).toContain("BEGIN PRIVATE KEY");
    expect(p.targets).toEqual([
      {
        orgName: "production",
        spaceName: "shop",
        applicationName: "checkout",
        path: "/metrics",
        protocol: "https",
        preferredRouteRegex: [],
        internalRoutePort: 0,
        kubernetesAnnotations: false,
      },
      {
        orgName: "production",
        spaceRegex: "team-.*",
        applicationRegex: "^(orders|billing)-v[0-9]+$",
        path: "/actuator/prometheus",
        protocol: "http",
        preferredRouteRegex: [".*\\.internal\\.example\\.com", ".*"],
        internalRoutePort: 0,
        kubernetesAnnotations: false,
      },
      {
        orgName: "monitoring",
        spaceName: "tools",
        applicationName: "promregator",
        path: "/promregatorMetrics",
        protocol: "https",
        authenticatorId: "selfScrape",
        preferredRouteRegex: [],
        internalRoutePort: 9090,
        kubernetesAnnotations: false,
      },
      {
        orgRegex: "sandbox-.*",
        path: "/metrics",
        protocol: "https",
        authenticatorId: "legacy-gateway",
        preferredRouteRegex: [],
        internalRoutePort: 0,
        kubernetesAnnotations: true,
        overrideRouteAndPath: "gateway.example.com/proxy/metrics",
      },
    ]);
    expect(config.server).toEqual({ port: 8080, address: "0.0.0.0" });
    expect(config.logging.level).toBe("warn");
  });

  it("warns about exactly the deprecated, JVM-only and ineffective keys it uses", () => {
    const { warnings } = loadConfig({ file: FIXTURE, env });
    const keys = warnings.map((w) => w.split(" ")[0]);
    expect(keys).toEqual([
      "cf.threadPool.size",
      "promregator.gc.rate",
      "promregator.workaround.dnscache.timeout",
      "server.tomcat.threads.max",
      "cf.request.timeout.app",
      "cf.cache.aggregator.blocksize.route",
      "cf.cache.aggregator.checkinterval.process",
      "promregator.scraping.threads",
      "cf.cache.type",
      "logging.level.reactor.Mono.OnAssembly",
    ]);
    for (const w of warnings)
      expect(w).toMatch(new RegExp(`\\(${FIXTURE.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+\\)`));
  });
});
