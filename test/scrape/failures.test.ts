import http from "node:http";
import net from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { FailureMode } from "../../src/config/types.js";
import { COMMIT_THRESHOLD_BYTES } from "../../src/scrape/handler.js";
import {
  closedPort,
  get,
  instanceFor,
  OM,
  serve,
  sleep,
  startProxy,
  startServer,
  TEXT,
  testConfig,
} from "./helpers.js";

const INSTANCE_ID = "6c1d3e2a-0b1f-4c55-8d6e-7f8a9b0c1d2e:1";

type Case = {
  name: string;
  /** Returns the target URL. */
  target: () => Promise<string>;
  reason: RegExp;
  status: number;
  scraping?: Parameters<typeof testConfig>[0];
};

const hang = () => {}; // never answers

/** A target that answers every request with these exact bytes (what node:http would not send). */
async function rawTarget(answer: string, { reset = false } = {}): Promise<string> {
  const server = net.createServer((socket) => {
    socket.once("data", () =>
      socket.write(answer, () => reset && setTimeout(() => socket.resetAndDestroy(), 20)),
    );
    socket.on("error", () => {});
  });
  rawServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/metrics`;
}
const rawServers: net.Server[] = [];
afterAll(async () => {
  for (const server of rawServers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

const cases: Case[] = [
  {
    name: "connection refused",
    target: async () => `http://127.0.0.1:${await closedPort()}/metrics`,
    reason: /connection to target 127\.0\.0\.1:\d+ refused/,
    status: 502,
  },
  {
    name: "401 from the target",
    target: async () =>
      (
        await startServer((_req, res) => {
          res.writeHead(401, { "www-authenticate": "Basic" });
          res.end("no");
        })
      ).url,
    reason: /target answered 401 Unauthorized/,
    status: 502,
  },
  {
    name: "router 400 unknown_route",
    target: async () =>
      (
        await startServer((_req, res) => {
          res.writeHead(400, { "x-cf-routererror": "unknown_route" });
          res.end("400 Bad Request: Requested instance ('1') with guid ('x') does not exist for route ('r')");
        })
      ).url,
    reason: /target answered 400 Bad Request \(router: unknown_route\)/,
    status: 502,
  },
  {
    name: "no response headers within socketReadTimeout",
    target: async () => (await startServer(hang)).url,
    reason: /target 127\.0\.0\.1:\d+ sent no response within 200 ms/,
    status: 504,
    scraping: { socketReadTimeout: 200 },
  },
  {
    name: "a body that stalls longer than socketReadTimeout",
    target: async () =>
      (
        await startServer((_req, res) => {
          res.writeHead(200, { "content-type": TEXT });
          res.write("a 1\n");
        })
      ).url,
    reason: /sent no body data for 200 ms/,
    status: 504,
    scraping: { socketReadTimeout: 200 },
  },
  {
    name: "a body over maxBodySize (announced)",
    target: async () => (await startServer(serve("a 1\n".repeat(500), TEXT))).url,
    reason: /larger than maxBodySize \(1000 bytes\)/,
    status: 502,
    scraping: { maxBodySize: 1000 },
  },
  {
    name: "a gzip body that inflates beyond maxBodySize",
    target: async () =>
      (
        await startServer(
          serve(gzipSync(Buffer.alloc(1_000_000, 0x61)), TEXT, { "content-encoding": "gzip" }),
        )
      ).url,
    reason: /larger than maxBodySize \(50000 bytes\)/,
    status: 502,
    scraping: { maxBodySize: 50_000 },
  },
  {
    name: "a corrupt gzip body",
    target: async () =>
      (await startServer(serve(gzipSync("a 1\n").subarray(0, 12), TEXT, { "content-encoding": "gzip" }))).url,
    reason: /corrupt compressed body/,
    status: 502,
  },
  {
    name: "a gzip body padded with zero bytes",
    target: async () => {
      const body = Buffer.concat([gzipSync("m 1\n"), Buffer.alloc(8)]);
      return (await startServer(serve(body, TEXT, { "content-encoding": "gzip" }))).url;
    },
    reason: /target sent data after the end of its gzip body/,
    status: 502,
  },
  {
    name: "a body cut short of its Content-Length",
    target: () =>
      rawTarget(`HTTP/1.1 200 OK\r\nContent-Type: ${TEXT}\r\nContent-Length: 100\r\n\r\nm 1\n`, {
        reset: true,
      }),
    reason: /connection to target 127\.0\.0\.1:\d+ closed unexpectedly/,
    status: 502,
  },
  {
    name: "Content-Length twice, named as the framing it is, not as a body cut short",
    target: () =>
      rawTarget(
        `HTTP/1.1 200 OK\r\nContent-Type: ${TEXT}\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nm 1\n`,
      ),
    reason:
      /response head whose framing the HTTP client refuses \(Content-Length twice or beside Transfer-Encoding/,
    status: 502,
  },
  {
    name: "Transfer-Encoding: chunked before Content-Length",
    target: () =>
      rawTarget(
        `HTTP/1.1 200 OK\r\nContent-Type: ${TEXT}\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n4\r\nm 1\n\r\n0\r\n\r\n`,
      ),
    reason:
      /response head whose framing the HTTP client refuses \(Content-Length twice or beside Transfer-Encoding, RFC 9112 section 6\.3\)/,
    status: 502,
  },
  {
    name: "Content-Length beside Transfer-Encoding: chunked",
    target: () =>
      rawTarget(
        `HTTP/1.1 200 OK\r\nContent-Type: ${TEXT}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nm 1\n\r\n0\r\n\r\n`,
      ),
    reason: /response head whose framing the HTTP client refuses/,
    status: 502,
  },
  {
    name: "304 Not Modified, which is no redirect",
    target: () => rawTarget("HTTP/1.1 304 Not Modified\r\nLocation: /elsewhere\r\n\r\n"),
    reason: /target answered 304 Not Modified(?!;)/,
    status: 502,
  },
  {
    name: "an unsolicited 100 Continue before the answer",
    target: () => rawTarget("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nm 1\n"),
    reason: /sent an answer that was not asked for \(e\.g\. an unsolicited 100 Continue\)/,
    status: 502,
  },
  {
    name: "a protocol switch nobody asked for",
    target: () =>
      rawTarget("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"),
    reason: /answered 101 Switching Protocols, though no protocol switch was asked for/,
    status: 502,
  },
  {
    name: "an error status after an informational 102 Processing",
    target: async () =>
      (
        await startServer((_req, res) => {
          res.writeProcessing();
          setTimeout(() => res.writeHead(500, { "content-type": TEXT }).end("oops\n"), 20);
        })
      ).url,
    reason: /target answered 500 Internal Server Error/,
    status: 502,
  },
];

