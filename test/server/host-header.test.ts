import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { checkDiscoveryHost } from "../../src/config/hosts.js";
import { loadConfig } from "../../src/config/index.js";
import { silentLogger } from "../../src/log.js";
import type { ScrapeHandler } from "../../src/scrape/types.js";
import { createRequestHandler } from "../../src/server/handler.js";
import { type ListeningServer, listen } from "../../src/server/http-server.js";
import { hostHeaderProblem, parseHostHeader } from "../../src/server/request-origin.js";
import { GUID, instance, snapshotOf } from "./helpers.js";

const SCRAPE = `/singleTargetMetrics/${GUID}/0`;

const snapshot = snapshotOf([instance(0)]);

let running: ListeningServer | undefined;
afterEach(async () => {
  await running?.close(100);
  running = undefined;
});

/** The production listener (plain HTTP: the socket-level path in front of node:http) with the real handler. */
async function start(): Promise<number> {
  const { config } = loadConfig({ text: "promregator: {}", requireCf: false });
  const scrape: ScrapeHandler = {
    async handle(_req, res) {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end("x 1\n");
    },
    close: async () => {},
  };
  const handler = createRequestHandler({
    config,
    logger: silentLogger,
    discovery: { current: () => snapshot, ready: () => true, invalidate: async () => {} },
    scrape,
    metrics: {
      renderChunks: () => ({ contentType: "text/plain", chunks: (async function* () {})() }),
    },
    processInstanceId: "self-id",
    inboundCredentials: { username: "promregator", password: "s3cret" },
  });
  running = await listen({ port: 0, address: "127.0.0.1" }, handler);
  return running.port;
}

/** Sends `head` (and `body`) on a new connection; resolves with everything the server sent before closing. */
function exchange(port: number, head: string, body = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(head + body));
    let got = "";
    socket.on("data", (d) => {
      got += d.toString("latin1");
    });
    socket.on("end", () => resolve(got));
    socket.on("error", (error) => reject(new Error(`${error.message} after ${JSON.stringify(got)}`)));
    setTimeout(() => socket.end(), 1000);
  });
}

const get = (target: string, hostLines: string[]) =>
  `GET ${target} HTTP/1.1\r\n${hostLines.map((h) => `Host: ${h}\r\n`).join("")}Connection: close\r\n\r\n`;
const status = (wire: string) => wire.slice(9, 12);
const targets = (wire: string) =>
  (JSON.parse(wire.slice(wire.indexOf("\r\n\r\n") + 4)) as { targets: string[] }[])[0].targets;

