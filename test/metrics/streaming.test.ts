import { once } from "node:events";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { type FamilySnapshot, writeExposition } from "../../src/metrics/exposition.js";
import { exponentialBuckets, JAVA_DEFAULT_BUCKETS, targetFamilies } from "../../src/metrics/families.js";
import { formatLabelPairs, InstanceSeries } from "../../src/metrics/instance-series.js";
import type { ExpositionFormat } from "../../src/metrics/negotiate.js";
import { sendChunks } from "../../src/server/respond.js";
import { instance, ownMetrics, samplesOf } from "./helpers.js";

const NAMES = ["org_name", "space_name", "app_name", "cf_instance_id", "cf_instance_number"];

/** The same families as prom-client children, the way they were kept before the typed-array store. */
function promClientTwin() {
  const registry = new Registry();
  const registers = [registry];
  const labelNames = NAMES;
  return {
    registry,
    failure: new Counter({
      name: "promregator_request_failure_total",
      help: targetFamilies(true).requestFailure.help,
      labelNames,
      registers,
    }),
    size: new Histogram({
      name: "promregator_request_size_bytes",
      help: targetFamilies(true).requestSize.help,
      labelNames,
      buckets: exponentialBuckets(100, 1.5, 16),
      registers,
    }),
    latency: new Histogram({
      name: "promregator_request_latency_milliseconds",
      help: targetFamilies(true).requestLatency!.help,
      labelNames,
      buckets: JAVA_DEFAULT_BUCKETS,
      registers,
    }),
    up: new Gauge({
      name: "promregator_scrape_up",
      help: targetFamilies(true).scrapeUp.help,
      labelNames,
      registers,
    }),
    duration: new Gauge({
      name: "promregator_scrape_last_duration_seconds",
      help: targetFamilies(true).scrapeDuration.help,
      labelNames,
      registers,
    }),
  };
}

