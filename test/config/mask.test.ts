import { describe, expect, it } from "vitest";
import { maskSecrets } from "../../src/config/index.js";
import { load, MINIMAL_CF } from "./helpers.js";

const SECRETS = [
  "cf-password-1",
  "cf-client-secret-2",
  "inbound-password-3",
  "global-basic-password-4",
  "target-basic-password-5",
  "oauth-client-secret-6",
  "PRIVATE-KEY-7",
];

const yaml = `cf:
  api_host: api.example.com
  username: user
  password: ${SECRETS[0]}
  client_id: cid
  client_secret: ${SECRETS[1]}
promregator:
  authentication.basic: { username: prom, password: ${SECRETS[2]} }
  authenticator:
    type: basic
    basic: { username: g, password: ${SECRETS[3]} }
  targetAuthenticators:
    - id: b
      type: basic
      basic: { username: t, password: ${SECRETS[4]} }
    - id: o
      type: OAuth2XSUAABasic
      oauth2xsuaaBasic:
        tokenServiceURL: https://uaa.example.com/oauth/token
        client_id: oid
        client_secret: ${SECRETS[5]}
    - id: c
      type: OAuth2XSUAACertificate
      oauth2xsuaaCertificate:
        tokenServiceCertURL: https://uaa.cert.example.com/oauth/token
        client_id: certid
        client_certificates: PUBLIC-CERT
        client_key: ${SECRETS[6]}
`;

describe("maskSecrets", () => {
  it("hides every secret and nothing else", () => {
    const { config } = load(yaml);
    const serialized = JSON.stringify(config);
    for (const secret of SECRETS) expect(serialized).toContain(secret);
    const masked = JSON.stringify(maskSecrets(config));
    for (const secret of SECRETS) expect(masked).not.toContain(secret);
    expect(masked.match(/"\*\*\*"/g)).toHaveLength(SECRETS.length);
    for (const visible of [
      "user",
      "cid",
      "prom",
      "oid",
      "certid",
      "PUBLIC-CERT",
      "https://uaa.example.com/oauth/token",
    ]) {
      expect(masked).toContain(`"${visible}"`);
    }
  });

  it("returns a copy and leaves the configuration intact", () => {
    const { config } = load(yaml);
    maskSecrets(config);
    expect(config.cf.password).toBe(SECRETS[0]);
  });

  it("leaves unset secrets unset instead of inventing a mask", () => {
    const { config } = load("", { requireCf: false });
    const masked = maskSecrets(config) as typeof config;
    expect(masked.cf.password).toBeUndefined();
    expect(JSON.stringify(masked)).not.toContain("***");
  });

  it("warns about a secret that is exactly the mask, as pasted from older check-config output", () => {
    const { warnings } = load(MINIMAL_CF.replace("password: pw", 'password: "***"'));
    expect(warnings).toEqual([
      'cf.password (promregator.yml:4) is "***", the mask check-config once printed for secrets; write the ' +
        `secret or a placeholder of the variable holding it (\${CF_PASSWORD})`,
    ]);
    expect(load(MINIMAL_CF.replace("username: user", 'username: "***"')).warnings).toEqual([]);
  });
});
