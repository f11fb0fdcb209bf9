import { describe, expect, it } from "vitest";
import {
  applyClientAuth,
  basicClientAuthorization,
  ClientAuthChoice,
  type ClientAuthMethod,
  isInvalidClient,
} from "../../src/oauth2/client-auth.js";

const decodeBasic = (header: string) => Buffer.from(header.replace(/^Basic /, ""), "base64").toString("utf8");

describe("client_secret_basic (RFC 6749 §2.3.1)", () => {
  it.each([
    ["my-client", "secret", "my-client:secret"],
    // id and secret are form-encoded before they are joined, so ":" and "+" survive
    ["sb-metrics!t1234", "a+b c%d:e/é", "sb-metrics%21t1234:a%2Bb+c%25d%3Ae%2F%C3%A9"],
    ["client:with:colons", "", "client%3Awith%3Acolons:"],
  ])("%s / %s -> %s", (id, secret, pair) => {
    expect(decodeBasic(basicClientAuthorization(id, secret))).toBe(pair);
  });

  it("puts the credentials in exactly one place", () => {
    const headers: Record<string, string> = {};
    const form = new URLSearchParams({ grant_type: "client_credentials", client_id: "c" });
    applyClientAuth("client_secret_basic", { id: "c", secret: "s" }, headers, form);
    expect(headers.authorization).toBe(`Basic ${Buffer.from("c:s").toString("base64")}`);
    expect(form.has("client_secret")).toBe(false);
    applyClientAuth("client_secret_post", { id: "c", secret: "s" }, headers, form);
    expect(headers.authorization).toBeUndefined();
    expect(form.get("client_id")).toBe("c");
    expect(form.get("client_secret")).toBe("s");
  });
});

describe("isInvalidClient", () => {
  it.each([
    [401, "invalid_client", true],
    [400, "invalid_client", true],
    [401, "unauthorized", true],
    [401, undefined, true],
    [400, "invalid_scope", false],
    [401, "invalid_token", false],
    [500, undefined, false],
  ])("%d %s -> %s", (status, error, expected) => {
    expect(isInvalidClient(status, error)).toBe(expected);
  });
});

describe("ClientAuthChoice", () => {
  class Refused extends Error {}
  /** A token service that accepts only `accepts`; records the methods tried. */
  function service(accepts: ClientAuthMethod | "none") {
    const tried: ClientAuthMethod[] = [];
    const attempt = async (m: ClientAuthMethod) => {
      tried.push(m);
      if (m !== accepts) throw new Refused();
      return m;
    };
    return { tried, attempt, refused: (e: unknown) => e instanceof Refused };
  }

  it.each([
    ["auto", "client_secret_basic", ["client_secret_basic"], ["client_secret_basic"]],
    ["auto", "client_secret_post", ["client_secret_basic", "client_secret_post"], ["client_secret_post"]],
    ["client_secret_post", "client_secret_post", ["client_secret_post"], ["client_secret_post"]],
  ] as const)("%s against a service taking only %s", async (setting, accepts, first, second) => {
    const choice = new ClientAuthChoice(setting);
    const s = service(accepts);
    await choice.request(s.attempt, s.refused);
    expect(s.tried).toEqual(first);
    s.tried.length = 0;
    // remembered: the next token request goes straight to what worked
    await choice.request(s.attempt, s.refused);
    expect(s.tried).toEqual(second);
  });

  it("a pinned method is never switched", async () => {
    const choice = new ClientAuthChoice("client_secret_basic");
    const s = service("client_secret_post");
    await expect(choice.request(s.attempt, s.refused)).rejects.toBeInstanceOf(Refused);
    expect(s.tried).toEqual(["client_secret_basic"]);
  });

  it("switches once when neither works, then uses Basic only; only for invalid_client", async () => {
    const choice = new ClientAuthChoice();
    const s = service("none");
    await expect(choice.request(s.attempt, s.refused)).rejects.toBeInstanceOf(Refused);
    expect(s.tried).toEqual(["client_secret_basic", "client_secret_post"]);
    // both were refused: the secret is wrong, not the method; each further request costs one refusal
    for (let i = 0; i < 3; i++) {
      await expect(choice.request(s.attempt, s.refused)).rejects.toBeInstanceOf(Refused);
    }
    expect(s.tried).toEqual([
      "client_secret_basic",
      "client_secret_post",
      ...Array(3).fill("client_secret_basic"),
    ]);
    const other = new ClientAuthChoice();
    const tried: ClientAuthMethod[] = [];
    const failing = async (m: ClientAuthMethod) => {
      tried.push(m);
      throw new Error("network");
    };
    await expect(other.request(failing, (e) => e instanceof Refused)).rejects.toThrow("network");
    expect(tried).toEqual(["client_secret_basic"]);
  });

  it("a switch cut short (the other method's request failed) is not made again", async () => {
    const choice = new ClientAuthChoice();
    const tried: ClientAuthMethod[] = [];
    const answers = ["refused", "network", "refused", "refused"];
    const attempt = async (m: ClientAuthMethod) => {
      tried.push(m);
      throw answers.shift() === "refused" ? new Refused() : new Error("network");
    };
    const refused = (e: unknown) => e instanceof Refused;
    await expect(choice.request(attempt, refused)).rejects.toThrow("network");
    // the next request goes on with the method switched to, and after its refusal back to Basic for good
    await expect(choice.request(attempt, refused)).rejects.toBeInstanceOf(Refused);
    await expect(choice.request(attempt, refused)).rejects.toBeInstanceOf(Refused);
    expect(tried).toEqual([
      "client_secret_basic",
      "client_secret_post",
      "client_secret_post",
      "client_secret_basic",
    ]);
  });

  it("a switch the caller holds back (switchNow false) is made by the next request", async () => {
    const choice = new ClientAuthChoice();
    const s = service("client_secret_post");
    await expect(choice.request(s.attempt, s.refused, { switchNow: () => false })).rejects.toBeInstanceOf(
      Refused,
    );
    expect(s.tried).toEqual(["client_secret_basic"]);
    await choice.request(s.attempt, s.refused, { switchNow: () => false });
    expect(s.tried).toEqual(["client_secret_basic", "client_secret_post"]);
  });
});
