import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chooseExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  type OwnMetrics,
  TEXT_004_CONTENT_TYPE,
} from "../../src/metrics/index.js";
import { instance, ownMetrics } from "./helpers.js";

const PROMETHEUS_3_ACCEPT =
  "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," +
  "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," +
  "text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
const PROMETHEUS_2_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75," +
  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

describe("chooseExpositionFormat", () => {
  it.each([
    [PROMETHEUS_3_ACCEPT, "openmetrics"],
    [PROMETHEUS_2_ACCEPT, "openmetrics"],
    ["application/openmetrics-text", "openmetrics"],
    ['application/openmetrics-text; version="1.0.0"', "openmetrics"],
    ["text/plain;q=0, */*", "openmetrics"],
    ["application/*;q=0.9, text/plain;q=0.8", "openmetrics"],
    [undefined, "text"],
    ["", "text"],
    ["*/*", "text"],
    ["text/plain", "text"],
    ["text/plain;version=0.0.4", "text"],
    ["text/plain;version=0.0.4;q=0.9, application/openmetrics-text;version=1.0.0;q=0.5", "text"],
    ["application/openmetrics-text;q=0.5, text/plain;q=0.5", "text"],
    ["application/openmetrics-text;version=2.0.0", "text"],
    ["application/openmetrics-text;q=0", "text"],
    ["application/openmetrics-text;q=banana", "text"],
    ["application/json", "text"],
    ["garbage,,;;==", "text"],
  ])("Accept %j -> %s", (accept, expected) => {
    expect(chooseExpositionFormat(accept)).toBe(expected);
  });

  it("lets the most specific matching range decide the quality", () => {
    // openmetrics is explicitly refused although application/* would accept it.
    expect(chooseExpositionFormat("application/openmetrics-text;q=0, application/*, text/plain;q=0.1")).toBe(
      "text",
    );
  });
});

describe("render over HTTP", () => {
  let server: Server;
  let base: string;
  let metrics: OwnMetrics;

  beforeAll(async () => {
    metrics = ownMetrics();
    metrics.recordScrape({ instance: instance(), ok: false, seconds: 0.5, reason: "HTTP 503" });
    server = createServer((req, res) => {
      metrics.render(req.headers.accept).then(
        ({ contentType, body }) => {
          res.writeHead(200, { "content-type": contentType });
          res.end(body);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/promregatorMetrics`;
  });

  afterAll(async () => {
    metrics.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("answers Prometheus' default Accept with OpenMetrics 1.0.0 ending in # EOF", async () => {
    const res = await fetch(base, { headers: { accept: PROMETHEUS_3_ACCEPT } });
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(body.endsWith("\n# EOF\n")).toBe(true);
    expect(body.indexOf("# EOF")).toBe(body.length - "# EOF\n".length);
    expect(body).toContain("\npromregator_request_failure_total{");
  });

  it("answers text 0.0.4 (never 400) to */*, text/plain and no Accept at all", async () => {
    for (const accept of ["*/*", "text/plain;version=0.0.4", undefined]) {
      const res = await fetch(base, { headers: accept ? { accept } : {} });
      const body = await res.text();
      expect(res.status, String(accept)).toBe(200);
      expect(res.headers.get("content-type"), String(accept)).toBe(TEXT_004_CONTENT_TYPE);
      expect(body).not.toContain("# EOF");
      expect(body).toContain("# TYPE promregator_request_failure_total counter");
    }
  });
});