function expectedCompatibleBody(openMetrics: boolean): RegExp {
  const up = "Indicator, whether the target of promregator is available";
  const dur = "Duration in seconds indicating how long scraping of all metrics took";
  const text = openMetrics
    ? `# TYPE promregator_up gauge\n# HELP promregator_up ${up}\npromregator_up 0.0\n` +
      `# TYPE promregator_scrape_duration_seconds gauge\n# HELP promregator_scrape_duration_seconds ${dur}\n` +
      "promregator_scrape_duration_seconds DURATION\n# EOF\n"
    : `# HELP promregator_up ${up}\n# TYPE promregator_up gauge\npromregator_up 0.0\n` +
      `# HELP promregator_scrape_duration_seconds ${dur}\n# TYPE promregator_scrape_duration_seconds gauge\n` +
      "promregator_scrape_duration_seconds DURATION\n";
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("DURATION", "\\d+\\.\\d+");
  return new RegExp(`^${escaped}$`);
}

async function proxyFor(target: string, failureMode: FailureMode, scraping: Case["scraping"] = {}) {
  return startProxy(instanceFor(`${target.replace(/\/metrics$/, "")}/metrics`), {
    config: testConfig({ failureMode, ...scraping }),
  });
}

describe.each(cases)("failure: $name", (c) => {
  it("strict: error status with a one-line reason naming the instance; recorded and logged at warn", async () => {
    const proxy = await proxyFor(await c.target(), "strict", c.scraping);
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(c.status);
    // Prometheus shows the status line, so the reason travels in the reason phrase too.
    expect(answer.statusMessage).toMatch(c.reason);
    expect(answer.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(answer.body).toMatch(new RegExp(`^scrape of ${INSTANCE_ID} failed: .+\\n$`));
    expect(answer.body).toMatch(c.reason);
    expect(proxy.outcomes).toHaveLength(1);
    expect(proxy.outcomes[0]).toMatchObject({ ok: false });
    expect(proxy.outcomes[0].reason).toMatch(c.reason);
    const warnings = proxy.logs.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0].reason)).toMatch(c.reason);
  });

  it("compatible: 200 with a valid OpenMetrics body holding only promregator_up 0.0", async () => {
    const proxy = await proxyFor(await c.target(), "compatible", c.scraping);
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe(OM);
    expect(answer.body).toMatch(expectedCompatibleBody(true));
    expect(proxy.outcomes[0].reason).toMatch(c.reason);
  });
});

