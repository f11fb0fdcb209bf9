import type { ServerResponse } from "node:http";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CfApiError, UaaError } from "../../src/cf/index.js";
import { authorised, failure, page, testConfig, useFakeCf } from "./fake-cf.js";

/**
 * Promregator sends no Accept-Encoding, which lets a server (or a proxy in front of CC and UAA) use any content
 * coding (RFC 9110 §12.5.3). gzip, x-gzip and deflate are decoded, within cf.request.maxBodySize also once
 * decoded; any other coding fails naming it.
 */
const cf = useFakeCf();

const APP = {
  guid: "a1",
  name: "app-one",
  state: "STARTED",
  relationships: { space: { data: { guid: "s1" } } },
  metadata: { labels: {}, annotations: {} },
};
const APPS = Buffer.from(JSON.stringify(page([APP])));

function encoded(
  res: ServerResponse,
  status: number,
  coding: string,
  body: Buffer,
  type = "application/json",
) {
  res.writeHead(status, { "content-type": type, "content-encoding": coding, "content-length": body.length });
  res.end(body);
}

/** GET /v3/apps answers `status` with `body` in `coding`, to an authorised caller. */
function serveApps(coding: string, body: Buffer, status = 200): void {
  cf.fake.on("GET /v3/apps", (req, res, f) => {
    if (authorised(req, res, f)) encoded(res, status, coding, body);
  });
}

const listApps = () => cf.client().listApps({ spaceGuids: ["s1"] });

describe("Content-Encoding of Cloud Controller and UAA answers", () => {
  it.each([
    ["gzip", gzipSync(APPS)],
    ["x-gzip", gzipSync(APPS)],
    ["GZip", gzipSync(APPS)],
    ["deflate", deflateSync(APPS)],
    ["deflate", deflateRawSync(APPS)],
    ["gzip, deflate", deflateSync(gzipSync(APPS))],
    ["identity", APPS],
  ])("a list page in %s is read", async (coding, body) => {
    serveApps(coding, body);
    expect(await listApps()).toEqual([expect.objectContaining({ guid: "a1", name: "app-one" })]);
    // the decision: nothing is asked for, what comes is decoded
    expect(cf.fake.requestsTo("/v3/apps")[0]!.headers["accept-encoding"]).toBeUndefined();
  });

  it("a token answer in gzip is read", async () => {
    cf.fake.on("POST /oauth/token", (_req, res, f) => {
      f.validTokens.add("zipped-token");
      const token = { access_token: "zipped-token", token_type: "bearer", expires_in: 600 };
      encoded(res, 200, "gzip", gzipSync(JSON.stringify(token)));
    });
    serveApps("gzip", gzipSync(APPS));
    expect(await listApps()).toHaveLength(1);
  });

  it("a gzip error page is shown decoded, and a 502 is retried as ever", async () => {
    serveApps("gzip", gzipSync("<html><h1>502 Bad Gateway</h1></html>"), 502);
    const err = await failure(listApps());
    expect(err.message).toBe(
      'GET /v3/apps failed with status 502: non-JSON body "<html><h1>502 Bad Gateway</h1></html>"',
    );
    expect(cf.fake.requestsTo("/v3/apps")).toHaveLength(2);
  });

  it("an empty body labelled gzip is read as the empty body it is, not as broken gzip", async () => {
    serveApps("gzip", Buffer.alloc(0), 500);
    const err = await failure(listApps());
    expect(err.message).toMatch(/^GET \/v3\/apps failed with status 500/);
    expect(err.message).not.toMatch(/does not decode/);
  });

  it("a gzip bomb fails at cf.request.maxBodySize of decoded bytes, not retried", async () => {
    const cap = 1024 * 1024;
    // 16 MB of zeros in about 16 KB
    const bomb = gzipSync(Buffer.alloc(16 * cap));
    expect(bomb.length).toBeLessThan(cap / 32);
    serveApps("gzip", bomb);
    const base = testConfig(cf.fake.url);
    const client = cf.client({ request: { ...base.request, maxBodySize: cap } });
    const err = await failure(client.listApps({ spaceGuids: ["s1"] }));
    expect(err).toBeInstanceOf(CfApiError);
    expect((err as CfApiError).kind).toBe("size");
    expect(err.message).toBe(
      "GET /v3/apps failed: the answer body is larger than 1048576 bytes once decoded from gzip (cf.request.maxBodySize)",
    );
    expect(cf.fake.requestsTo("/v3/apps")).toHaveLength(1);
  });

  it.each([
    [
      "br",
      brotliCompressSync(APPS),
      'with a body in Content-Encoding "br", which Promregator does not decode (only gzip, x-gzip and deflate)',
    ],
    [
      "gzip, zstd",
      APPS,
      'with a body in Content-Encoding "gzip, zstd", which Promregator does not decode (only gzip, x-gzip and deflate)',
    ],
    [
      "gzip",
      APPS,
      'with a body in Content-Encoding "gzip" that does not decode as gzip: incorrect header check',
    ],
  ])(
    "a 200 in %s fails naming the coding, not as 'not JSON', and is not retried",
    async (coding, body, said) => {
      serveApps(coding, body);
      const err = await failure(listApps());
      expect(err).toBeInstanceOf(CfApiError);
      expect((err as CfApiError).kind).toBe("malformed");
      expect(err.message).toBe(`GET /v3/apps answered 200 ${said}`);
      expect(cf.fake.requestsTo("/v3/apps")).toHaveLength(1);
    },
  );

  it("a token answer in a coding not decoded names it", async () => {
    cf.fake.on("POST /oauth/token", (_req, res) => encoded(res, 200, "br", brotliCompressSync("{}")));
    serveApps("gzip", gzipSync(APPS));
    const err = await failure(listApps());
    expect(err).toBeInstanceOf(UaaError);
    expect(err.message).toBe(
      `UAA at ${cf.fake.url} answered 200 with a body in Content-Encoding "br", which Promregator does not decode (only gzip, x-gzip and deflate)`,
    );
  });

  it("a refused login in a coding not decoded is still a refusal (backoff)", async () => {
    cf.fake.on("POST /oauth/token", (_req, res) =>
      encoded(res, 401, "br", brotliCompressSync(JSON.stringify({ error: "unauthorized" }))),
    );
    const err = await failure(listApps());
    expect(err.message).toMatch(
      /^CF rejected the credentials for user "alice": a body in Content-Encoding "br", which .*; next try at /,
    );
  });
});
