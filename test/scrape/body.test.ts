import http from "node:http";
import { deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { COMMIT_THRESHOLD_BYTES } from "../../src/scrape/handler.js";
import { encodeGaugeFamilies } from "../../src/scrape/protobuf.js";
import {
  get,
  instanceFor,
  OM,
  serve,
  sleep,
  stableDuration,
  startProxy,
  startServer,
  TEXT,
  testConfig,
} from "./helpers.js";
import { gaugeFamily, messages } from "./protobuf-wire.js";

const UP_HELP = "Indicator, whether the target of promregator is available";
const DURATION_HELP = "Duration in seconds indicating how long scraping of all metrics took";

const OM_OWN =
  `# TYPE promregator_up gauge\n# HELP promregator_up ${UP_HELP}\npromregator_up 1.0\n` +
  `# TYPE promregator_scrape_duration_seconds gauge\n# HELP promregator_scrape_duration_seconds ${DURATION_HELP}\n` +
  "promregator_scrape_duration_seconds <d>\n";
const TEXT_OWN =
  `# HELP promregator_up ${UP_HELP}\n# TYPE promregator_up gauge\npromregator_up 1.0\n` +
  `# HELP promregator_scrape_duration_seconds ${DURATION_HELP}\n# TYPE promregator_scrape_duration_seconds gauge\n` +
  "promregator_scrape_duration_seconds <d>\n";

const PROTOBUF =
  "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/** The answer's content type and raw bytes. */
async function rawScrape(body: Buffer, contentType: string): Promise<{ type?: string; bytes: Buffer }> {
  const target = await startServer(serve(body, contentType));
  return rawGet((await startProxy(instanceFor(`${target.url}/metrics`))).url);
}

/** One scrape through the proxy at `proxyUrl`, its body as bytes. */
function rawGet(proxyUrl: string): Promise<{ type?: string; bytes: Buffer }> {
  const proxy = { url: proxyUrl };
  return new Promise((resolve, reject) => {
    http
      .get(`${proxy.url}/x`, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ type: res.headers["content-type"], bytes: Buffer.concat(chunks) }));
      })
      .on("error", reject);
  });
}

async function scrapeOnce(body: string | Buffer, contentType?: string, extra: http.OutgoingHttpHeaders = {}) {
  const target = await startServer(serve(body, contentType, extra));
  const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
  const answer = await get(`${proxy.url}/x`);
  return { answer, proxy };
}

/** A target that writes its body in separate pieces with pauses, so they arrive as separate chunks. */
function trickle(contentType: string, pieces: string[], pauseMs = 30) {
  return async (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { "content-type": contentType });
    for (const piece of pieces) {
      res.write(piece);
      await sleep(pauseMs);
    }
    res.end();
  };
}