describe("failure details", () => {
  it.each([
    ["text/plain;version=0.0.4;q=0.3,*/*;q=0.2"],
    ["application/openmetrics-text;q=0.5, text/plain;q=1"],
  ])("compatible mode answers text 0.0.4 to a caller that prefers it: %j", async (accept) => {
    const proxy = await proxyFor(`http://127.0.0.1:${await closedPort()}`, "compatible");
    const answer = await get(`${proxy.url}/x`, { accept });
    expect(answer.headers["content-type"]).toBe(TEXT);
    expect(answer.body).toMatch(expectedCompatibleBody(false));
  });

  it("follows redirects on the target's own origin with the same headers, as Prometheus' client does", async () => {
    const paths: string[] = [];
    let origin = "";
    const target = await startServer((req, res) => {
      paths.push(req.url ?? "");
      if (req.url === "/metrics") res.writeHead(301, { location: "/metrics/" }).end();
      else if (req.url === "/metrics/") res.writeHead(307, { location: `${origin}/metrics/final?x=1` }).end();
      else res.writeHead(200, { "content-type": TEXT }).end("a 1\n");
    });
    origin = target.url;
    const proxy = await proxyFor(target.url, "strict");
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^a 1\n# HELP promregator_up /);
    expect(paths).toEqual(["/metrics", "/metrics/", "/metrics/final?x=1"]);
    // every hop carried the instance header: the router picks the same instance each time
    expect(target.requests.map((h) => h["x-cf-app-instance"])).toEqual(Array(3).fill(INSTANCE_ID));
  });

  it("follows 9 redirects and stops at a tenth, as Go's client (defaultCheckRedirect) does", async () => {
    const chain = async (redirects: number) => {
      let hops = 0;
      const target = await startServer((_req, res) => {
        hops++;
        if (hops <= redirects) res.writeHead(302, { location: `/metrics?hop=${hops}` }).end();
        else res.writeHead(200, { "content-type": TEXT }).end("a 1\n");
      });
      const proxy = await proxyFor(target.url, "strict");
      return { answer: await get(`${proxy.url}/x`), hops: () => hops };
    };
    const nine = await chain(9);
    expect(nine.answer.status).toBe(200);
    expect(nine.hops()).toBe(10);
    const ten = await chain(10);
    expect(ten.answer.status).toBe(502);
    expect(ten.answer.statusMessage).toMatch(/stopped after 10 redirects/);
    expect(ten.hops()).toBe(10);
  });

  it("reads Location as Go does: the first of two, its bytes as sent, a control character refused, none not followed", async () => {
    const seen: string[] = [];
    const target = await startServer((req, res) => {
      seen.push(req.url ?? "");
      const raw = (location: string) => {
        // node would refuse to write these: the raw bytes go out as latin1
        res.socket?.write(`HTTP/1.1 302 Found\r\n${location}Content-Length: 0\r\n\r\n`, "latin1");
        res.socket?.end();
      };
      if (req.url === "/metrics") raw("Location: /two\r\nLocation: //elsewhere.example/x\r\n");
      else if (req.url === "/two") raw("Location: /m\u00e42\r\n");
      else if (req.url === "/m%E42") raw("Location: /t\tab\r\n");
      else res.writeHead(200, { "content-type": TEXT }).end("a 1\n");
    });
    const proxy = await proxyFor(target.url, "strict");
    const answer = await get(`${proxy.url}/x`);
    expect(seen).toEqual(["/metrics", "/two", "/m%E42"]);
    expect(answer.status).toBe(502);
    expect(answer.statusMessage).toMatch(/redirected to a Location with a control character/);
    const empty = await startServer((_req, res) => {
      res.writeHead(302, { location: "" }).end();
    });
    const noLocation = await get(`${(await proxyFor(empty.url, "strict")).url}/x`);
    expect(noLocation.status).toBe(502);
    expect(noLocation.statusMessage).toMatch(/target answered 302 Found without a Location to follow$/);
    expect(empty.requests).toHaveLength(1);
  });

  it("does not follow a redirect to another port or scheme of the same host", async () => {
    const elsewhere = await startServer(serve("a 1\n", TEXT));
    const target = await startServer((_req, res) => {
      res.writeHead(301, { location: `${elsewhere.url}/metrics` }).end();
    });
    const proxy = await proxyFor(target.url, "strict");
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(502);
    expect(answer.statusMessage).toMatch(/redirects to another origin are not followed/);
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("does not follow a redirect, not even to a host that would answer", async () => {
    const elsewhere = await startServer(serve("a 1\n", TEXT));
    const target = await startServer((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.url}/metrics?secret=1` });
      res.end();
    });
    const proxy = await proxyFor(target.url, "strict");
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain(
      `302 Found redirecting to ${elsewhere.url}/metrics; redirects to another origin are not followed`,
    );
    expect(answer.body).not.toContain("secret");
    expect(elsewhere.requests).toHaveLength(0);
  });

  it("ends within the budget and aborts the target request", async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    const target = await startServer((req) => {
      req.socket.on("close", upstreamClosed);
    });
    const proxy = await proxyFor(target.url, "strict", { maxProcessingTime: 300 });
    const started = performance.now();
    const answer = await get(`${proxy.url}/x`);
    expect(performance.now() - started).toBeLessThan(900);
    expect(answer.status).toBe(504);
    expect(answer.body).toContain("no complete answer within the scrape budget of 300 ms");
    await closed; // the target saw its connection go away: nothing keeps running
  });

  it("shrinks the budget to Prometheus' X-Prometheus-Scrape-Timeout-Seconds", async () => {
    const target = await startServer(hang);
    const proxy = await proxyFor(target.url, "strict");
    const started = performance.now();
    const answer = await get(`${proxy.url}/x`, { "x-prometheus-scrape-timeout-seconds": "0.4" });
    expect(performance.now() - started).toBeLessThan(3 * 400);
    expect(answer.status).toBe(504);
    expect(answer.body).toContain("scrape budget of 330 ms");
  });

  it("times out a body that trickles on forever", async () => {
    const target = await startServer(async (_req, res: http.ServerResponse) => {
      res.writeHead(200, { "content-type": TEXT });
      while (!res.destroyed) {
        res.write("a 1\n");
        await sleep(20);
      }
    });
    const proxy = await proxyFor(target.url, "strict", { maxProcessingTime: 300 });
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(504);
    expect(answer.body).toContain("scrape budget of 300 ms");
  });

  it("breaks the connection when a streamed body exceeds maxBodySize after the status was sent", async () => {
    const target = await startServer(async (_req, res: http.ServerResponse) => {
      res.writeHead(200, { "content-type": TEXT });
      for (let i = 0; i < 40 && !res.destroyed; i++) {
        res.write("x".repeat(10_000));
        await sleep(2);
      }
      res.end();
    });
    // the limit lies past what is held back before the status is committed (the target sends 400 KB)
    const proxy = await proxyFor(target.url, "strict", { maxBodySize: COMMIT_THRESHOLD_BYTES + 50_000 });
    await expect(get(`${proxy.url}/x`)).rejects.toThrow();
    expect(proxy.outcomes).toMatchObject([{ ok: false }]);
    expect(proxy.outcomes[0].reason).toContain("maxBodySize");
  });

  it("records a caller that went away as a failure without answering", async () => {
    const target = await startServer(hang);
    const proxy = await proxyFor(target.url, "strict");
    const req = http.get(`${proxy.url}/x`);
    req.on("error", () => {});
    await sleep(100);
    req.destroy();
    for (let i = 0; i < 50 && proxy.outcomes.length === 0; i++) await sleep(20);
    expect(proxy.outcomes).toMatchObject([{ ok: false, reason: "the caller closed the connection" }]);
  });
});
