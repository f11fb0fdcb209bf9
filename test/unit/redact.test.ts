import { describe, expect, it } from "vitest";
import { excerpt, REDACTED, redactSecrets } from "../../src/redact.js";

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
