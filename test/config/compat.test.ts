import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { errorOf, load, MINIMAL_CF } from "./helpers.js";

describe("deprecated keys", () => {
  it("move to their new names with a warning", () => {
    const yaml = `${MINIMAL_CF}cf.proxyHost: proxy.example.com
cf.proxyPort: 3128
cf.request.timeout.app: 4000
promregator.endpoint:
  maxProcessingTime: 3000
  threads: 7
`;
    const { config, warnings } = load(yaml);
    expect(config.cf.proxy).toEqual({ host: "proxy.example.com", port: 3128 });
    expect(config.cf.request.timeout.appInSpace).toBe(4000);
    expect(config.promregator.scraping.maxProcessingTime).toBe(3000);
    expect(config.promregator.scraping.threads).toBe(7);
    expect(warnings).toEqual([
      "cf.proxyHost (promregator.yml:5) is deprecated; use cf.proxy.host (the Java version 1.x ignores it, but here Cloud Controller and UAA requests go through that proxy)",
      "cf.proxyPort (promregator.yml:6) is deprecated; use cf.proxy.port (the Java version 1.x ignores it, but here Cloud Controller and UAA requests go through that proxy)",
      "cf.request.timeout.app (promregator.yml:7) is deprecated; use cf.request.timeout.appInSpace (the Java version 1.x ignores it, but here it is used as cf.request.timeout.appInSpace)",
      "promregator.endpoint.maxProcessingTime (promregator.yml:9) is deprecated; use promregator.scraping.maxProcessingTime (the Java version 1.x ignores it, but here it is used as promregator.scraping.maxProcessingTime)",
      "promregator.endpoint.threads (promregator.yml:10) is deprecated; use promregator.scraping.threads (the Java version 1.x ignores it, but here it is used as promregator.scraping.threads)",
      "promregator.scraping.threads (promregator.yml:10) has no effect: scrapes are not bound to threads; promregator.scraping.maxConcurrent limits them",
    ]);
  });

  it("lose against their new names", () => {
    const yaml = `${MINIMAL_CF}cf.request.timeout.app: 4000\ncf.request.timeout.appInSpace: 1000\n`;
    const { config, warnings } = load(yaml);
    expect(config.cf.request.timeout.appInSpace).toBe(1000);
    expect(warnings).toEqual([
      "cf.request.timeout.app (promregator.yml:5) is deprecated and ignored because cf.request.timeout.appInSpace is set",
    ]);
  });
});

describe("keys of the Java version without meaning here", () => {
  it("are ignored with a warning that says why", () => {
    const yaml = `${MINIMAL_CF}cf.threadPool.size: 4
cf.cache.type: caffeine
promregator:
  gc.rate: 1200
  reactor.debug: true
  workaround.dnscache.timeout: 60
  internal.preCheckAPIVersion: false
server.tomcat.threads.max: 16
`;
    const { warnings } = load(yaml);
    expect(warnings).toEqual([
      "cf.threadPool.size (promregator.yml:5) is ignored: it tunes the Java virtual machine and has no counterpart here",
      "promregator.gc.rate (promregator.yml:8) is ignored: it tunes the Java virtual machine and has no counterpart here",
      "promregator.reactor.debug (promregator.yml:9) is ignored: it tunes the Java virtual machine and has no counterpart here",
      "promregator.workaround.dnscache.timeout (promregator.yml:10) is ignored: DNS answers are not cached forever here",
      "promregator.internal.preCheckAPIVersion (promregator.yml:11) is ignored: it had no effect in the Java version either",
      "server.tomcat.threads.max (promregator.yml:12) is ignored: it configured the Java web server",
      "cf.cache.type (promregator.yml:6) is ignored: there is only one cache type here",
    ]);
  });
});

