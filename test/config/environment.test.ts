import { describe, expect, it } from "vitest";
import { resolvePlaceholders } from "../../src/config/placeholders.js";
import { errorOf, load, MINIMAL_CF } from "./helpers.js";

describe("environment overrides", () => {
  it("override scalar keys of the file by their Spring names", () => {
    const { config } = load(`${MINIMAL_CF}server:\n  port: 8080\n`, {
      env: {
        CF_PASSWORD: "from-env",
        CF_API_HOST: "api.other.example.com",
        SERVER_PORT: "9090",
        PROMREGATOR_SCRAPING_MAXPROCESSINGTIME: "3000",
        CF_CACHE_TIMEOUT_ORG: "42",
        PROMREGATOR_DISCOVERY_OWNMETRICSENDPOINT: "false",
        LOGGING_LEVEL_ORG_CLOUDFOUNDRY_PROMREGATOR: "TRACE",
      },
    });
    expect(config.cf.password).toBe("from-env");
    expect(config.cf.apiUrl).toBe("https://api.other.example.com");
    expect(config.server.port).toBe(9090);
    expect(config.promregator.scraping.maxProcessingTime).toBe(3000);
    expect(config.cf.cache.timeout.org).toBe(42);
    expect(config.promregator.discovery.ownMetricsEndpoint).toBe(false);
    expect(config.logging.level).toBe("trace");
  });

  it("provides the mandatory CF settings without any file", () => {
    const { config } = load("", {
      env: { CF_API_HOST: "api.example.com", CF_CLIENT_ID: "promregator", CF_CLIENT_SECRET: "s3cret" },
    });
    expect(config.cf.client_id).toBe("promregator");
    expect(config.cf.client_secret).toBe("s3cret");
  });

  it("sets the global authenticator's secret with both documented spellings", () => {
    const yaml = `${MINIMAL_CF}promregator:
  authenticator:
    type: OAuth2XSUAABasic
    oauth2xsuaaBasic:
      tokenServiceURL: https://uaa.example.com/oauth/token
      client_id: cid
`;
    for (const name of [
      "PROMREGATOR_AUTHENTICATOR_OAUTH2XSUAABASIC_CLIENT_SECRET",
      "PROMREGATOR_AUTHENTICATOR_OAUTH2XSUAA_BASIC_CLIENT_SECRET",
    ]) {
      const { config } = load(yaml, { env: { [name]: "env-secret" } });
      expect(config.promregator.authenticator?.oauth2xsuaaBasic?.client_secret).toBe("env-secret");
    }
  });

  it("sets the certificate authenticator's key and basic passwords from the environment", () => {
    const yaml = `${MINIMAL_CF}promregator:
  authenticator:
    type: OAuth2XSUAACertificate
    oauth2xsuaaCertificate:
      tokenServiceCertURL: https://uaa.cert.example.com/oauth/token
      client_id: cid
      client_certificates: CERT
  targetAuthenticators:
    - id: b
      type: basic
      basic: { username: u }
`;
    const { config } = load(yaml, {
      env: {
        PROMREGATOR_AUTHENTICATOR_OAUTH2XSUAA_CERTIFICATE_CLIENT_KEY: "KEY",
        PROMREGATOR_TARGETAUTHENTICATORS_0_BASIC_PASSWORD: "bpw",
      },
    });
    expect(config.promregator.authenticator?.oauth2xsuaaCertificate?.client_key).toBe("KEY");
    expect(config.promregator.targetAuthenticators[0]).toEqual({
      id: "b",
      type: "basic",
      basic: { username: "u", password: "bpw" },
    });
  });

  it("override single fields of list entries and can add entries", () => {
    const yaml = `${MINIMAL_CF}promregator:
  targets:
    - orgName: a
      spaceName: s
      preferredRouteRegex: [x, y]
`;
    const { config } = load(yaml, {
      env: {
        PROMREGATOR_TARGETS_0_ORGNAME: "b",
        PROMREGATOR_TARGETS_0_PREFERREDROUTEREGEX_1: "z",
        PROMREGATOR_TARGETS_1_APPLICATIONNAME: "app",
        PROMREGATOR_TARGETS_1_PROTOCOL: "http",
      },
    });
    expect(config.promregator.targets).toHaveLength(2);
    expect(config.promregator.targets[0]).toMatchObject({
      orgName: "b",
      spaceName: "s",
      preferredRouteRegex: ["x", "z"],
    });
    expect(config.promregator.targets[1]).toMatchObject({
      applicationName: "app",
      protocol: "http",
      path: "/metrics",
    });
  });

  it("accepts a variable named like the property itself", () => {
    const { config } = load(MINIMAL_CF, { env: { "promregator.discovery.hostname": "prom.example.com" } });
    expect(config.promregator.discovery.hostname).toBe("prom.example.com");
  });

  it("ignores unrelated variables such as those Cloud Foundry sets for an app", () => {
    const { config, warnings } = load(MINIMAL_CF, {
      env: {
        CF_INSTANCE_INDEX: "0",
        CF_INSTANCE_GUID: "x",
        SERVER_SOFTWARE: "y",
        PROMREGATOR_CONFIG: "/x.yml",
      },
    });
    expect(config.cf.api_host).toBe("api.example.com");
    expect(warnings).toEqual([]);
  });

  it("reports a bad value with the variable's name", () => {
    expect(errorOf(MINIMAL_CF, { env: { SERVER_PORT: "abc" } })).toBe(
      'server.port (environment variable SERVER_PORT): expected a whole number, got "abc"',
    );
  });
});