describe("OpenMetrics bodies", () => {
  it("places own metrics before the final # EOF, TYPE before HELP, keeping the target's content type", async () => {
    const { answer, proxy } = await scrapeOnce("# TYPE a gauge\na 1\n# EOF\n", OM);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toBe(OM);
    expect(stableDuration(answer.body)).toBe(`# TYPE a gauge\na 1\n${OM_OWN}# EOF\n`);
    expect(answer.body).toMatch(/^promregator_scrape_duration_seconds \d+(\.\d+)?$/m);
    expect(proxy.outcomes).toMatchObject([{ ok: true, bytes: 25 }]);
  });

  it("keeps a final # EOF without newline as it is", async () => {
    const a = await scrapeOnce("# TYPE a gauge\na 1\n# EOF", OM);
    expect(stableDuration(a.answer.body)).toBe(`# TYPE a gauge\na 1\n${OM_OWN}# EOF`);
  });

  it.each([['# TYPE http_requests counter\nhttp_requests_total{code="200"} 1027\n'], [""]])(
    "fails a body without # EOF (cut off) instead of completing it: %j",
    async (body) => {
      const { answer, proxy } = await scrapeOnce(body, OM);
      expect(answer.status).toBe(502);
      expect(answer.headers["cache-control"]).toBe("no-store");
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
      expect(answer.body).toContain("OpenMetrics body ended without # EOF");
      expect(answer.body).not.toContain("promregator_up");
      expect(proxy.outcomes).toMatchObject([{ ok: false, reason: "OpenMetrics body ended without # EOF" }]);
    },
  );

  it("compatible mode reports a body without # EOF as promregator_up 0, without the target's samples", async () => {
    const target = await startServer(serve("# TYPE a gauge\na 1\n", OM));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`), {
      config: testConfig({ failureMode: "compatible" }),
    });
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(/^# TYPE promregator_up gauge\n(.*\n)*promregator_up 0\.0\n(.*\n)*# EOF\n$/);
    expect(answer.body).not.toContain("a 1");
  });

  it("removes no blank line: before # EOF it stays (and so does the error), after it the scrape fails", async () => {
    const before = await scrapeOnce("a 1\n\n# EOF\n", OM);
    expect(stableDuration(before.answer.body)).toBe(`a 1\n\n${OM_OWN}# EOF\n`);
    const after = await scrapeOnce("a 1\n# EOF\n\n", OM);
    expect(after.answer.status).toBe(502);
    expect(after.answer.body).toContain("OpenMetrics body has data after # EOF");
    const content = await scrapeOnce("a 1\n# EOF\nb 1\n", OM);
    expect(content.answer.status).toBe(502);
  });

  it("leaves a body with \\r\\n line endings as it is and ends its own lines with \\n", async () => {
    const { answer } = await scrapeOnce("a 1\r\n# EOF\r\n", OM);
    expect(answer.status).toBe(502);
    const text = await scrapeOnce("a 1\r\nb 2\r\n", TEXT);
    expect(stableDuration(text.answer.body)).toBe(`a 1\r\nb 2\r\n${TEXT_OWN}`);
  });

  it("finds # EOF split across chunks", async () => {
    const target = await startServer(trickle(OM, ["# TYPE a gauge\na 1\n#", " E", "OF\n"]));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
    const answer = await get(`${proxy.url}/x`);
    expect(stableDuration(answer.body)).toBe(`# TYPE a gauge\na 1\n${OM_OWN}# EOF\n`);
  });

  it("answers an empty OpenMetrics body without a leading blank line", async () => {
    const { answer } = await scrapeOnce("# EOF\n", OM);
    expect(stableDuration(answer.body)).toBe(`${OM_OWN}# EOF\n`);
  });
});

