import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { errorOf, MINIMAL_CF } from "./helpers.js";

/** MINIMAL_CF has four lines, so the first line appended to it is line 5. */
const cases: { name: string; yaml: string; message: string }[] = [
  {
    name: "a number key with text",
    yaml: `${MINIMAL_CF}server:\n  port: abc\n`,
    message: 'server.port (promregator.yml:6): expected a whole number, got "abc"',
  },
  {
    name: "a port out of range",
    yaml: `${MINIMAL_CF}server.port: 70000\n`,
    message: 'server.port (promregator.yml:5): must be between 0 and 65535, got "70000"',
  },
  {
    name: "a boolean that is none",
    yaml: `${MINIMAL_CF}cf.skipSslValidation: maybe\n`,
    message:
      'cf.skipSslValidation (promregator.yml:5): expected a boolean (true/false, yes/no, on/off, 1/0), got "maybe"',
  },
  {
    name: "an unknown inbound auth mode",
    yaml: `${MINIMAL_CF}promregator.discovery.auth: DIGEST\n`,
    message: 'promregator.discovery.auth (promregator.yml:5): expected one of NONE, BASIC, got "DIGEST"',
  },
  {
    name: "an aggregator block size of 0",
    yaml: `${MINIMAL_CF}cf.cache.aggregator.blocksize.route: 0\n`,
    message:
      'cf.cache.aggregator.blocksize.route (promregator.yml:5): must be between 1 and 2147483647, got "0"',
  },
  {
    name: "a negative aggregator interval",
    yaml: `${MINIMAL_CF}cf.cache.aggregator.checkinterval.process: -5\n`,
    message:
      'cf.cache.aggregator.checkinterval.process (promregator.yml:5): must be between 1 and 2147483647, got "-5"',
  },
  {
    name: "the removed CLASSIC cache",
    yaml: `${MINIMAL_CF}cf.cache.type: CLASSIC\n`,
    message:
      'cf.cache.type (promregator.yml:5): only CAFFEINE is supported (the CLASSIC cache was removed in the Java version 1.0), got "CLASSIC"',
  },
  {
    name: "an API host with spaces",
    yaml: "cf:\n  api_host: api example.com\n  username: u\n  password: p\n",
    message:
      'cf.api_host (promregator.yml:2): must be a host name (api.cf.example.com), host:port or an http(s) URL without a path, got "api example.com"',
  },
  {
    name: "an API URL with a path",
    yaml: "cf:\n  api_host: https://api.example.com/v3\n  username: u\n  password: p\n",
    message:
      'cf.api_host (promregator.yml:2): must not contain a path, query or fragment, got "https://api.example.com/v3"',
  },
  {
    name: "an API URL with credentials, without echoing them",
    yaml: "cf:\n  api_host: https://admin:hunter2@api.example.com\n  username: u\n  password: p\n",
    message: "cf.api_host (promregator.yml:2): must not contain credentials; use cf.username/cf.password",
  },
  {
    name: "a missing API host",
    yaml: "cf:\n  username: u\n  password: p\n",
    message:
      "cf.api_host: is required: the host name of the Cloud Controller API, e.g. api.cf.example.com (or set CF_API_HOST)",
  },
  {
    name: "a user without password",
    yaml: "cf:\n  api_host: api.example.com\n  username: u\n",
    message: "cf.password: is required with cf.username (set it in the file or via CF_PASSWORD)",
  },
  {
    name: "no credentials at all",
    yaml: "cf:\n  api_host: api.example.com\n",
    message:
      "cf.username and cf.password (or cf.client_id and cf.client_secret) are required to log in to Cloud Foundry",
  },
  {
    name: "a proxy host without port",
    yaml: `${MINIMAL_CF}cf.proxy.host: proxy.example.com\n`,
    message: "cf.proxy.port (promregator.yml:5): is required when cf.proxy.host is set",
  },
  {
    name: "a proxy host with a scheme",
    yaml: `${MINIMAL_CF}promregator.scraping.proxy:\n  host: http://proxy\n  port: 3128\n`,
    message:
      'promregator.scraping.proxy.host (promregator.yml:6): must be a host name or IP address without a scheme, got "http://proxy"',
  },
  {
    name: "a target protocol in capitals",
    yaml: `${MINIMAL_CF}promregator:\n  targets:\n    - orgName: o\n    - orgName: p\n      protocol: HTTPS\n`,
    message:
      'promregator.targets[1].protocol (promregator.yml:9): must be exactly "http" or "https" (lower case), got "HTTPS"',
  },
  {
    name: "an invalid org regex in the third target",
    yaml: `${MINIMAL_CF}promregator:\n  targets:\n    - orgName: a\n    - orgName: b\n    - orgregex: "team-(a"\n`,
    message:
      "promregator.targets[2].orgRegex (promregator.yml:9): is not a valid Java regular expression: unclosed group opened at position 5",
  },
  {
    name: "a possessive quantifier",
    yaml: `${MINIMAL_CF}promregator:\n  targets:\n    - applicationRegex: "app-.*+"\n      spaceRegex: "(?<=x*+)y"\n`,
    message:
      "promregator.targets[0].spaceRegex (promregator.yml:8): uses a Java regex construct without an exact JavaScript equivalent: possessive quantifier *+ inside a lookbehind",
  },
  {
    name: "a Unicode block",
    yaml: `${MINIMAL_CF}promregator:\n  targets:\n    - spaceRegex: '\\p{InGreek}+'\n`,
    message:
      "promregator.targets[0].spaceRegex (promregator.yml:7): uses a Java regex construct without an exact JavaScript equivalent: the Unicode block \\p{InGreek} (JavaScript has no block property; use a range such as [\\u0370-\\u03FF])",
  },
  {
    name: "an invalid preferred route regex",
    yaml: `${MINIMAL_CF}promregator:\n  targets:\n    - orgName: o\n      preferredRouteRegex:\n        - ok\n        - "[a-"\n`,
    message:
      "promregator.targets[0].preferredRouteRegex[1] (promregator.yml:10): is not a valid Java regular expression: unclosed character class opened at position 0",
  },
  {
    name: "an authenticatorId naming no authenticator",
    yaml: `${MINIMAL_CF}promregator:
  targetAuthenticators:
    - id: one
      type: none
  targets:
    - orgName: o
      authenticatorId: two
`,
    message:
      'promregator.targets[0].authenticatorId (promregator.yml:11): At least one target refers to an authenticator which does not exist: no promregator.targetAuthenticators entry has the id "two" (known ids: "one")',
  },
  {
    name: "an OAuth2 authenticator without token URL",
    yaml: `${MINIMAL_CF}promregator:\n  authenticator:\n    type: oauth2xsuaabasic\n    oauth2xsuaabasic:\n      client_id: c\n      client_secret: s\n`,
    message:
      "promregator.authenticator.oauth2xsuaaBasic.tokenServiceURL: is required for this authenticator type",
  },
  {
    name: "a token URL that is no URL",
    yaml: `${MINIMAL_CF}promregator:\n  authenticator:\n    type: OAuth2XSUAABasic\n    oauth2xsuaaBasic:\n      tokenServiceURL: uaa.example.com\n      client_id: c\n      client_secret: s\n`,
    message:
      "promregator.authenticator.oauth2xsuaaBasic.tokenServiceURL (promregator.yml:9): must be an http(s) URL of the token endpoint (including /oauth/token)",
  },
  {
    name: "targets given as a plain value",
    yaml: `${MINIMAL_CF}promregator:\n  targets: all\n`,
    message: "promregator.targets (promregator.yml:6): must be a list, not a plain value",
  },
  {
    name: "a list where one value belongs",
    yaml: `${MINIMAL_CF}server:\n  port: [8080, 8081]\n`,
    message: "server.port (promregator.yml:6): expects a single value, not a list or mapping",
  },
  {
    name: "a TLS certificate without key",
    yaml: `${MINIMAL_CF}server.tls.cert: /nonexistent/cert.pem\n`,
    message:
      "server.tls.key (promregator.yml:5): is required when server.tls.cert is set (both are PEM file paths)",
  },
  {
    name: "a TLS file that does not exist",
    yaml: `${MINIMAL_CF}server.tls:\n  cert: /nonexistent/cert.pem\n  key: /nonexistent/key.pem\n`,
    message: "server.tls.cert (promregator.yml:6): file not found: /nonexistent/cert.pem",
  },
  {
    name: "an invalid logging level",
    yaml: `${MINIMAL_CF}logging.level.root: LOUD\n`,
    message:
      'logging.level.root (promregator.yml:5): expected one of trace, debug, info, warn, warning, error, fatal, off, got "LOUD"',
  },
  {
    // The parser notices the missing quote at the end of the file.
    name: "broken YAML",
    yaml: `${MINIMAL_CF}promregator:\n  targets:\n  - orgName: "unterminated\n`,
    message: 'promregator.yml:8: invalid YAML: Missing closing "quote',
  },
];

describe("fatal configuration problems", () => {
  for (const c of cases) {
    it(`report ${c.name} with key path and line`, () => {
      expect(errorOf(c.yaml)).toBe(c.message);
    });
  }

  it("are ConfigError instances that keep the key", () => {
    try {
      loadConfig({ text: `${MINIMAL_CF}server.port: x\n`, env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe("server.port");
    }
  });

  it("never quote a line of the file in a YAML error (it may hold a secret)", () => {
    const message = errorOf('cf:\n  password: "hunter2\n');
    expect(message).not.toContain("hunter2");
  });

  it("report a file that cannot be read", () => {
    expect(() => loadConfig({ file: "/nonexistent/promregator.yml", env: {} })).toThrow(
      "cannot read the configuration file /nonexistent/promregator.yml (ENOENT)",
    );
  });
});