async function promClientText(twin: ReturnType<typeof promClientTwin>, format: ExpositionFormat) {
  const snapshots = await Promise.all(
    twin.registry.getMetricsAsArray().map((m) => {
      const metric = m as unknown as {
        get(): Promise<FamilySnapshot>;
        getForPromString?: () => Promise<FamilySnapshot>;
      };
      return metric.getForPromString ? metric.getForPromString() : metric.get();
    }),
  );
  // writeExposition adds "# EOF" for OpenMetrics; the store renders only its families.
  return writeExposition(snapshots, format).replace(/# EOF\n$/, "");
}

async function storeText(series: InstanceSeries, format: ExpositionFormat): Promise<string> {
  let text = "";
  for await (const chunk of series.render(format, async () => {})) text += chunk;
  return text;
}

describe("per-instance series store", () => {
  it("renders byte for byte what prom-client children rendered, in both formats, across removal and re-use", async () => {
    const series = new InstanceSeries(targetFamilies(true));
    const twin = promClientTwin();
    const slots = new Map<number, number>();
    const labelsOf = (i: number) => {
      const values = [`org"${i % 3}\\`, `space\n${i % 2}`, `app-${i}`, `guid-${i}:${i % 4}`, String(i % 4)];
      return { values, record: Object.fromEntries(NAMES.map((n, k) => [n, values[k]])) };
    };
    const record = (i: number, ok: boolean, bytes: number | undefined, seconds: number | undefined) => {
      const { values, record: labels } = labelsOf(i);
      let slot = slots.get(i);
      if (slot === undefined) {
        slot = series.add(formatLabelPairs(NAMES, values));
        slots.set(i, slot);
      }
      series.record(slot, { ok, bytes, seconds });
      twin.failure.inc(labels, ok ? 0 : 1);
      if (ok && bytes !== undefined) twin.size.observe(labels, bytes);
      if (seconds !== undefined) twin.latency.observe(labels, seconds);
      twin.up.set(labels, ok ? 1 : 0);
      if (seconds !== undefined) twin.duration.set(labels, seconds);
    };
    const remove = (i: number) => {
      series.remove(slots.get(i)!);
      slots.delete(i);
      const { record: labels } = labelsOf(i);
      for (const family of [twin.failure, twin.size, twin.latency, twin.up, twin.duration])
        family.remove(labels);
    };
    const sizes = [0, 99.5, 100, 150.25, 43789.38903808594, 43790, 1e7, 7];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 12; i++) {
        const ok = (i + round) % 4 !== 0;
        record(
          i,
          ok,
          ok ? sizes[(i + round) % sizes.length] : undefined,
          i === 5 ? undefined : 0.004 * (i + round),
        );
      }
    }
    remove(3);
    remove(0);
    record(3, true, 500, 0.2);
    record(20, false, undefined, undefined);

    for (const format of ["text", "openmetrics"] as const) {
      expect(await storeText(series, format)).toBe(await promClientText(twin, format));
    }
  });

  it("hands the render out in chunks and lets the event loop run between them", async () => {
    const metrics = ownMetrics();
    for (let i = 0; i < 2_000; i++) {
      metrics.recordScrape({
        instance: instance({ instanceId: `app-${i}:0`, appName: `app-${i}` }),
        ok: true,
        bytes: 2_000,
        seconds: 0.01,
      });
    }
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const sizes: number[] = [];
    let turnsBeforeLastChunk = 0;
    try {
      for await (const chunk of metrics.renderChunks(undefined).chunks) {
        sizes.push(chunk.length);
        turnsBeforeLastChunk = turns;
      }
    } finally {
      clearInterval(ticker);
    }
    expect(sizes.length).toBeGreaterThan(10);
    // Chunks close at about 64 K characters (plus one series).
    expect(Math.max(...sizes)).toBeLessThan(80 * 1024);
    expect(turnsBeforeLastChunk).toBeGreaterThan(0);
  });

  it("leaves out the series of an instance removed while a render is under way", async () => {
    let now = 1_000_000;
    const metrics = ownMetrics({ discovererTimeoutSeconds: 60, now: () => now });
    const ids = Array.from({ length: 1_500 }, (_, i) => `app-${i}:0`);
    for (const id of ids)
      metrics.recordScrape({ instance: instance({ instanceId: id }), ok: true, bytes: 1, seconds: 0 });
    const iterator = metrics.renderChunks(undefined).chunks[Symbol.asyncIterator]();
    let body = (await iterator.next()).value as string;
    now += 61_000;
    metrics.recordScrape({ instance: instance({ instanceId: "late:0" }), ok: false, seconds: 1 });
    expect(metrics.sweep()).toBe(ids.length);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) body += next.value;

    // Every instance but "late:0" went while the render was in its first family.
    const ups = samplesOf(body, "promregator_scrape_up").map((s) => s.labels.cf_instance_id);
    expect(ups).toEqual(["late:0"]);
    const failures = samplesOf(body, "promregator_request_failure_total").map((s) => s.labels.cf_instance_id);
    expect(failures.length).toBeLessThan(ids.length);
    expect(new Set(failures).size).toBe(failures.length);
  });
});

describe("sendChunks", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.close();
    server = undefined;
  });

  async function serve(chunks: () => AsyncIterable<string>) {
    server = createServer((req, res) => {
      sendChunks(req, res, 200, "text/plain; version=0.0.4; charset=utf-8", chunks()).catch(() =>
        res.destroy(),
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return (server.address() as AddressInfo).port;
  }

  function get(port: number, headers: Record<string, string> = {}) {
    return new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      request({ port, host: "127.0.0.1", path: "/", headers }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
        res.on("error", reject);
      })
        .on("error", reject)
        .end();
    });
  }

  const line = `${"x".repeat(99)}\n`;
  async function* many(count: number) {
    for (let i = 0; i < count; i++) yield line.repeat(100);
  }

  it("streams a long body chunked, gzip-compressed when accepted, and sends a short one whole", async () => {
    const port = await serve(() => many(50));
    const expected = line.repeat(100 * 50);

    const gzipped = await get(port, { "accept-encoding": "gzip" });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.headers["transfer-encoding"]).toBe("chunked");
    expect(gunzipSync(gzipped.body).toString()).toBe(expected);

    const plain = await get(port);
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers["content-length"]).toBeUndefined();
    expect(plain.body.toString()).toBe(expected);

    server?.close();
    const small = await serve(() => many(1));
    const whole = await get(small, { "accept-encoding": "gzip" });
    expect(whole.headers["content-length"]).toBe(String(whole.body.length));
    expect(gunzipSync(whole.body).toString()).toBe(line.repeat(100));
  });
});