describe("text 0.0.4 bodies", () => {
  it("appends HELP then TYPE after the body's final newline", async () => {
    const { answer, proxy } = await scrapeOnce("# HELP a x\n# TYPE a gauge\na 1\n", TEXT);
    expect(answer.headers["content-type"]).toBe(TEXT);
    expect(stableDuration(answer.body)).toBe(`# HELP a x\n# TYPE a gauge\na 1\n${TEXT_OWN}`);
    // At debug level each scrape is logged with the instance and the target's body size.
    const scraped = proxy.logs.filter((l) => l.msg === "scraped");
    expect(scraped).toEqual([
      expect.objectContaining({ level: 20, instanceId: instanceFor("").instanceId, bytes: 30 }),
    ]);
  });

  it("accepts lenient content types and answers with an explicit version", async () => {
    const bare = await scrapeOnce("a 1\n", "text/plain; escaping=underscores");
    expect(bare.answer.status).toBe(200);
    // the version added, every parameter the target sent kept
    expect(bare.answer.headers["content-type"]).toBe("text/plain; version=0.0.4; escaping=underscores");
    const upper = await scrapeOnce("a 1\n", "text/plain; version=0.0.4; charset=UTF-8");
    expect(upper.answer.status).toBe(200);
    expect(upper.answer.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=UTF-8");
    const none = await scrapeOnce("a 1\n");
    expect(none.answer.headers["content-type"]).toBe(TEXT);
    expect(stableDuration(none.answer.body)).toBe(`a 1\n${TEXT_OWN}`);
  });

  it("accepts a response head far over undici's 16 KiB, as Prometheus' Go client (10 MB) does", async () => {
    const { answer } = await scrapeOnce("a 1\n", TEXT, { "x-large-cookie": "c".repeat(70_000) });
    expect(answer.status).toBe(200);
    expect(stableDuration(answer.body)).toBe(`a 1\n${TEXT_OWN}`);
  });

  it("reads any other type, and a header Go cannot parse, as the text format, as Prometheus does; the header unchanged", async () => {
    for (const type of [
      "application/json",
      "text/html; charset=utf-8",
      "text/plain; version=0.0.5",
      // Go's mime.ParseMediaType refuses these, so Prometheus uses its text parser whatever the type says
      "application/openmetrics-text; charset",
      "application/openmetrics-text; version=1.0.0; charset=utf-8; charset=utf-8",
    ]) {
      const { answer } = await scrapeOnce("a 1\n", type);
      expect(answer.status, type).toBe(200);
      expect(answer.headers["content-type"], type).toBe(type);
      // text rules: own samples after the final newline, no # EOF required or added
      expect(stableDuration(answer.body), type).toBe(`a 1\n${TEXT_OWN}`);
    }
  });
});

describe("bodies passed through without own samples", () => {
  it.each([
    ["# TYPE a gauge\na 1\npromregator_up 1\n", "already use promregator_up"],
    ["# HELP a x\n# TYPE a gauge\nbla 3.14", "text body does not end with a newline"],
  ])("passes %j unchanged, without own samples, warning once per instance", async (body, why) => {
    const target = await startServer(serve(body, TEXT));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
    expect((await get(`${proxy.url}/x`)).body).toBe(body);
    expect((await get(`${proxy.url}/x`)).body).toBe(body);
    const warnings = proxy.logs.filter((l) => String(l.msg).includes(why));
    expect(warnings).toHaveLength(1);
    expect(proxy.outcomes.map((o) => o.ok)).toEqual([true, true]);
  });

  it("detects a reserved TYPE line split across chunks", async () => {
    const pieces = ["# TYPE a gauge\na 1\n# TYPE promregator_sc", "rape_duration_seconds gauge\n", "# EOF\n"];
    const target = await startServer(trickle(OM, pieces));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
    expect((await get(`${proxy.url}/x`)).body).toBe(pieces.join(""));
  });

  it("does not mistake a longer name for a reserved one", async () => {
    const { answer } = await scrapeOnce("promregator_up_total 1\n", TEXT);
    expect(stableDuration(answer.body)).toBe(`promregator_up_total 1\n${TEXT_OWN}`);
  });
});

describe("encodings and formats", () => {
  it("decodes a gzip body from the target and answers uncompressed", async () => {
    const body = "# TYPE a gauge\na 1\n# EOF\n";
    const { answer, proxy } = await scrapeOnce(gzipSync(body), OM, { "content-encoding": "gzip" });
    expect(answer.headers["content-encoding"]).toBeUndefined();
    expect(stableDuration(answer.body)).toBe(`# TYPE a gauge\na 1\n${OM_OWN}# EOF\n`);
    expect(proxy.outcomes[0].bytes).toBe(Buffer.byteLength(body));
  });

  it("passes a body labelled other than exactly gzip on undecoded, as Prometheus would read it, warning once", async () => {
    // A valid body labelled "foo" stays valid (Prometheus accepts it from the target too)...
    const plain = await scrapeOnce("a 1\n", TEXT, { "content-encoding": "foo" });
    expect(stableDuration(plain.answer.body)).toBe(`a 1\n${TEXT_OWN}`);
    expect(plain.answer.headers["content-encoding"]).toBeUndefined();
    // ...and a deflate body stays the bytes Prometheus would fail to parse from the target.
    const compressed = deflateSync("a 1\n");
    const target = await startServer(serve(compressed, TEXT, { "content-encoding": "deflate" }));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
    for (let i = 0; i < 2; i++) {
      const { bytes } = await rawGet(proxy.url);
      expect(bytes.equals(compressed)).toBe(true);
    }
    const warnings = proxy.logs.filter((l) => String(l.msg).includes('Content-Encoding "deflate"'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0].msg)).toContain('only exactly "gzip"');
    // the encoding is the cause: no second warning about the compressed bytes' missing final newline
    expect(proxy.logs.filter((l) => String(l.msg).includes("does not end with a newline"))).toEqual([]);
  });

  it("appends own samples to protobuf as length-delimited MetricFamily messages, the body byte for byte", async () => {
    const payload = encodeGaugeFamilies([{ name: "app_metric", help: "x", value: 7 }]);
    const raw = await rawScrape(payload, PROTOBUF);
    expect(raw.type).toBe(PROTOBUF);
    expect(raw.bytes.subarray(0, payload.length).equals(payload)).toBe(true);
    const own = messages(raw.bytes.subarray(payload.length)).map(gaugeFamily);
    expect(own.map((f) => [f.name, f.type])).toEqual([
      ["promregator_up", 1],
      ["promregator_scrape_duration_seconds", 1],
    ]);
    expect(own[0].value).toBe(1);
  });

  it("passes a protobuf body that has a promregator_up family unchanged", async () => {
    const payload = encodeGaugeFamilies([{ name: "promregator_up", help: "x", value: 1 }]);
    const raw = await rawScrape(payload, PROTOBUF);
    expect(raw.bytes.equals(payload)).toBe(true);
  });

  it("fails a protobuf body that ends inside a message", async () => {
    const payload = encodeGaugeFamilies([{ name: "app_metric", help: "x", value: 7 }]);
    const { answer } = await scrapeOnce(payload.subarray(0, payload.length - 3), PROTOBUF);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain("protobuf body ended inside a message");
  });
});

