import { describe, expect, it } from "vitest";
import { toLogfmt } from "../../src/log.js";
import { parseListenAddress } from "../../src/server/listen-address.js";

describe("--web.listen-address", () => {
  it.each([
    ["127.0.0.1:9090", { address: "127.0.0.1", port: 9090 }],
    [":8080", { address: "0.0.0.0", port: 8080 }],
    ["[::1]:8443", { address: "::1", port: 8443 }],
    ["promregator.local:0", { address: "promregator.local", port: 0 }],
  ])("reads %s", (value, expected) => {
    expect(parseListenAddress(value)).toEqual(expected);
  });

  it.each(["8080", "host:", "host:99999", "::1:80", "a b:80"])("refuses %s", (value) => {
    expect(() => parseListenAddress(value)).toThrow(/host:port/);
  });
});

describe("--log.format logfmt", () => {
  it("writes level, ts and msg first, quotes what needs it and nests objects as JSON", () => {
    const line = toLogfmt(
      JSON.stringify({
        level: "warn",
        time: "2026-01-02T03:04:05.000Z",
        name: "promregator",
        msg: 'scrape failed: "x" = y',
        app: "cart",
        failures: 3,
        apps: [{ app: "a" }],
      }),
    );
    expect(line).toBe(
      'level=warn ts=2026-01-02T03:04:05.000Z msg="scrape failed: \\"x\\" = y" name=promregator app=cart failures=3 apps="[{\\"app\\":\\"a\\"}]"\n',
    );
  });
});
