import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { MAX_REASON_PHRASE, reasonPhrase } from "../../src/reason-phrase.js";

/** RFC 9112 §4 reason-phrase, restricted to visible ASCII and SP (no HTAB, no obs-text). */
const SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

const NASTY = [
  "target answered 404 Not Found",
  "line one\r\nSet-Cookie: stolen=1",
  "tab\there, nul\u0000, bell\u0007, del\u007f",
  "non-ASCII: Grüße … 日本 🙂",
  "x".repeat(5000),
  "   \r\n\t  ",
  "",
];

describe("reasonPhrase", () => {
  it.each(NASTY)("makes %j a safe, bounded reason phrase", (text) => {
    const phrase = reasonPhrase(text, 502);
    expect(phrase).toMatch(SAFE);
    expect(phrase.length).toBeLessThanOrEqual(MAX_REASON_PHRASE);
  });

  it("keeps a plain reason as it is, breaks injected lines and falls back to the standard phrase", () => {
    expect(reasonPhrase("target answered 404 Not Found", 502)).toBe("target answered 404 Not Found");
    expect(reasonPhrase("a\r\nSet-Cookie: x=1", 502)).toBe("a Set-Cookie: x=1");
    expect(reasonPhrase("Grüße", 502)).toBe("Gr??e");
    expect(reasonPhrase(" \r\n ", 504)).toBe("Gateway Timeout");
    expect(reasonPhrase("y".repeat(500), 502)).toMatch(/^y+\.\.\.$/);
  });

  it("is accepted by node:http and reaches a client unchanged, one header block", async () => {
    const server = createServer((req, res) => {
      const text = NASTY[Number(req.url?.slice(1))];
      res.writeHead(502, reasonPhrase(text, 502), { "content-length": 0 }).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      for (let i = 0; i < NASTY.length; i++) {
        const answer = await new Promise<{ message?: string; headers: Record<string, unknown> }>(
          (resolve, reject) =>
            get({ port, host: "127.0.0.1", path: `/${i}`, agent: false }, (res) => {
              res.resume();
              resolve({ message: res.statusMessage, headers: res.headers });
            }).on("error", reject),
        );
        expect(answer.message).toBe(reasonPhrase(NASTY[i], 502));
        expect(answer.headers["set-cookie"]).toBeUndefined();
      }
    } finally {
      server.close();
    }
  });
});
