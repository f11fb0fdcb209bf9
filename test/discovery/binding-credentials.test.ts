import { describe, expect, it } from "vitest";
import { readBindingCredentials } from "../../src/discovery/binding-credentials.js";

const read = (path: unknown) => readBindingCredentials({ path }, "path", "service binding b-1");

describe("a service binding's credentials path", () => {
  it.each([
    ["/../admin"],
    ["/metrics/.."],
    ["/a/./b"],
    ["/a/%2e%2e/admin"],
    ["/a/%2E./admin"],
    ["/a/.%2E/admin"],
    ["/a/%2e/b"],
    ["/a/..;jsessionid=x/admin"],
    ["/a/..%3Bx/admin"],
  ])("refuses %s, which could leave the route's path, naming the key and not the value", (path) => {
    const access = read(path);
    expect(access).toEqual({
      ok: false,
      problem:
        'credentials.path contains a "." or ".." segment, which would leave the path it is appended to',
    });
  });

  it.each([
    ["/a\\..\\admin", "backslash"],
    ["/a\\b", "backslash"],
    ["/a%2f..%2fadmin", 'percent-encoded "/"'],
    ["/a%5C..%5Cadmin", 'percent-encoded "/" or "\\"'],
    ["/metrics%00", "percent-encoded control character"],
    ["/metrics%0d%0aX-Injected:%20yes", "percent-encoded control character"],
    ["/metrics%7F", "percent-encoded control character"],
    ["/metrics?x=%0a", "percent-encoded control character"],
    ["/metrics%zz", '"%" that does not start a percent-encoded byte'],
    ["/metrics%2", '"%" that does not start a percent-encoded byte'],
  ])("refuses %s (%s)", (path, what) => {
    const access = read(path);
    expect(access.ok).toBe(false);
    if (access.ok) return;
    expect(access.problem).toContain(what);
    expect(access.problem.startsWith("credentials.path ")).toBe(true);
    expect(access.problem).not.toContain(path);
  });

  it.each([
    ["/metrics"],
    ["/actuator/prometheus"],
    ["/a/.well-known/metrics"],
    ["/a/...b/metrics"],
    ["/metrics/v1.0"],
    ["/a%20b"],
    ["/metrics?name[]=up&x=/../y"],
    ["/metrics?format=%2Fx"],
  ])("accepts %s: no dot segment in the path, a query is sent as it is", (path) => {
    expect(read(path)).toEqual({ ok: true, path });
  });

  it("keeps the path inside the route when it is appended: what is accepted never leaves it", () => {
    for (const path of ["/metrics", "/a/.well-known/metrics", "/metrics?x=/../y"]) {
      expect(read(path).ok).toBe(true);
      const url = new URL(`https://app.example.org/route${path}`);
      expect(url.pathname.startsWith("/route/")).toBe(true);
    }
  });
});

describe("paths and Basic credentials that hide a dot segment or split a header", () => {
  it.each([["/a/%C0%AE%C0%AE/b"], ["/\uFF0E\uFF0E/admin"], ["/%252e%252e/admin"], ["/m\u00e9trics"]])(
    "refuses %s, naming the key only",
    (path) => {
      const access = read(path);
      expect(access.ok).toBe(false);
      if (!access.ok) {
        expect(access.problem).toMatch(/^credentials\.path /);
        expect(access.problem).not.toContain(path);
      }
    },
  );

  it.each([
    ["username", { username: "u\r\nx", password: "p" }],
    ["password", { username: "u", password: "p\nq" }],
  ])("refuses a %s with a control character", (key, credentials) => {
    const access = readBindingCredentials(credentials, "path-and-basic-auth", "service binding b-1");
    expect(access).toEqual({
      ok: false,
      problem: expect.stringMatching(new RegExp(`^credentials\\.${key} contains a control`)),
    });
  });
});