describe("streaming", () => {
  it("sends a large body before the target has finished it", async () => {
    const line = 'big_metric{i="x"} 1\n';
    // beyond what is held back before the 200 is committed
    const firstPart = line.repeat(Math.ceil(COMMIT_THRESHOLD_BYTES / line.length) + 1);
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const target = await startServer(async (_req, res) => {
      res.writeHead(200, { "content-type": TEXT });
      res.write(firstPart);
      await released;
      res.end("last 1\n");
    });
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
    const result = await new Promise<{ before: number; body: string; chunked: boolean }>(
      (resolve, reject) => {
        http
          .get(`${proxy.url}/x`, (res) => {
            const chunks: Buffer[] = [];
            let received = 0;
            let before = -1;
            res.on("data", (c: Buffer) => {
              chunks.push(c);
              received += c.length;
              if (before === -1 && received >= firstPart.length) {
                before = received;
                release();
              }
            });
            res.on("end", () =>
              resolve({
                before,
                body: Buffer.concat(chunks).toString("utf8"),
                chunked: res.headers["transfer-encoding"] === "chunked",
              }),
            );
          })
          .on("error", reject);
      },
    );
    expect(result.before).toBeGreaterThanOrEqual(firstPart.length);
    expect(result.chunked).toBe(true);
    expect(stableDuration(result.body)).toBe(`${firstPart}last 1\n${TEXT_OWN}`);
  });

  it("answers a small body with Content-Length", async () => {
    const { answer } = await scrapeOnce("a 1\n", TEXT);
    expect(Number(answer.headers["content-length"])).toBe(Buffer.byteLength(answer.body));
  });

  it("answers a body of several socket reads, below the commit threshold, whole with Content-Length", async () => {
    const line = 'mid_metric{i="x"} 1\n';
    const body = line.repeat(Math.floor((COMMIT_THRESHOLD_BYTES - 1024) / line.length));
    expect(body.length).toBeGreaterThan(128 * 1024);
    const { answer } = await scrapeOnce(body, TEXT);
    expect(answer.headers["transfer-encoding"]).toBeUndefined();
    expect(Number(answer.headers["content-length"])).toBe(Buffer.byteLength(answer.body));
    expect(stableDuration(answer.body)).toBe(`${body}${TEXT_OWN}`);
  });
});