describe("the Host header (RFC 9112 §3.2, RFC 9110 §7.2)", () => {
  it('reads host and port of valid values, and refuses everything that is not `uri-host [":" port]`', () => {
    expect(parseHostHeader("a.example")).toEqual({ host: "a.example" });
    expect(parseHostHeader("a.example:8080")).toEqual({ host: "a.example", port: 8080 });
    expect(parseHostHeader("a.example:")).toEqual({ host: "a.example" });
    expect(parseHostHeader("10.0.0.1:65535")).toEqual({ host: "10.0.0.1", port: 65535 });
    expect(parseHostHeader("[::1]:9")).toEqual({ host: "[::1]", port: 9 });
    expect(parseHostHeader("")).toEqual({});
    for (const value of [
      "evil.example/x?y#",
      "evil.example/x",
      "evil.example?x",
      "evil.example#x",
      "a@evil.example:1",
      "a.example:65536",
      "a.example:99999",
      "a.example:-1",
      "a.example:8o",
      "a.example:1:2",
      "::1",
      "[::1",
      "[not-v6]:80",
      "[::1]x",
      ":80",
      "a..example",
      "-a.example",
      "a example",
      "http://a.example",
      "a$b.example",
    ]) {
      expect(parseHostHeader(value), value).toBeUndefined();
    }
  });

  it("accepts as host exactly the values promregator.discovery.hostname accepts (one rule for both)", () => {
    const accepted = (check: () => void) => {
      try {
        check();
        return true;
      } catch {
        return false;
      }
    };
    for (const host of [
      "a.example",
      "a.example.",
      "under_score.example",
      "h",
      "10.0.0.1",
      "[::1]",
      "[fe80::1]",
      "[::ffff:10.0.0.1]",
      "a..example",
      "-a.example",
      "a-.example",
      "a@b.example",
      "a.example/x",
      "a.example?x",
      "a.example#x",
      "a b",
      "a$b",
      "[nope]",
      "é.example",
    ]) {
      // A port is the Host header's only extra; without one both rules must agree.
      expect(parseHostHeader(host) !== undefined, host).toBe(accepted(() => checkDiscoveryHost(host)));
    }
  });

  it("names the problem of two Host lines or an invalid one, and leaves a missing one to the HTTP parser", () => {
    expect(hostHeaderProblem(["a.example", "b.example"])).toBe("more than one Host header");
    expect(hostHeaderProblem(["a.example", "a.example"])).toBe("more than one Host header");
    expect(hostHeaderProblem(["evil.example/x?y#"])).toMatch(/^the Host header is not a host name/);
    expect(hostHeaderProblem(["a.example:80"])).toBeUndefined();
    expect(hostHeaderProblem([])).toBeUndefined();
  });

  it("answers 400 to two Host lines or an invalid Host, on /discovery and on the socket-level scrape path", async () => {
    const port = await start();
    for (const target of ["/discovery", SCRAPE, "/health"]) {
      for (const hosts of [
        ["a.example", "b.example"],
        ["a.example", "a.example"],
        ["evil.example/x?y#"],
        ["a@evil.example:1"],
        ["a.example:99999"],
        ["a.example:65536"],
      ]) {
        const wire = await exchange(port, get(target, hosts));
        expect(status(wire), `${target} ${hosts.join(" + ")}`).toBe("400");
        expect(wire).toContain("Bad request: ");
      }
    }
    expect(status(await exchange(port, get(SCRAPE, ["a.example:65535"])))).toBe("200");
  });

  it("writes a valid Host into the /discovery targets, with the scheme's port when it has none", async () => {
    const port = await start();
    expect(targets(await exchange(port, get("/discovery", ["a.example:65535"])))).toEqual([
      "a.example:65535",
    ]);
    expect(targets(await exchange(port, get("/discovery", ["a.example"])))).toEqual(["a.example:80"]);
    expect(targets(await exchange(port, get("/discovery", ["[::1]:9090"])))).toEqual(["[::1]:9090"]);
  });
});

describe("other request heads the listener must answer (RFC 9110, RFC 9112)", () => {
  it("answers CONNECT with 405 (it opens no tunnels), and closes the connection", async () => {
    const port = await start();
    const path = await exchange(port, "CONNECT /discovery HTTP/1.1\r\nHost: a.example\r\n\r\n");
    expect(path).toMatch(/^HTTP\/1\.1 405 Method CONNECT not allowed\r\n/);
    expect(path).toMatch(/\r\nallow: GET, HEAD\r\n/i);
    expect(path).toMatch(/\r\nconnection: close\r\n/i);
    const authority = await exchange(
      port,
      "CONNECT upstream.example:443 HTTP/1.1\r\nHost: upstream.example:443\r\n\r\n",
      "tunnel bytes",
    );
    expect(authority).toMatch(/^HTTP\/1\.1 405 /);
    // RFC 9110 §10.2.1: an empty Allow, since an authority names no resource of Promregator's.
    expect(authority).toMatch(/\r\nallow: \r\n/i);
  });

  it("answers 414 to a request target longer than 16 KiB, also while the rest of it is still coming", async () => {
    const port = await start();
    for (const length of [17_000, 70_000, 1_000_000]) {
      for (const prefix of ["/discovery?x=", `${SCRAPE}?x=`]) {
        const wire = await exchange(port, get(`${prefix}${"a".repeat(length)}`, ["a.example"]));
        expect(wire, `${prefix} ${length}`).toMatch(/^HTTP\/1\.1 414 URI Too Long\r\n/);
      }
    }
    // A head too large for its headers, not its target, stays node:http's 431.
    const headers = `GET /discovery HTTP/1.1\r\nHost: a.example\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`;
    expect(await exchange(port, headers)).toMatch(/^HTTP\/1\.1 431 /);
  });
});