describe("unknown keys", () => {
  it("under cf, promregator and server give a warning naming the key and line", () => {
    const yaml = `${MINIMAL_CF}cf.apiHostname: x
promregator:
  targets:
    - orgName: o
      appName: typo
server.contextPath: /p
`;
    const { warnings } = load(yaml);
    expect(warnings).toEqual([
      "cf.apiHostname (promregator.yml:5): unknown key, ignored",
      "promregator.targets[0].appName (promregator.yml:9): unknown key, ignored",
      "server.contextPath (promregator.yml:10): unknown key, ignored",
    ]);
  });

  it("in other trees (Spring, management, logging details) are ignored silently", () => {
    const yaml = `${MINIMAL_CF}spring.main.banner-mode: off
management.endpoints.web.exposure.include: health
info.app.version: 1.2.3
debug: false
trace: false
logging:
  pattern.console: "%m"
`;
    expect(load(yaml).warnings).toEqual([]);
  });
});

describe("relaxed names in object trees", () => {
  it("match keys ignoring case, dashes and underscores", () => {
    const yaml = `${MINIMAL_CF}promregator:
  targets:
    - org-name: o
      SPACE_NAME: s
      applicationname: a
      preferred-route-regex: "single.*"
      internal_route_port: 8081
      kubernetes-annotations: "yes"
  target-authenticators:
    - id: x
      type: OAUTH2XSUAABASIC
      oauth2xsuaabasic:
        tokenserviceurl: https://uaa.example.com/oauth/token
        client-id: the-client
        client-secret: the-secret
        scopes: [a, b]
`;
    const { config, warnings } = load(yaml);
    expect(warnings).toEqual([]);
    expect(config.promregator.targets).toEqual([
      {
        orgName: "o",
        spaceName: "s",
        applicationName: "a",
        path: "/metrics",
        protocol: "https",
        preferredRouteRegex: ["single.*"],
        internalRoutePort: 8081,
        kubernetesAnnotations: true,
      },
    ]);
    expect(config.promregator.targetAuthenticators).toEqual([
      {
        id: "x",
        type: "OAuth2XSUAABasic",
        oauth2xsuaaBasic: {
          tokenServiceURL: "https://uaa.example.com/oauth/token",
          client_id: "the-client",
          client_secret: "the-secret",
          scopes: "a,b",
        },
      },
    ]);
  });
});

describe("targets", () => {
  it("normalise the path to exactly one leading slash", () => {
    const yaml = `${MINIMAL_CF}promregator.targets:
  - path: metrics
  - path: //custom/path
  - path: /already
  - orgName: default-path
`;
    expect(load(yaml).config.promregator.targets.map((t) => t.path)).toEqual([
      "/metrics",
      "/custom/path",
      "/already",
      "/metrics",
    ]);
  });

  it("reject a scheme in overrideRouteAndPath", () => {
    const yaml = `${MINIMAL_CF}promregator.targets:\n  - overrideRouteAndPath: https://gw.example.com/m\n`;
    expect(errorOf(yaml)).toBe(
      "promregator.targets[0].overrideRouteAndPath (promregator.yml:6): must be host[/path] without a scheme (the scheme comes from protocol)",
    );
  });
});

