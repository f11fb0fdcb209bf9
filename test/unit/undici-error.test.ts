import { errors } from "undici";
import { describe, expect, it } from "vitest";
import { describeUndiciError } from "../../src/undici-error.js";

const ctx = { what: "target app.example.org" };

describe("describeUndiciError", () => {
  it("words a body cut short of its Content-Length without undici's error code", () => {
    const described = describeUndiciError(new errors.ResponseContentLengthMismatchError(), ctx);
    expect(described).toMatchObject({
      timeout: false,
      reason: "connection to target app.example.org closed before the body reached its Content-Length",
    });
  });

  it("words a connection reset as an unexpected close", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(describeUndiciError(reset, ctx).reason).toBe(
      "connection to target app.example.org closed unexpectedly",
    );
  });
});
