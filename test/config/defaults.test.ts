import { describe, expect, it } from "vitest";
import type { Config } from "../../src/config/types.js";
import { load, MINIMAL_CF } from "./helpers.js";

const EXPECTED_CF: Config["cf"] = {
  apiUrl: "https://api.example.com",
  api_host: "api.example.com",
  username: "user",
  password: "pw",
  skipSslValidation: false,
  cache: {
    timeout: {
      org: 3600,
      space: 3600,
      application: 300,
      domain: 3600,
      route: 300,
      process: 300,
      resolver: 300,
    },
    expiry: { org: 120, space: 120, application: 120, domain: 300, route: 120, process: 120 },
    aggregator: { blocksize: { route: 100, process: 100 }, checkinterval: { route: 125, process: 125 } },
  },
  request: {
    timeout: {
      org: 2500,
      space: 2500,
      appInSpace: 2500,
      domain: 2500,
      route: 2500,
      process: 2500,
      serviceBinding: 2500,
    },
    backoff: 500,
    rateLimit: 0,
    maxBodySize: 128 * 1024 * 1024,
  },
  watchdog: { enabled: false, timeout: 2500, rate: 60, initialDelay: 60 },
};

/** Written out by hand from the Java version's documented defaults, not derived from the code under test. */
const EXPECTED_DEFAULTS: Config = {
  cf: EXPECTED_CF,
  // The `cf:` block is the one foundation of a Java file, named "default".
  foundations: [{ name: "default", cf: EXPECTED_CF, defaultInternalRoutePort: 8080 }],
  promregator: {
    targets: [],
    targetAuthenticators: [],
    authentication: { basic: { username: "promregator" } },
    discovery: { port: 0, auth: "NONE", ownMetricsEndpoint: true },
    discoverer: { timeout: 600 },
    endpoint: { auth: "NONE" },
    scraping: {
      maxProcessingTime: 5000,
      connectionTimeout: 5000,
      socketReadTimeout: 5000,
      threads: 5,
      maxBodySize: 64 * 1024 * 1024,
      failureMode: "strict",
      maxConcurrent: 512,
    },
    metrics: { auth: "NONE", requestLatency: false, internal: false, labelNamePrefix: "" },
    cache: { invalidate: { auth: "NONE" } },
    defaultInternalRoutePort: 8080,
    simulation: { enabled: false, instances: 10 },
    serviceBindings: { credentials: "path" },
  },
  server: { port: 8080, address: "0.0.0.0" },
  logging: { level: "info", modules: {} },
  source: "promregator.yml",
};

describe("defaults", () => {
  it("fills every key with the Java default when only the CF connection is given", () => {
    const { config, warnings } = load(MINIMAL_CF);
    expect(config).toStrictEqual(EXPECTED_DEFAULTS);
    expect(warnings).toEqual([]);
  });

  it("needs no CF settings without requireCf, and leaves the optional keys unset", () => {
    const { config } = load("", { requireCf: false });
    expect(config.cf.apiUrl).toBe("");
    expect(config.cf.username).toBeUndefined();
    expect(config.cf.password).toBeUndefined();
    expect(config.cf.proxy).toBeUndefined();
    expect(config.promregator.authenticator).toBeUndefined();
    expect(config.promregator.scraping.proxy).toBeUndefined();
    expect(config.server.tls).toBeUndefined();
    expect(config.promregator.discovery.file).toBeUndefined();
  });

  it("needs no CF settings in simulation mode", () => {
    const { config } = load("promregator:\n  simulation:\n    enabled: true\n    instances: 2\n");
    expect(config.promregator.simulation).toEqual({ enabled: true, instances: 2 });
  });

  it("takes keys written in flat form at the top level like nested ones", () => {
    const { config } = load(
      `${MINIMAL_CF}promregator.scraping.maxProcessingTime: 3000\ncf.cache.timeout.org: 60\nserver.port: 9000\n`,
    );
    expect(config.promregator.scraping.maxProcessingTime).toBe(3000);
    expect(config.cf.cache.timeout.org).toBe(60);
    expect(config.server.port).toBe(9000);
  });

  it("accepts the Java boolean spellings and enum values in any case", () => {
    const yaml = `cf.api_host: api.example.com
cf.username: u
cf.password: p
promregator:
  discovery: { ownMetricsEndpoint: "off", auth: basic }
  metrics: { requestLatency: "yes", internal: "1", auth: Basic }
  endpoint: { auth: none }
  cache: { invalidate: { auth: BASIC } }
  scraping: { failureMode: COMPATIBLE, maxBodySize: 10MB }
cf:
  skipSslValidation: "on"
  watchdog: { enabled: "0" }
`;
    const { config } = load(yaml);
    expect(config.promregator.discovery.ownMetricsEndpoint).toBe(false);
    expect(config.promregator.discovery.auth).toBe("BASIC");
    expect(config.promregator.metrics).toMatchObject({ requestLatency: true, internal: true, auth: "BASIC" });
    expect(config.promregator.endpoint.auth).toBe("NONE");
    expect(config.promregator.cache.invalidate.auth).toBe("BASIC");
    expect(config.promregator.scraping.failureMode).toBe("compatible");
    expect(config.promregator.scraping.maxBodySize).toBe(10 * 1024 * 1024);
    expect(config.cf.skipSslValidation).toBe(true);
    expect(config.cf.watchdog.enabled).toBe(false);
  });

  it("keeps a numeric-looking password exactly as written", () => {
    const { config } = load("cf:\n  api_host: a.example.com\n  username: 0042\n  password: 012345\n");
    expect(config.cf.username).toBe("0042");
    expect(config.cf.password).toBe("012345");
  });

  it("maps logging levels: the Promregator logger wins over root", () => {
    const both = load(
      `${MINIMAL_CF}logging:\n  level:\n    root: ERROR\n    org.cloudfoundry.promregator: DEBUG\n`,
    );
    expect(both.config.logging.level).toBe("debug");
    const rootOnly = load(`${MINIMAL_CF}logging.level.root: WARN\n`);
    expect(rootOnly.config.logging.level).toBe("warn");
    const off = load(`${MINIMAL_CF}logging.level.org.cloudfoundry.promregator: "OFF"\n`);
    expect(off.config.logging.level).toBe("silent");
  });
});
