import { describe, expect, it } from "vitest";
import { normaliseLevel } from "../../src/log.js";

describe("normaliseLevel", () => {
  it("maps Spring level names to pino levels", () => {
    expect(normaliseLevel("WARN")).toBe("warn");
    expect(normaliseLevel("OFF")).toBe("silent");
    expect(normaliseLevel("nonsense")).toBe("info");
  });
});
