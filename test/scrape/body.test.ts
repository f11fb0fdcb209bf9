import http from "node:http";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
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
} from "./helpers.js";

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

  it("handles # EOF without a trailing newline and a body without # EOF", async () => {
    const a = await scrapeOnce("# TYPE a gauge\na 1\n# EOF", OM);
    expect(stableDuration(a.answer.body)).toBe(`# TYPE a gauge\na 1\n${OM_OWN}# EOF\n`);
    const b = await scrapeOnce("# TYPE a gauge\na 1\n", OM);
    expect(stableDuration(b.answer.body)).toBe(`# TYPE a gauge\na 1\n${OM_OWN}# EOF\n`);
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
  it("appends HELP then TYPE, inserting the newline a body without one lacks", async () => {
    const { answer } = await scrapeOnce("# HELP a x\n# TYPE a gauge\na 1", TEXT);
    expect(answer.headers["content-type"]).toBe(TEXT);
    expect(stableDuration(answer.body)).toBe(`# HELP a x\n# TYPE a gauge\na 1\n${TEXT_OWN}`);
  });

  it("accepts lenient content types and answers with an explicit version", async () => {
    const bare = await scrapeOnce("a 1\n", "text/plain");
    expect(bare.answer.status).toBe(200);
    expect(bare.answer.headers["content-type"]).toBe(TEXT);
    const upper = await scrapeOnce("a 1\n", "text/plain; version=0.0.4; charset=UTF-8");
    expect(upper.answer.status).toBe(200);
    expect(upper.answer.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=UTF-8");
    const none = await scrapeOnce("a 1\n");
    expect(none.answer.headers["content-type"]).toBe(TEXT);
    expect(stableDuration(none.answer.body)).toBe(`a 1\n${TEXT_OWN}`);
  });
});

describe("reserved names", () => {
  it("passes the body unchanged when a later line uses promregator_up, warning once per instance", async () => {
    const body = "# TYPE a gauge\na 1\npromregator_up 1\n";
    const target = await startServer(serve(body, TEXT));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
    expect((await get(`${proxy.url}/x`)).body).toBe(body);
    expect((await get(`${proxy.url}/x`)).body).toBe(body);
    const warnings = proxy.logs.filter((l) => String(l.msg).includes("already use promregator_up"));
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

  it("passes protobuf through byte for byte with nothing appended", async () => {
    const payload = Buffer.from([0x0a, 0x08, 0x70, 0x72, 0x6f, 0x6d, 0x0a, 0x00, 0xff, 0x80, 0x10]);
    const type =
      "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    const target = await startServer(serve(payload, type));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
    const raw = await new Promise<{ type?: string; bytes: Buffer }>((resolve, reject) => {
      http
        .get(`${proxy.url}/x`, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ type: res.headers["content-type"], bytes: Buffer.concat(chunks) }));
        })
        .on("error", reject);
    });
    expect(raw.type).toBe(type);
    expect(raw.bytes.equals(payload)).toBe(true);
  });
});

describe("streaming", () => {
  it("sends a large body before the target has finished it", async () => {
    const firstPart = `${'big_metric{i="x"} 1\n'.repeat(8000)}`; // ~170 KB, beyond the commit threshold
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
});
