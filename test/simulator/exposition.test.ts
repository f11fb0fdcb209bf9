import { gunzipSync } from "node:zlib";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LandscapeSpec,
  OPENMETRICS_CONTENT_TYPE,
  type RunningSimulator,
  startSimulator,
  TEXT_CONTENT_TYPE,
} from "../../src/simulator/index.js";
import { negotiateFormat, renderExposition } from "../../src/simulator/router/exposition.js";

const LABELS = '\\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\\}';
const SAMPLE = new RegExp(`^[a-zA-Z_:][a-zA-Z0-9_:]*(${LABELS})? -?[0-9.e+]+$`);
/** OpenMetrics allows an exemplar after a bucket or counter sample: ` # {labels} value [timestamp]`. */
const SAMPLE_WITH_EXEMPLAR = new RegExp(
  `^[a-zA-Z_:][a-zA-Z0-9_:]*_bucket(${LABELS}) [0-9]+ # ${LABELS} [0-9.e+-]+$`,
);

/** Checks the line grammar and that every sample belongs to a family declared by a TYPE line before it. */
function checkExposition(body: string, format: "text" | "openmetrics"): Map<string, string> {
  const types = new Map<string, string>();
  const lines = body.split("\n");
  expect(lines.pop()).toBe("");
  if (format === "openmetrics") expect(lines.pop()).toBe("# EOF");
  for (const line of lines) {
    expect(line).not.toBe("# EOF");
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (line.startsWith("# HELP ")) continue;
    if (format === "openmetrics" && line.includes(" # {")) expect(line).toMatch(SAMPLE_WITH_EXEMPLAR);
    else expect(line).toMatch(SAMPLE);
    const name = line.split(/[{ ]/)[0];
    const family = [...types.keys()].find(
      (f) => name === f || name.startsWith(`${f}_`) || (format === "text" && name === f),
    );
    expect(family, `sample ${name} has no TYPE`).toBeDefined();
  }
  return types;
}

describe("metrics exposition", () => {
  it("renders valid text 0.0.4 with counters, gauges, a histogram and the instance marker", () => {
    const body = renderExposition("my-app", 2, "text");
    const types = checkExposition(body, "text");
    expect(types.get("http_requests_total")).toBe("counter");
    expect(types.get("http_request_duration_seconds")).toBe("histogram");
    expect(types.get("process_resident_memory_bytes")).toBe("gauge");
    expect(body).toContain('sim_instance_info{app="my-app",index="2"} 1\n');
    expect(body).toContain('http_request_duration_seconds_bucket{le="+Inf"}');
  });

  it("renders OpenMetrics with unsuffixed counter families and a final # EOF", () => {
    const body = renderExposition("my-app", 0, "openmetrics");
    const types = checkExposition(body, "openmetrics");
    expect(types.get("http_requests")).toBe("counter");
    expect(types.has("http_requests_total")).toBe(false);
    expect(body.endsWith("# EOF\n")).toBe(true);
  });

  it("pads bodies to about the configured size", () => {
    for (const size of [5_000, 50_000, 500_000]) {
      const length = Buffer.byteLength(renderExposition("a", 0, "text", size));
      expect(length).toBeGreaterThanOrEqual(size * 0.95);
      expect(length).toBeLessThanOrEqual(size * 1.05);
    }
    checkExposition(renderExposition("a", 0, "openmetrics", 50_000), "openmetrics");
  });

  it("counters never decrease between scrapes", () => {
    const value = (body: string) =>
      Number(/http_requests_total\{method="GET",route="\/health",code="200"\} (\d+)/.exec(body)?.[1]);
    const now = Date.now();
    const first = value(renderExposition("a", 1, "text", 0, now));
    const later = value(renderExposition("a", 1, "text", 0, now + 60_000));
    expect(later).toBeGreaterThan(first);
  });

  it("negotiates OpenMetrics only for OpenMetrics instances and accepting clients", () => {
    const promregatorAccept =
      "application/openmetrics-text; version=1.0.0; charset=utf-8, text/plain; version=0.0.4; charset=utf-8;q=0.9";
    expect(negotiateFormat("openmetrics", promregatorAccept)).toBe("openmetrics");
    expect(negotiateFormat("openmetrics", "text/plain")).toBe("text");
    expect(negotiateFormat("openmetrics", undefined)).toBe("text");
    expect(negotiateFormat("text", promregatorAccept)).toBe("text");
  });
});

const landscape: LandscapeSpec = {
  domains: [{ name: "apps.example.org" }],
  orgs: [
    {
      name: "o",
      spaces: [
        {
          name: "s",
          apps: [
            { name: "om", behaviour: { format: "openmetrics", sizeBytes: 20_000 } },
            {
              name: "annotated",
              metricsPath: "/custom/metrics",
              annotations: { "prometheus.io/scrape": "true", "prometheus.io/path": "/custom/metrics" },
            },
          ],
        },
      ],
    },
  ],
};

describe("instances behind the router", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ landscape, tls: false });
  });
  afterAll(async () => {
    await sim?.close();
  });
  const scrape = (host: string, path: string, headers: Record<string, string> = {}) =>
    request(`${sim.routerUrl}${path}`, { headers: { host, ...headers } });

  it("answers OpenMetrics with the right content type when asked", async () => {
    const res = await scrape("om.apps.example.org", "/metrics", {
      accept: "application/openmetrics-text; version=1.0.0",
    });
    expect(res.headers["content-type"]).toBe(OPENMETRICS_CONTENT_TYPE);
    const body = await res.body.text();
    expect(body.endsWith("# EOF\n")).toBe(true);
    expect(Buffer.byteLength(body)).toBeGreaterThan(19_000);
    const plain = await scrape("om.apps.example.org", "/metrics");
    expect(plain.headers["content-type"]).toBe(TEXT_CONTENT_TYPE);
    await plain.body.dump();
  });

  it("compresses with gzip when the client accepts it", async () => {
    const res = await scrape("om.apps.example.org", "/metrics", { "accept-encoding": "gzip" });
    expect(res.headers["content-encoding"]).toBe("gzip");
    const compressed = Buffer.from(await res.body.arrayBuffer());
    expect(Number(res.headers["content-length"])).toBe(compressed.length);
    const text = gunzipSync(compressed).toString("utf8");
    expect(text).toContain('sim_instance_info{app="om",index="0"} 1');
    expect(compressed.length).toBeLessThan(Buffer.byteLength(text));
    const identity = await scrape("om.apps.example.org", "/metrics", {
      "accept-encoding": "gzip;q=0, identity",
    });
    expect(identity.headers["content-encoding"]).toBeUndefined();
    await identity.body.dump();
  });

  it("serves the annotated metrics path and 404 elsewhere", async () => {
    const ok = await scrape("annotated.apps.example.org", "/custom/metrics");
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    const missing = await scrape("annotated.apps.example.org", "/metrics");
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  });
});