describe("placeholders", () => {
  it("resolve from other properties of the file, from the environment, and from defaults", () => {
    const yaml = `cf:
  api_host: \${my.cf.host}
  username: \${cf.user:fallback-user}
  password: \${my.password.os.variable}
my:
  cf:
    host: api.placeholder.example.com
promregator:
  discovery:
    hostname: prom-\${HOSTNAME_SUFFIX:default}.example.com
`;
    const { config } = load(yaml, { env: { MY_PASSWORD_OS_VARIABLE: "env-pw" } });
    expect(config.cf.apiUrl).toBe("https://api.placeholder.example.com");
    expect(config.cf.username).toBe("fallback-user");
    expect(config.cf.password).toBe("env-pw");
    expect(config.promregator.discovery.hostname).toBe("prom-default.example.com");
  });

  it("prefer the environment over the file, as Spring does", () => {
    const yaml = `${MINIMAL_CF}shared:\n  name: from-file\npromregator.discovery.hostname: \${shared.name}\n`;
    const { config } = load(yaml, { env: { SHARED_NAME: "from-env" } });
    expect(config.promregator.discovery.hostname).toBe("from-env");
  });

  it("are fatal in scalar keys when unresolvable, naming the placeholder and the line", () => {
    expect(errorOf(`cf:\n  api_host: a.example.com\n  username: u\n  password: \${NO_SUCH_VAR}\n`)).toBe(
      `cf.password (promregator.yml:4): cannot resolve placeholder \${NO_SUCH_VAR}: no such property or environment variable, and no default`,
    );
  });

  it("stay literal inside targets and authenticators, with a warning", () => {
    const yaml = `${MINIMAL_CF}promregator:
  targets:
    - orgName: \${ORG_NOT_SET}
  authenticator:
    type: basic
    basic: { username: u, password: "\${BASIC_PW_NOT_SET}" }
`;
    const { config, warnings } = load(yaml);
    expect(config.promregator.targets[0].orgName).toBe(`\${ORG_NOT_SET}`);
    expect(config.promregator.authenticator?.basic?.password).toBe(`\${BASIC_PW_NOT_SET}`);
    expect(warnings).toContain(
      `promregator.targets[0].orgName: placeholder \${ORG_NOT_SET} cannot be resolved and is used as literal text (as the Java version does)`,
    );
  });

  it("are fatal when circular", () => {
    expect(errorOf(`${MINIMAL_CF}a: \${b}\nb: \${a}\npromregator.discovery.hostname: \${a}\n`)).toMatch(
      /^promregator\.discovery\.hostname \(promregator\.yml:7\): circular placeholder reference \$\{a\}$/,
    );
  });

  it("resolve nested placeholders and keep colons of the default", () => {
    const lookup = (name: string) => ({ inner: "outer", outer: "value", port: "8443" })[name];
    expect(resolvePlaceholders(`\${\${inner}}`, lookup).text).toBe("value");
    expect(resolvePlaceholders(`\${missing:http://h:\${port}/x}`, lookup).text).toBe("http://h:8443/x");
    expect(resolvePlaceholders(`a \${missing} b`, lookup)).toEqual({
      text: `a \${missing} b`,
      unresolved: ["missing"],
    });
    expect(resolvePlaceholders(`\${unterminated`, lookup).text).toBe(`\${unterminated`);
  });

  it("read a backslash before ${ or before the default's colon as an escape, as Spring Framework 6.2 does", () => {
    const lookup = (name: string) => ({ a: "A", "a:b": "colon-key" })[name];
    expect(resolvePlaceholders(`\\\${a}`, lookup)).toEqual({ text: `\${a}`, unresolved: [] });
    expect(resolvePlaceholders(`x\\\${a} and \${a}`, lookup).text).toBe(`x\${a} and A`);
    expect(resolvePlaceholders(`\${a\\:b}`, lookup).text).toBe("colon-key");
    expect(resolvePlaceholders(`\${missing\\:b:fallback}`, lookup).text).toBe("fallback");
    // unterminated: kept as written, backslash included
    expect(resolvePlaceholders(`\\\${a`, lookup).text).toBe(`\\\${a`);
    const { config, warnings } = load(
      `${MINIMAL_CF}promregator:\n  targets:\n    - orgName: "\\\\\${literal}"\n`,
    );
    expect(config.promregator.targets[0].orgName).toBe(`\${literal}`);
    expect(warnings.filter((w) => w.includes("placeholder"))).toEqual([]);
  });
});
