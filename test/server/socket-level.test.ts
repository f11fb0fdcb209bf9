import http, { type IncomingHttpHeaders } from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { InboundRequest, InboundResponse } from "../../src/http-exchange.js";
import { answerOnSockets } from "../../src/server/socket-level/index.js";
import {
  MAX_HEAD_BYTES,
  MAX_HEADER_LINES,
  type ParseResult,
  RequestParser,
} from "../../src/server/socket-level/request-parser.js";

type Answer = (req: InboundRequest, res: InboundResponse) => void;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * A node:http server whose own listener answers `node <method> <url>`, with the socket-level path in front for
 * paths under /scrape/, answered by `answer` (by default `socket <url>`).
 */
async function serve(answer?: Answer, tune?: (server: http.Server) => void) {
  const seen = { socket: [] as InboundRequest[], node: [] as string[] };
  const server = http.createServer((req, res) => {
    seen.node.push(`${req.method} ${req.url}`);
    req.resume();
    res.end(`node ${req.method} ${req.url}\n`);
  });
  tune?.(server);
  answerOnSockets(server, {
    pathPrefix: "/scrape/",
    answer: (req, res) => {
      seen.socket.push(req);
      if (answer) answer(req, res);
      else res.writeHead(200, { "content-type": "text/plain" }).end(`socket ${req.url}\n`);
    },
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/**
 * Sends `bytes` on one connection and collects what comes back until the server closes it or `ms` pass; with
 * `halfClose` the client ends its side after the last part.
 */
function exchange(port: number, bytes: string | string[], ms = 1500, halfClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let got = "";
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    socket.on("connect", async () => {
      for (const part of Array.isArray(bytes) ? bytes : [bytes]) {
        socket.write(part);
        await new Promise((r) => setTimeout(r, 20));
      }
      if (halfClose) socket.end();
    });
    socket.on("data", (d) => {
      got += d.toString("latin1");
    });
    socket.on("close", done);
    socket.on("error", reject);
  });
}

/** A node:http server alone, answering `ok` after `delayMs`: what the socket-level path must match. */
async function serveNodeOnly(delayMs: number) {
  const server = http.createServer((req, res) => {
    req.resume();
    setTimeout(() => res.writeHead(200, { "content-length": 3 }).end("ok\n"), delayMs);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** Status lines and bodies of the answers in `wire`, Date values masked. */
const masked = (wire: string) => wire.replace(/Date: [^\r]+/g, "Date: *");

describe("request parser", () => {
  it("reads the request head as node:http does: lower-case names, duplicates merged or dropped, values trimmed", async () => {
    const head =
      "GET /scrape/a?x=1 HTTP/1.1\r\nHost: one\r\nHost: two\r\nAccept: a/b  \r\nACCEPT: c/d\r\n" +
      "Authorization: Basic one\r\nauthorization: Basic two\r\nCookie: a=1\r\nCookie: b=2\r\n" +
      "Set-Cookie: s=1\r\nSet-Cookie: s=2\r\nX-Empty:\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
    // What node:http makes of the same bytes.
    const node = http.createServer((req, res) =>
      res.end(JSON.stringify({ url: req.url, headers: req.headers })),
    );
    servers.push(node);
    await new Promise<void>((resolve) => node.listen(0, "127.0.0.1", resolve));
    const nodeWire = await exchange(
      (node.address() as AddressInfo).port,
      head.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n"),
    );
    const fromNode = JSON.parse(nodeWire.slice(nodeWire.indexOf("\r\n\r\n") + 4)) as {
      url: string;
      headers: IncomingHttpHeaders;
    };
    delete fromNode.headers.connection;

    const result = new RequestParser(() => true).execute(Buffer.from(head, "latin1"));
    expect(result.kind).toBe("request");
    const { head: parsed } = result as Extract<ParseResult, { kind: "request" }>;
    expect(parsed.url).toBe(fromNode.url);
    expect(parsed.headers).toEqual(fromNode.headers);
    expect(parsed.keepAlive).toBe(true);
    expect(parsed.httpVersion).toBe("1.1");
    // node:http keeps only the first Host; the head counts them, for RFC 9112 §3.2's 400.
    expect(parsed.hostLines).toBe(2);
  });

  it("tells a request line over 16 KiB (414) from a head whose headers are too large (node:http's 431)", () => {
    const longTarget = (length: number) =>
      `GET /scrape/a?x=${"a".repeat(length)} HTTP/1.1\r\nHost: h\r\n\r\n`;
    expect(new RequestParser(() => true).execute(Buffer.from(longTarget(MAX_HEAD_BYTES)))).toEqual({
      kind: "target-too-long",
    });
    // Arriving in small reads, the request line is known too long once 16 KiB came without its end.
    const parser = new RequestParser(() => true);
    const text = longTarget(4 * MAX_HEAD_BYTES);
    let result: ParseResult = { kind: "more" };
    let sent = 0;
    while (result.kind === "more" && sent < text.length) {
      result = parser.execute(Buffer.from(text.slice(sent, sent + 1000)));
      sent += 1000;
    }
    expect(result.kind).toBe("target-too-long");
    expect(sent).toBeLessThanOrEqual(MAX_HEAD_BYTES + 1000);
    parser.free();
    // The target fits; the headers make the head too large.
    const headers = `GET /scrape/a HTTP/1.1\r\nHost: h\r\nX: ${"b".repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
    expect(new RequestParser(() => true).execute(Buffer.from(headers)).kind).toBe("refused");
  });

  it("reads the same head whatever reads it arrives in", () => {
    const text =
      "GET /scrape/abc HTTP/1.1\r\nHost: h\r\nAccept: text/plain;version=0.0.4\r\nX-A: 1\r\n\r\nGET /next";
    const whole = new RequestParser(() => true).execute(Buffer.from(text)) as Extract<
      ParseResult,
      { kind: "request" }
    >;
    for (let cut = 1; cut < text.indexOf("GET /next"); cut++) {
      const parser = new RequestParser(() => true);
      const first = parser.execute(Buffer.from(text.slice(0, cut)));
      expect(first.kind, `cut at ${cut}`).toBe("more");
      const second = parser.execute(Buffer.from(text.slice(cut)));
      expect(second, `cut at ${cut}`).toEqual(whole);
      parser.free();
    }
    expect(whole.rest.toString()).toBe("GET /next");
  });

  it("refuses a head it is told not to answer, a head over 16 KiB and bytes llhttp rejects, with every byte of the message", () => {
    const other = "POST /scrape/a HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab";
    const refused = new RequestParser((head) => head.method === 1).execute(Buffer.from(other));
    expect(refused).toEqual({ kind: "refused", raw: Buffer.from(other) });

    const parser = new RequestParser(() => true);
    expect(parser.execute(Buffer.from("GET /scrape/a HTTP/1.1\r\n")).kind).toBe("more");
    const big = `X-Big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
    expect(parser.execute(Buffer.from(big))).toEqual({
      kind: "refused",
      raw: Buffer.from(`GET /scrape/a HTTP/1.1\r\n${big}`),
    });

    // node:http counts the URL, names and values, and refuses a head of exactly MAX_HEAD_BYTES.
    const sized = (bytes: number) =>
      Buffer.from(`GET /scrape/a HTTP/1.1\r\nX: ${"a".repeat(bytes - "/scrape/a".length - 1)}\r\n\r\n`);
    expect(new RequestParser(() => true).execute(sized(MAX_HEAD_BYTES - 1)).kind).toBe("request");
    expect(new RequestParser(() => true).execute(sized(MAX_HEAD_BYTES)).kind).toBe("refused");

    // node:http reads only the first MAX_HEADER_LINES header lines: a longer head is its to answer.
    const lines = (count: number) =>
      Buffer.from(`GET /scrape/a HTTP/1.1\r\n${"X: y\r\n".repeat(count - 1)}Host: h\r\n\r\n`);
    expect(new RequestParser(() => true).execute(lines(MAX_HEADER_LINES)).kind).toBe("request");
    expect(new RequestParser(() => true).execute(lines(MAX_HEADER_LINES + 1)).kind).toBe("refused");

    const smuggled =
      "GET /scrape/a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n";
    expect(new RequestParser(() => true).execute(Buffer.from(smuggled)).kind).toBe("refused");
    expect(
      new RequestParser(() => true).execute(Buffer.from("GET /scrape/a HTTP/1.1\r\nBad Name: x\r\n\r\n"))
        .kind,
    ).toBe("refused");
  });
});

describe("socket-level answers", () => {
  it("put the same bytes on the wire as node:http for the same calls", async () => {
    const calls: Answer = (req, res) => {
      res.setHeader("X-Web", "a");
      res.setHeader("X-List", ["p", "q"]);
      if (req.url?.endsWith("/chunked")) {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write(Buffer.from("abc"));
        res.end(Buffer.from("de"));
      } else {
        res.writeHead(503, "Too many scrapes", {
          "content-type": "text/plain",
          "content-length": 3,
          "retry-after": "1",
          "x-web": "b",
        });
        res.end(Buffer.from("xyz"));
      }
    };
    const node = http.createServer((req, res) => calls(req, res));
    node.keepAliveTimeout = 75_000;
    servers.push(node);
    await new Promise<void>((resolve) => node.listen(0, "127.0.0.1", resolve));
    const { port } = await serve(calls, (s) => {
      s.keepAliveTimeout = 75_000;
    });
    const requests =
      "GET /scrape/length HTTP/1.1\r\nHost: h\r\n\r\nGET /scrape/chunked HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    const expected = masked(await exchange((node.address() as AddressInfo).port, requests));
    expect(expected).toContain("Keep-Alive: timeout=75");
    expect(masked(await exchange(port, requests))).toBe(expected);
  });

  it("hand the connection to node:http at the first request they do not answer, keeping the order of answers", async () => {
    const { port, seen } = await serve();
    const wire = await exchange(
      port,
      "GET /scrape/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /discovery HTTP/1.1\r\nHost: h\r\n\r\n" +
        "GET /scrape/2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    const bodies = wire.match(/(socket|node) [^\n]+/g);
    expect(bodies).toEqual(["socket /scrape/1", "node GET /discovery", "node GET /scrape/2"]);
    expect(seen.socket.map((r) => r.url)).toEqual(["/scrape/1"]);
  });

  it("leave to node:http what they do not serve: HEAD, POST, HTTP/1.0, Expect, Upgrade, another path", async () => {
    const { port, seen } = await serve();
    const cases = [
      "HEAD /scrape/1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      "POST /scrape/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab",
      "GET /scrape/1 HTTP/1.0\r\nHost: h\r\n\r\n",
      "GET /scrape/1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n",
      "GET /other HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      "GET /scrape/../other HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      "GET /scrape/%2E%2e/other HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      // WHATWG URL reads "\\" as "/": this path resolves to /other.
      "GET /scrape/1\\..\\..\\other HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      "GET /scrape/1;a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
      "GET /scrape/1#x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    ];
    for (const request of cases) await exchange(port, request);
    expect(seen.node).toEqual([
      "HEAD /scrape/1",
      "POST /scrape/1",
      "GET /scrape/1",
      "GET /scrape/1",
      "GET /other",
      "GET /scrape/../other",
      "GET /scrape/%2E%2e/other",
      "GET /scrape/1\\..\\..\\other",
      "GET /scrape/1;a",
      "GET /scrape/1#x",
    ]);
    expect(seen.socket).toEqual([]);
  });

  it("leave malformed requests to node:http's answers: smuggling framing 400, a head over 16 KiB 431", async () => {
    const { port, seen } = await serve();
    const smuggled = await exchange(
      port,
      "GET /scrape/1 HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /scrape/2 HTTP/1.1\r\n\r\n",
    );
    expect(smuggled).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const big = await exchange(
      port,
      `GET /scrape/1 HTTP/1.1\r\nHost: h\r\nX-Big: ${"a".repeat(MAX_HEAD_BYTES + 10)}\r\n\r\n`,
    );
    expect(big).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    const bad = await exchange(port, "GET /scrape/1 HTTP/1.1\r\nHost: h\r\nX-Bad: a\x01b\r\n\r\n");
    expect(bad).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const noHost = await exchange(port, "GET /scrape/1 HTTP/1.1\r\n\r\n");
    expect(noHost).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(seen.socket).toEqual([]);
  });

  it("keep no more than 16 KiB of an unfinished head, also of bytes llhttp skips (blank lines, blanks in a value)", () => {
    for (const filler of ["\r\n", " "]) {
      const parser = new RequestParser(() => true);
      const start = filler === " " ? "GET /scrape/1 HTTP/1.1\r\nX:" : "\r\n";
      let result = parser.execute(Buffer.from(start));
      let sent = start.length;
      while (result.kind === "more" && sent < 10 * MAX_HEAD_BYTES) {
        result = parser.execute(Buffer.from(filler.repeat(512)));
        sent += filler.length * 512;
      }
      expect(result.kind, JSON.stringify(filler)).toBe("refused");
      expect(sent).toBeLessThanOrEqual(MAX_HEAD_BYTES + 1024);
      parser.free();
    }
  });

  it("answer pipelined requests one at a time, in order", async () => {
    const order: string[] = [];
    const { port } = await serve((req, res) => {
      order.push(`start ${req.url}`);
      const delay = req.url === "/scrape/slow" ? 100 : 0;
      setTimeout(() => {
        order.push(`end ${req.url}`);
        res.writeHead(200, { "content-length": req.url!.length + 1 }).end(Buffer.from(`${req.url}\n`));
      }, delay);
    });
    const wire = await exchange(
      port,
      "GET /scrape/slow HTTP/1.1\r\nHost: h\r\n\r\nGET /scrape/fast HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    );
    expect(order).toEqual([
      "start /scrape/slow",
      "end /scrape/slow",
      "start /scrape/fast",
      "end /scrape/fast",
    ]);
    expect(wire.indexOf("/scrape/slow\n")).toBeLessThan(wire.indexOf("/scrape/fast\n"));
  });

  it("tell the answer when the caller leaves before it is written, and count it as not finished", async () => {
    let closed: { finished: boolean; destroyed: boolean } | undefined;
    const { port } = await serve((_req, res) => {
      res.on("close", () => {
        closed = { finished: res.writableFinished, destroyed: res.destroyed };
      });
    });
    await exchange(port, "GET /scrape/1 HTTP/1.1\r\nHost: h\r\n\r\n", 100);
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toEqual({ finished: false, destroyed: true });
  });

  it("answer 408 to a head that does not complete within headersTimeout, and close idle connections after keepAliveTimeout", async () => {
    const { port } = await serve(undefined, (s) => {
      s.headersTimeout = 300;
      s.keepAliveTimeout = 300;
    });
    const started = performance.now();
    const slow = await exchange(port, ["GET /scrape/1 HTTP/1.1\r\n", "Host: h\r\n"], 5000);
    expect(slow).toBe("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    // A connection that sends nothing: its first head is late too, as in node:http.
    const silent = await exchange(port, [], 5000);
    expect(silent).toBe("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    const idle = await exchange(port, "GET /scrape/1 HTTP/1.1\r\nHost: h\r\n\r\n", 5000);
    expect(idle).toContain("socket /scrape/1");
    // Both ended by the server (the sweep runs every second), long before the 5 s the client waits.
    expect(performance.now() - started).toBeLessThan(4500);
  });

  it("answer input that ends inside a request head as node:http does: 400, and no answer to a request before it", async () => {
    const { port } = await serve((_req, res) => {
      // Slow enough that the end of the input comes while the first request is answered.
      setTimeout(() => res.writeHead(200, { "content-length": 3 }).end(Buffer.from("ok\n")), 200);
    });
    const nodePort = await serveNodeOnly(200);
    const scrape = "GET /scrape/1 HTTP/1.1\r\nHost: h\r\n\r\n";
    const cases = ["GET /scrape/", "GET /scrape/1 HTTP/1.1\r\nHost: h\r\n", `${scrape}GET /scr`, "\r\n", ""];
    for (const input of cases) {
      const expected = masked(await exchange(nodePort, input, 1500, true));
      expect(masked(await exchange(port, input, 1500, true)), JSON.stringify(input)).toBe(expected);
    }
    // The cases above cover both outcomes.
    expect(await exchange(nodePort, "GET /scrape/", 1500, true)).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(await exchange(nodePort, "\r\n", 1500, true)).toBe("");
  });

  it("close quietly when the caller ends its side after an answer, as node:http does", async () => {
    const { port } = await serve((_req, res) => {
      res.writeHead(200, { "content-length": 3 }).end(Buffer.from("ok\n"));
    });
    const nodePort = await serveNodeOnly(0);
    const scrape = "GET /scrape/1 HTTP/1.1\r\nHost: h\r\n\r\n";
    // The end of the input comes 40 ms after the request, once it is answered.
    const expected = masked(await exchange(nodePort, [scrape, "", ""], 1500, true));
    expect(expected).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*ok\n$/);
    expect(masked(await exchange(port, [scrape, "", ""], 1500, true))).toBe(expected);
  });

  it("answer the requests already read when the server closes, the last one with Connection: close", async () => {
    const { server, port } = await serve((_req, res) => {
      setTimeout(() => res.writeHead(200, { "content-length": 3 }).end(Buffer.from("ok\n")), 150);
    });
    const wire = exchange(port, "GET /scrape/1 HTTP/1.1\r\nHost: h\r\n\r\n".repeat(4), 3000);
    await new Promise((r) => setTimeout(r, 50));
    const closed = new Promise((resolve) => server.close(resolve));
    const answers = (await wire).split("HTTP/1.1 200 OK").slice(1);
    expect(answers).toHaveLength(4);
    expect(answers.slice(0, 3).every((a) => a.includes("Connection: keep-alive"))).toBe(true);
    expect(answers[3]).toContain("Connection: close");
    await closed;
    servers.splice(servers.indexOf(server), 1);
  });

  it("end with server.close(): idle connections at once, busy ones after their answer", async () => {
    let finish: (() => void) | undefined;
    const { server, port } = await serve((req, res) => {
      if (req.url === "/scrape/busy")
        finish = () => res.writeHead(200, { "content-length": 2 }).end(Buffer.from("ok"));
      else res.writeHead(200, { "content-length": 2 }).end(Buffer.from("ok"));
    });
    const idle = exchange(port, "GET /scrape/idle HTTP/1.1\r\nHost: h\r\n\r\n", 5000);
    const busy = exchange(port, "GET /scrape/busy HTTP/1.1\r\nHost: h\r\n\r\n", 5000);
    await new Promise((r) => setTimeout(r, 100));
    const closed = new Promise((resolve) => server.close(resolve));
    expect(await idle).toMatch(/\r\n\r\nok$/);
    finish?.();
    expect(await busy).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
    await closed;
    servers.splice(servers.indexOf(server), 1);
  });
});
