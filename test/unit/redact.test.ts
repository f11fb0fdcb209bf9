import { describe, expect, it } from "vitest";
import { excerpt, KnownSecrets, REDACTED, redactSecrets } from "../../src/redact.js";

// JWT-shaped, like a UAA access token (header {"alg":"HS256"}); made up for the test.
const JWT =
  "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX25hbWUiOiJ0ZXN0ZXIiLCJzY29wZSI6WyJjbG91ZF9jb250cm9sbGVyLnJlYWQiXX0.c2lnbmF0dXJlLWJ5dGVz";
const OPAQUE = "5f1c0a9e6b7d4c3aa1b2c3d4e5f60718";

describe("redactSecrets", () => {
  const cases: [string, string, string[]][] = [
    ["echoed header", `502 Bad Gateway authorization: bearer ${OPAQUE}`, [OPAQUE]],
    ["echoed header, JWT", `<pre>Authorization: Bearer ${JWT}</pre>`, [JWT, "eyJ"]],
    ["header in JSON", `{"headers":{"Authorization":"bearer ${OPAQUE}"}}`, [OPAQUE]],
    ["proxy header", `Proxy-Authorization: Basic dXNlcjpwYXNzd29yZA==`, ["dXNlcjpwYXNzd29yZA"]],
    ["bearer in prose", `the token bearer ${OPAQUE} was refused`, [OPAQUE]],
    ["bare JWT", `token ${JWT} expired`, [JWT, "eyJ"]],
    ["JSON access_token", `{"access_token":"${OPAQUE}","token_type":"bearer"}`, [OPAQUE]],
    ["JSON refresh_token with escapes", `{"refresh_token" : "a\\"b${OPAQUE}"}`, [OPAQUE]],
    ["form body", `grant_type=password&username=u&password=S3cr%26t&client_id=cf`, ["S3cr"]],
    ["form client secret", `client_id=x&client_secret=hunter22hunter`, ["hunter22hunter"]],
    ["header-like password", `X-Password: pw-header-1\npassword: pw-yaml-2`, ["pw-yaml-2"]],
    ["env-like name", `CF_PASSWORD=wrong-password-3`, ["wrong-password-3"]],
    ["single-quoted", `{'client_secret': 'q-secret-4'}`, ["q-secret-4"]],
  ];
  it.each(cases)("%s", (_name, input, leaks) => {
    const out = redactSecrets(input);
    for (const leak of leaks) expect(out).not.toContain(leak);
    expect(out).toContain(REDACTED);
  });

  it("keeps the names and the rest of the text readable", () => {
    expect(redactSecrets(`{"error":"unauthorized","access_token":"${OPAQUE}"}`)).toBe(
      `{"error":"unauthorized","access_token":"${REDACTED}"}`,
    );
    expect(redactSecrets(`x=1&password=abc&y=2`)).toBe(`x=1&password=${REDACTED}&y=2`);
  });

  it("leaves ordinary error texts alone", () => {
    for (const text of [
      '{"error":"unauthorized","error_description":"Bad credentials"}',
      'Basic realm="UAA/client", error="unauthorized"',
      'WWW-Authenticate: Bearer realm="cf", error="invalid_token"',
      "CF-ResourceNotFound (10010): Organization not found",
      '{"token_type":"bearer","expires_in":599}',
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });

  it("replaces known secrets anywhere", () => {
    expect(redactSecrets("user tester with pw-known-9 failed", ["pw-known-9"])).not.toContain("pw-known-9");
  });
});

describe("excerpt", () => {
  it("is one short line with secrets gone", () => {
    const page = `<html>\n<body>\n<h1>502</h1>\n<pre>GET /v3/organizations\nauthorization: bearer ${JWT}\n</pre></body></html>`;
    const line = excerpt(page, 500);
    expect(line).not.toContain("\n");
    expect(line).not.toContain("eyJ");
    expect(line).toContain("authorization: [redacted]");
  });

  it("cuts to the limit and never leaves half a token behind", () => {
    const body = `${"x ".repeat(30)}bearer ${OPAQUE}${OPAQUE}`;
    const line = excerpt(body, 70);
    expect(line.length).toBeLessThanOrEqual(73);
    expect(line).not.toMatch(/5f1c0a/);
    // A token cut by the scanned window is dropped too.
    const long = `${"y".repeat(4200)} ${JWT}`;
    expect(excerpt(long, 1)).not.toContain("eyJ");
  });
});

describe("KnownSecrets: the secrets the process holds, in the encodings they travel in", () => {
  const PASSWORD = "S3cr3t-Pa55w0rd!";
  const known = new KnownSecrets();
  known.hold("credentials", [PASSWORD, 'a+b c/é"x']);

  it.each([
    ["plain", `refused ${PASSWORD} for alice`],
    ["form-encoded, as in a UAA body", "refused S3cr3t-Pa55w0rd%21 for alice"],
    ["percent-encoded with lower-case hex", "refused a%2bb%20c%2f%c3%a9%22x for alice"],
    ["form-encoded with + for the space", "refused a%2Bb+c%2F%C3%A9%22x for alice"],
    ["JSON-escaped", '{"echo":"refused a+b c\\/\\u00e9\\"x for alice"}'],
    ["HTML-escaped", "<p>refused S3cr3t-Pa55w0rd&#33; and a+b c/&#xE9;&quot;x for alice</p>"],
  ])("%s", (_name, text) => {
    const out = redactSecrets(text, known);
    expect(out).toContain(REDACTED);
    for (const part of ["Pa55w0rd", "a+b", "a%2", "c/", "c%2"]) expect(out).not.toContain(part);
    expect(out).toContain("for alice");
  });

  it("a slot's new values replace its old ones; other slots stay", () => {
    const secrets = new KnownSecrets();
    secrets.hold("credentials", ["the-password"]);
    secrets.hold("tokens", ["5f2e1b0c4a7d4b8e9f6a3c2d1e0f9a8b"]);
    secrets.hold("tokens", ["0a9b8c7d6e5f40312a3b4c5d6e7f8091", undefined]);
    const out = redactSecrets(
      "the-password 5f2e1b0c4a7d4b8e9f6a3c2d1e0f9a8b 0a9b8c7d6e5f40312a3b4c5d6e7f8091",
      secrets,
    );
    expect(out).toBe(`${REDACTED} 5f2e1b0c4a7d4b8e9f6a3c2d1e0f9a8b ${REDACTED}`);
  });

  it("a secret containing another goes whole", () => {
    const secrets = new KnownSecrets();
    secrets.hold("a", ["abc", "xxabcxx"]);
    expect(redactSecrets("-xxabcxx-abc-", secrets)).toBe(`-${REDACTED}-${REDACTED}-`);
  });

  it("excerpt: a known secret across the edge of the scanned window goes whole", () => {
    // 4,216 characters are scanned for 30 shown: the cut falls after "Pa55w0rd!", which no shape rule drops.
    const secret = "Pa55w0rd!x";
    const body = `${" ".repeat(4216 - 9)}${secret} tail`;
    const line = excerpt(body, 30, [secret]);
    expect(line).not.toContain("Pa55w0rd");
    expect(line).toBe(REDACTED);
  });

  it("excerpt reads the registry", () => {
    expect(excerpt(`<pre>X-Auth: S3cr3t-Pa55w0rd%21</pre>`, 100, known)).toBe(
      `<pre>X-Auth: ${REDACTED}</pre>`,
    );
  });
});
