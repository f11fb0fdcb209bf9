import { describe, expect, it } from "vitest";
import { foundationsWithoutTargets, maskSecrets } from "../../src/config/index.js";
import { errorOf, load, MINIMAL_CF } from "./helpers.js";

/** MINIMAL_CF (4 lines) plus a second foundation on lines 5-9 and two targets. */
const TWO = `${MINIMAL_CF}foundations:
  - name: us
    api_host: api.us.example.com
    client_id: us-client
    client_secret: us-secret
promregator:
  targets:
    - orgName: eu-org
    - orgName: us-org
      foundation: us
`;

describe("foundations", () => {
  it("makes the cf block the one foundation of a file without foundations, named default", () => {
    const { config, warnings } = load(`${MINIMAL_CF}promregator.targets[0].orgName: o\n`);
    expect(config.foundations).toHaveLength(1);
    expect(config.foundations[0]).toEqual({ name: "default", cf: config.cf, defaultInternalRoutePort: 8080 });
    expect(config.foundations[0].cf).toBe(config.cf);
    expect(config.promregator.targets[0].foundation).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("reads a list of named foundations with the keys of cf, and the target's foundation", () => {
    const { config, warnings } = load(TWO);
    expect(warnings).toEqual([]);
    expect(config.foundations.map((f) => f.name)).toEqual(["default", "us"]);
    const us = config.foundations[1].cf;
    expect(us.apiUrl).toBe("https://api.us.example.com");
    expect(us.client_id).toBe("us-client");
    expect(us.client_secret).toBe("us-secret");
    expect(us.username).toBeUndefined();
    expect(config.promregator.targets.map((t) => t.foundation)).toEqual([undefined, "us"]);
  });

  it("gives a key that a foundation leaves unset the table's default, not the cf block's value", () => {
    const { config } = load(
      TWO.replace("  password: pw\n", "  password: pw\n  request.rateLimit: 5\n  cache.timeout.org: 60\n"),
    );
    expect(config.cf.request.rateLimit).toBe(5);
    expect(config.cf.cache.timeout.org).toBe(60);
    expect(config.foundations[1].cf.request.rateLimit).toBe(0);
    expect(config.foundations[1].cf.cache.timeout.org).toBe(3600);
  });

  it("reads every nested cf key of a foundation: timeouts, rate limit, proxy, TLS, watchdog", () => {
    const { config } = load(`${TWO}foundations[0]:
  request: { rateLimit: 2.5, timeout: { org: 900 }, backoff: 50 }
  proxy: { host: proxy.us.example.com, port: 3128 }
  skipSslValidation: true
  cache.timeout.resolver: 30
  watchdog: { enabled: true, rate: 30 }
`);
    const us = config.foundations[1].cf;
    expect(us.request).toMatchObject({ rateLimit: 2.5, backoff: 50, timeout: { org: 900, space: 2500 } });
    expect(us.proxy).toEqual({ host: "proxy.us.example.com", port: 3128 });
    expect(us.skipSslValidation).toBe(true);
    expect(us.cache.timeout.resolver).toBe(30);
    expect(us.watchdog).toMatchObject({ enabled: true, rate: 30 });
    expect(config.cf.proxy).toBeUndefined();
  });

  it("takes scraping.proxy and defaultInternalRoutePort per foundation, else the promregator ones", () => {
    const base = `${TWO}  scraping.proxy: { host: proxy.eu.example.com, port: 8888 }\n  defaultInternalRoutePort: 9090\n`;
    const inherited = load(base).config;
    expect(inherited.foundations.map((f) => f.scrapingProxy)).toEqual([
      { host: "proxy.eu.example.com", port: 8888 },
      { host: "proxy.eu.example.com", port: 8888 },
    ]);
    expect(inherited.foundations.map((f) => f.defaultInternalRoutePort)).toEqual([9090, 9090]);
    const own = load(
      `${base}foundations[0]:\n  scraping.proxy: { host: proxy.us.example.com, port: 3128 }\n  defaultInternalRoutePort: 8443\n`,
    ).config;
    expect(own.foundations[1].scrapingProxy).toEqual({ host: "proxy.us.example.com", port: 3128 });
    expect(own.foundations[1].defaultInternalRoutePort).toBe(8443);
    expect(own.foundations[0].scrapingProxy).toEqual({ host: "proxy.eu.example.com", port: 8888 });
  });

  it("names the default foundation with cf.name", () => {
    const { config } = load(TWO.replace("  password: pw\n", "  password: pw\n  name: eu\n"));
    expect(config.foundations.map((f) => f.name)).toEqual(["eu", "us"]);
  });

  it("takes foundation keys from the environment and resolves placeholders in them", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Spring placeholder in the configuration text
    const { config } = load(TWO.replace("us-secret", "${US_SECRET}"), {
      env: {
        US_SECRET: "from-env",
        FOUNDATIONS_0_REQUEST_RATELIMIT: "7",
        FOUNDATIONS_0_API_HOST: "api.us2.example.com",
      },
    });
    expect(config.foundations[1].cf.client_secret).toBe("from-env");
    expect(config.foundations[1].cf.request.rateLimit).toBe(7);
    expect(config.foundations[1].cf.apiUrl).toBe("https://api.us2.example.com");
  });

  it("configures a foundation from the environment alone", () => {
    const { config } = load(MINIMAL_CF, {
      env: {
        FOUNDATIONS_0_NAME: "ap",
        FOUNDATIONS_0_API_HOST: "api.ap.example.com",
        FOUNDATIONS_0_USERNAME: "u",
        FOUNDATIONS_0_PASSWORD: "p",
        PROMREGATOR_TARGETS_0_FOUNDATION: "ap",
      },
    });
    expect(config.foundations[1]).toMatchObject({ name: "ap", cf: { apiUrl: "https://api.ap.example.com" } });
    expect(config.promregator.targets[0].foundation).toBe("ap");
  });

  it("warns about an unknown key of a foundation", () => {
    const { warnings } = load(`${TWO}foundations[0].apiHostname: x\n`);
    expect(warnings).toEqual(["foundations[0].apiHostname (promregator.yml:15): unknown key, ignored"]);
  });

  it("masks a foundation's secrets and prints the default connection once", () => {
    const masked = maskSecrets(load(TWO).config) as { foundations: Record<string, unknown>[] };
    const text = JSON.stringify(masked);
    expect(text).not.toContain("us-secret");
    expect(text).not.toContain('"pw"');
    expect(masked.foundations[0]).toEqual({ name: "default", defaultInternalRoutePort: 8080 });
    expect(masked.foundations[1]).toMatchObject({ name: "us", cf: { client_secret: "***" } });
  });
});

describe("foundation errors", () => {
  it("refuses a target that names an unknown foundation, naming both", () => {
    expect(errorOf(TWO.replace("foundation: us", "foundation: asia"))).toBe(
      'promregator.targets[1].foundation (promregator.yml:14): names the foundation "asia", which is not configured ' +
        '(known foundations: "default", "us"; cf.name names the `cf:` block, `name` each item of `foundations`)',
    );
  });

  it("warns about each foundation that no target names, also the default one", () => {
    expect(foundationsWithoutTargets(load(TWO).config)).toEqual([]);
    const usOnly = load(TWO.replace("    - orgName: eu-org\n", "")).config;
    expect(foundationsWithoutTargets(usOnly)).toEqual([
      'cf.name "default": no target names this foundation, so it is not contacted and nothing is discovered there; ' +
        "a target without `foundation` belongs to it (the `cf:` block is required even when unused)",
    ]);
    const euOnly = load(TWO.replace("      foundation: us\n", "")).config;
    expect(foundationsWithoutTargets(euOnly)).toEqual([
      'foundations[0] "us": no target names this foundation, so it is not contacted and nothing is discovered there; give a target ' +
        "`foundation: us`, or remove the foundation",
    ]);
    expect(
      foundationsWithoutTargets(load(`${MINIMAL_CF}promregator.targets[0].orgName: o\n`).config),
    ).toEqual([]);
  });

  it("names the line of a foundation without a name", () => {
    expect(errorOf(TWO.replace("  - name: us\n    api_host", "  - api_host"))).toMatch(
      /^foundations\[0\]\.name \(promregator\.yml:6\): is required/,
    );
  });

  it("names the environment variables that alone make up a foundation, so that a leftover can be unset", () => {
    const env = { FOUNDATIONS_1_PASSWORD: "y", FOUNDATIONS_1_USERNAME: "u" };
    expect(errorOf(TWO, { env })).toBe(
      "foundations[1].name: is required: this foundation exists only because of the environment variables " +
        "FOUNDATIONS_1_PASSWORD, FOUNDATIONS_1_USERNAME, and no foundation of the file has this index; unset them " +
        "if they are left over, or give the foundation a name (foundations[1].name, or FOUNDATIONS_1_NAME)",
    );
    expect(
      errorOf(`${MINIMAL_CF}promregator.targets[0].orgName: o\n`, { env: { FOUNDATIONS_0_PASSWORD: "y" } }),
    ).toMatch(
      /^foundations\[0\]\.name: is required: this foundation exists only because of the environment variable FOUNDATIONS_0_PASSWORD, .*unset FOUNDATIONS_0_PASSWORD if it is left over/,
    );
  });

  it("refuses two foundations of one name, also the default's", () => {
    expect(errorOf(TWO.replace("- name: us", "- name: default"))).toBe(
      'foundations[0].name (promregator.yml:6): names the foundation "default", which cf.name names already; each foundation needs its own name',
    );
    const third = TWO.replace(
      "promregator:",
      "  - { name: us, api_host: api.x.example.com, username: u, password: p }\npromregator:",
    );
    expect(errorOf(third)).toBe(
      'foundations[1].name (promregator.yml:10): names the foundation "us", which foundations[0].name names already; each foundation needs its own name',
    );
  });

  it("refuses a name that is not a tame label value", () => {
    expect(errorOf(TWO.replace("- name: us", '- name: "us east"'))).toMatch(
      /^foundations\[0\]\.name \(promregator\.yml:6\): must be 1 to 63 letters/,
    );
  });

  it("names the foundation's key and variable when its API host is missing", () => {
    expect(errorOf(TWO.replace("    api_host: api.us.example.com\n", ""))).toBe(
      "foundations[0].api_host: is required: the host name of the Cloud Controller API, e.g. api.cf.example.com (or set FOUNDATIONS_0_API_HOST)",
    );
  });

  it("names the foundation's keys when its credentials are incomplete", () => {
    expect(errorOf(TWO.replace("    client_secret: us-secret\n", ""))).toMatch(
      /^foundations\[0\]\.client_secret \(promregator\.yml:8\): is required with foundations\[0\]\.client_id \(set it in the file or via FOUNDATIONS_0_CLIENT_SECRET\)/,
    );
  });

  it("names the foundation's key and line for a bad value", () => {
    expect(errorOf(`${TWO}foundations[0].request.rateLimit: fast\n`)).toMatch(
      /^foundations\[0\]\.request\.rateLimit \(promregator\.yml:15\): /,
    );
    expect(errorOf(`${TWO}foundations[0].scraping.proxy.host: proxy.example.com\n`)).toBe(
      "foundations[0].scraping.proxy.port (promregator.yml:15): is required when foundations[0].scraping.proxy.host is set",
    );
  });
});

describe("foundations with simulation mode", () => {
  it("are refused, naming the foundation and where simulation was switched on, instead of being simulated", () => {
    const text = TWO.replace("promregator:\n", "promregator:\n  simulation:\n    enabled: true\n");
    expect(errorOf(text)).toMatch(
      /^foundations\[0\] \(promregator\.yml:6\): cannot be used with promregator\.simulation\.enabled \(promregator\.yml:12\): simulation mode replaces every Cloud Controller/,
    );
    expect(errorOf(TWO, { env: { PROMREGATOR_SIMULATION_ENABLED: "true" } })).toContain(
      "cannot be used with promregator.simulation.enabled (environment variable PROMREGATOR_SIMULATION_ENABLED)",
    );
  });

  it("leave the cf block alone, as in the Java version: one foundation is simulated", () => {
    const { config } = load(
      `${MINIMAL_CF}promregator:\n  simulation:\n    enabled: true\n  targets:\n    - orgName: simorg\n`,
    );
    expect(config.foundations.map((f) => f.name)).toEqual(["default"]);
    expect(config.promregator.simulation.enabled).toBe(true);
  });
});

describe("foundations merged from several sources", () => {
  const FILE = `${MINIMAL_CF}foundations:
  - name: us
    api_host: api.us.example.com
    client_id: cli-us
    client_secret: SECRET-US
    scraping.proxy: { host: proxy.us.example.com, port: 3128 }
`;

  it("refuses a foundation that an environment variable renames, naming both sources", () => {
    const message = errorOf(FILE, {
      env: { FOUNDATIONS_0_NAME: "ap", FOUNDATIONS_0_API_HOST: "api.ap.example.com" },
    });
    expect(message).toContain("foundations[0].name (environment variable FOUNDATIONS_0_NAME)");
    expect(message).toContain('renames the foundation "us" of promregator.yml:6 to "ap"');
    expect(message).not.toContain("SECRET-US");
  });

  it("refuses a foundation that SPRING_APPLICATION_JSON renames", () => {
    const json = JSON.stringify({
      foundations: [{ name: "ap", api_host: "api.ap.example.com", username: "x", password: "y" }],
    });
    const message = errorOf(FILE, { env: { SPRING_APPLICATION_JSON: json } });
    expect(message).toContain("environment variable SPRING_APPLICATION_JSON");
    expect(message).toContain('renames the foundation "us" of promregator.yml:6 to "ap"');
  });

  it("keeps overriding single fields of a foundation, and repeating its name, in another source", () => {
    const { config } = load(FILE, {
      env: { FOUNDATIONS_0_NAME: "us", FOUNDATIONS_0_CLIENT_SECRET: "other" },
    });
    expect(config.foundations[1]).toMatchObject({
      name: "us",
      cf: { client_id: "cli-us", client_secret: "other" },
    });
  });

  it("warns when a login has both a user and a client, saying the client is used", () => {
    const { warnings } = load(
      FILE.replace("    client_id:", "    username: u\n    password: p\n    client_id:"),
    );
    expect(warnings.join("\n")).toContain(
      "foundations[0].client_id (promregator.yml:10) and foundations[0].username (promregator.yml:8) are both set: the login uses the client",
    );
    const cf = load(
      `${MINIMAL_CF.replace("  password: pw\n", "  password: pw\n  client_id: c\n  client_secret: s\n")}`,
    );
    expect(cf.warnings.join("\n")).toContain(
      "cf.client_id (promregator.yml:5) and cf.username (promregator.yml:3) are both set",
    );
  });
});

describe("the watchdog of several foundations", () => {
  it("refuses restartCount in a foundation's watchdog, which would end every foundation's serving", () => {
    const message = errorOf(`${TWO}foundations[0].watchdog: { enabled: true, restartCount: 3 }\n`);
    expect(message).toContain("foundations[0].watchdog.restartCount (promregator.yml:15)");
    expect(message).toContain('the watchdog of "us" would exit the whole process (code 161)');
  });

  it("refuses restartCount in the cf block's watchdog beside other foundations", () => {
    const message = errorOf(`${TWO}cf.watchdog: { enabled: true, restartCount: 3 }\n`);
    expect(message).toContain("cf.watchdog.restartCount (promregator.yml:15)");
    expect(message).toContain("cannot be used with several foundations");
  });

  it("keeps a watchdog that only probes, and restartCount with one foundation", () => {
    expect(
      load(`${TWO}foundations[0].watchdog.enabled: true\n`).config.foundations[1].cf.watchdog.enabled,
    ).toBe(true);
    const one = load(`${MINIMAL_CF}cf.watchdog: { enabled: true, restartCount: 3 }\n`).config;
    expect(one.cf.watchdog.restartCount).toBe(3);
  });
});

describe("a mapping where a list of items belongs", () => {
  it("refuses foundations written as one mapping, with file and line", () => {
    const message = errorOf(`${MINIMAL_CF}foundations:\n  name: us\n  api_host: api.us.example.com\n`);
    expect(message).toContain(
      "foundations (promregator.yml:6): must be a list, not a mapping (found `name` under it)",
    );
  });

  it("refuses foundations written as a mapping by name, and targets written as a mapping", () => {
    expect(errorOf(`${MINIMAL_CF}foundations:\n  us:\n    api_host: api.us.example.com\n`)).toContain(
      "foundations (promregator.yml:7): must be a list, not a mapping",
    );
    expect(errorOf(`${MINIMAL_CF}promregator:\n  targets:\n    orgName: o\n`)).toContain(
      "promregator.targets (promregator.yml:7): must be a list, not a mapping",
    );
  });

  it("refuses the mapping in SPRING_APPLICATION_JSON too", () => {
    const json = JSON.stringify({ foundations: { name: "us", api_host: "api.us.example.com" } });
    expect(errorOf(MINIMAL_CF, { env: { SPRING_APPLICATION_JSON: json } })).toContain(
      "foundations (environment variable SPRING_APPLICATION_JSON): must be a list, not a mapping",
    );
  });
});

describe("credentials in host values", () => {
  const SECRET = "SECRET-PX";
  const cases: [string, string][] = [
    ["cf.proxy.host", `${MINIMAL_CF}cf.proxy: { host: "admin:${SECRET}@127.0.0.1", port: 3128 }\n`],
    [
      "foundations[0].proxy.host",
      `${TWO}foundations[0].proxy: { host: "admin:${SECRET}@127.0.0.1", port: 3128 }\n`,
    ],
    [
      "foundations[0].scraping.proxy.host",
      `${TWO}foundations[0].scraping.proxy: { host: "admin:${SECRET}@127.0.0.1", port: 3128 }\n`,
    ],
    [
      "promregator.scraping.proxy.host",
      `${MINIMAL_CF}promregator.scraping.proxy: { host: "a:${SECRET}@h", port: 1 }\n`,
    ],
    ["cf.api_host", MINIMAL_CF.replace("api.example.com", `admin:${SECRET}@api.example.com/path`)],
    ["foundations[0].api_host", TWO.replace("api.us.example.com", `admin:${SECRET}@api.us.example.com`)],
    ["foundations[0].name", TWO.replace("- name: us", `- name: "admin:${SECRET}@us"`)],
  ];
  it.each(cases)("are never quoted in the error about %s", (key, text) => {
    const message = errorOf(text);
    expect(message).toContain(key);
    expect(message).not.toContain(SECRET);
  });
});

describe("foundation names and hosts that collide", () => {
  it("refuses names that differ only in case, naming both spellings", () => {
    const message = errorOf(
      `${MINIMAL_CF}  name: eu\nfoundations:\n  - name: EU\n    api_host: api.us.example.com\n    username: u\n    password: p\n`,
    );
    expect(message).toContain(
      'foundations[0].name (promregator.yml:7): names the foundation "EU", which cf.name names already as "eu"',
    );
  });

  it("matches a target's foundation to a name without regard to case, as names are told apart, and keeps the configured spelling", () => {
    const { config, warnings } = load(TWO.replace("foundation: us", "foundation: US"));
    expect(warnings).toEqual([]);
    // The spelling of the foundation's own name: labels, log lines and the per-foundation discovery match it.
    expect(config.promregator.targets.map((t) => t.foundation)).toEqual([undefined, "us"]);
    expect(foundationsWithoutTargets(config)).toEqual([]);
    const named = load(
      `${MINIMAL_CF}  name: EU\npromregator:\n  targets:\n    - orgName: o\n      foundation: eu\n`,
    ).config;
    expect(named.promregator.targets[0].foundation).toBe("EU");
  });

  it("warns when two foundations share one api_host", () => {
    const { warnings } = load(TWO.replace("api.us.example.com", "API.example.com"));
    expect(warnings.join("\n")).toContain(
      'foundations[0].api_host of "us" is the Cloud Controller of "default" (cf.api_host) too',
    );
    expect(load(TWO).warnings).toEqual([]);
  });
});

describe("empty values of keys the Java version did not have", () => {
  const FILE = `${MINIMAL_CF}promregator:\n  serviceBindings:\n    credentials: ignore\n`;

  it.each([
    ['""', `${MINIMAL_CF}promregator.serviceBindings.credentials: ""\n`],
    ["~", `${MINIMAL_CF}promregator.serviceBindings.credentials: ~\n`],
  ])("refuses serviceBindings.credentials: %s instead of taking the default", (_, text) => {
    expect(errorOf(text)).toContain(
      "promregator.serviceBindings.credentials (promregator.yml:5): is empty: remove the key for the default (path)",
    );
  });

  it("refuses an empty environment variable that would override the file's value with the default", () => {
    expect(errorOf(FILE, { env: { PROMREGATOR_SERVICEBINDINGS_CREDENTIALS: "" } })).toContain(
      "promregator.serviceBindings.credentials (environment variable PROMREGATOR_SERVICEBINDINGS_CREDENTIALS): is empty",
    );
    expect(load(FILE).config.promregator.serviceBindings.credentials).toBe("ignore");
  });

  it("refuses an empty key of a foundations[] entry, and keeps Java's keys empty-means-unset", () => {
    expect(errorOf(`${TWO}foundations[0].request.timeout.org: ""\n`)).toContain(
      "foundations[0].request.timeout.org (promregator.yml:15): is empty: remove the key for the default (2500)",
    );
    expect(errorOf(`${TWO}foundations[0].scraping.proxy.host: ""\n`)).toContain(
      "foundations[0].scraping.proxy.host (promregator.yml:15): is empty: remove the key for unset",
    );
    expect(load(`${MINIMAL_CF}cf.request.timeout.org: ""\n`).config.cf.request.timeout.org).toBe(2500);
  });
});