describe("authenticators", () => {
  it("map none and null to none, and skip unknown types with a warning", () => {
    const yaml = `${MINIMAL_CF}promregator:
  authenticator:
    type: OAuth2XSUAA
  targetAuthenticators:
    - id: n
      type: "null"
    - id: old
      type: OAuth2XSUAA
  targets:
    - orgName: o
      authenticatorId: old
`;
    const { config, warnings } = load(yaml);
    expect(config.promregator.authenticator).toBeUndefined();
    // The skipped id still counts as existing: the target falls back to the global authenticator.
    expect(config.promregator.targetAuthenticators).toEqual([{ id: "n", type: "none" }]);
    expect(config.promregator.targets[0].authenticatorId).toBe("old");
    expect(warnings).toEqual([
      'promregator.authenticator has the unknown type "OAuth2XSUAA" (expected none, basic, OAuth2XSUAABasic or OAuth2XSUAACertificate); it is skipped, so targets are scraped without credentials',
      'promregator.targetAuthenticators[1] has the unknown type "OAuth2XSUAA" (expected none, basic, OAuth2XSUAABasic or OAuth2XSUAACertificate); it is skipped, so targets using it are scraped without credentials; write `type: none` to say so',
    ]);
  });

  it("use the last entry of an id given twice, as the Java version's map by id does", () => {
    const yaml = `${MINIMAL_CF}promregator:
  targetAuthenticators:
    - id: t1
      type: basic
      basic: {username: first, password: p1}
    - id: t1
      type: basic
      basic: {username: second, password: p2}
    - id: t2
      type: basic
      basic: {username: kept, password: p3}
    - id: t2
      type: OAuth2XSUAA
  targets:
    - orgName: o
      authenticatorId: t1
`;
    const { config, warnings } = load(yaml);
    const users = config.promregator.targetAuthenticators.map((a) => [a.id, a.basic?.username]);
    expect(users).toEqual([
      ["t1", "second"],
      ["t2", "kept"],
    ]);
    expect(warnings.filter((w) => w.includes('id "t1" is used twice'))).toEqual([
      'promregator.targetAuthenticators[1].id: id "t1" is used twice; this later entry is used, as in the Java version',
    ]);
    // Java puts only an entry it could build: an unknown type leaves the earlier one in place.
    expect(
      warnings.some((w) => w.includes('id "t2" is used twice; the earlier entry (this one is skipped)')),
    ).toBe(true);
  });
});

describe("cf.api_host", () => {
  const forms: [string, string][] = [
    ["api.example.com", "https://api.example.com"],
    ["api.example.com:8443", "https://api.example.com:8443"],
    ["http://127.0.0.1:4567/", "http://127.0.0.1:4567"],
    ["https://api.example.com", "https://api.example.com"],
  ];
  for (const [written, url] of forms) {
    it(`${written} becomes ${url}`, () => {
      const { config } = load(`cf:\n  api_host: "${written}"\n  username: u\n  password: p\n`);
      expect(config.cf.apiUrl).toBe(url);
      expect(config.cf.api_host).toBe(written);
    });
  }
});

describe("scraping timeouts", () => {
  it("are clamped to maxProcessingTime with a warning", () => {
    const yaml = `${MINIMAL_CF}promregator.scraping:
  maxProcessingTime: 2000
  connectionTimeout: 3000
  socketReadTimeout: 1000
`;
    const { config, warnings } = load(yaml);
    expect(config.promregator.scraping).toMatchObject({
      maxProcessingTime: 2000,
      connectionTimeout: 2000,
      socketReadTimeout: 1000,
    });
    expect(warnings).toEqual([
      "promregator.scraping.connectionTimeout (promregator.yml:7) (3000 ms) is larger than promregator.scraping.maxProcessingTime (2000 ms) and is reduced to it",
    ]);
  });
});

describe("Java keys without effect here", () => {
  it("are accepted and named in a warning", () => {
    const { warnings } = load(
      `${MINIMAL_CF}cf.cache.aggregator.blocksize.route: 50\npromregator: {scraping: {threads: 10}}\n`,
    );
    expect(
      warnings.some((w) => w.includes("cf.cache.aggregator.blocksize.route") && w.includes("no effect")),
    ).toBe(true);
    expect(warnings.some((w) => w.includes("promregator.scraping.threads") && w.includes("no effect"))).toBe(
      true,
    );
  });
});

describe("PORT from the platform", () => {
  it("sets server.port when neither the file nor SERVER_PORT does", () => {
    expect(loadConfig({ text: MINIMAL_CF, env: { PORT: "61234" } }).config.server.port).toBe(61234);
    expect(
      loadConfig({ text: `${MINIMAL_CF}server.port: 9000\n`, env: { PORT: "61234" } }).config.server.port,
    ).toBe(9000);
    expect(
      loadConfig({ text: MINIMAL_CF, env: { PORT: "61234", SERVER_PORT: "9001" } }).config.server.port,
    ).toBe(9001);
  });

  it("names PORT when its value is not a port", () => {
    expect(() => loadConfig({ text: MINIMAL_CF, env: { PORT: "http" } })).toThrow(/PORT/);
  });
});
