import { describe, expect, it } from "vitest";
import { instance, openMetricsOf, ownMetrics, parseExposition, samplesOf, textOf } from "./helpers.js";

const FIVE = ["org_name", "space_name", "app_name", "cf_instance_id", "cf_instance_number"];

const SIZE_BUCKETS = [
  "100.0",
  "150.0",
  "225.0",
  "337.5",
  "506.25",
  "759.375",
  "1139.0625",
  "1708.59375",
  "2562.890625",
  "3844.3359375",
  "5766.50390625",
  "8649.755859375",
  "12974.6337890625",
  "19461.95068359375",
  "29192.926025390625",
  "43789.38903808594",
  "+Inf",
];

const LATENCY_BUCKETS = [
  "0.005",
  "0.01",
  "0.025",
  "0.05",
  "0.075",
  "0.1",
  "0.25",
  "0.5",
  "0.75",
  "1.0",
  "2.5",
  "5.0",
  "7.5",
  "10.0",
  "+Inf",
];

describe("Java-compatible per-instance families", () => {
  it("exposes names, types and HELP texts exactly as the Java version (text 0.0.4)", async () => {
    const metrics = ownMetrics({ requestLatency: true });
    const families = parseExposition(await textOf(metrics));

    expect(families.get("promregator_request_failure_total")).toMatchObject({
      type: "counter",
      help: "Requests, which responded, but the HTTP code indicated an error or the connection dropped/timed out",
    });
    expect(families.get("promregator_request_size_bytes")).toMatchObject({
      type: "histogram",
      help: "The size in bytes of the document, which the scraped targets sent to promregator",
    });
    expect(families.get("promregator_request_latency_milliseconds")).toMatchObject({
      type: "histogram",
      help: "The latency, which the targets of the promregator produce",
    });
  });

  it("uses the Java family names without _total in OpenMetrics and _total on counter samples", async () => {
    const metrics = ownMetrics();
    metrics.recordScrape({ instance: instance(), ok: false, seconds: 0.1, reason: "HTTP 500" });
    const body = await openMetricsOf(metrics);
    const families = parseExposition(body);

    expect(families.get("promregator_request_failure")?.type).toBe("counter");
    expect(families.has("promregator_request_failure_total")).toBe(false);
    expect(samplesOf(body, "promregator_request_failure_total")).toHaveLength(1);
    // OpenMetrics: TYPE before HELP, as the Java version writes it.
    expect(body).toMatch(
      /# TYPE promregator_request_size_bytes histogram\n# HELP promregator_request_size_bytes /,
    );
  });

  it("observes body sizes into the exponential 100 x 1.5^n buckets with the five labels", async () => {
    const metrics = ownMetrics();
    metrics.recordScrape({ instance: instance(), ok: true, bytes: 1234, seconds: 0.2 });
    const body = await textOf(metrics);

    const buckets = samplesOf(body, "promregator_request_size_bytes_bucket");
    expect(buckets.map((b) => b.labels.le)).toEqual(SIZE_BUCKETS);
    // 1234 lies between 1139.0625 and 1708.59375.
    expect(buckets.find((b) => b.labels.le === "1139.0625")?.value).toBe("0");
    expect(buckets.find((b) => b.labels.le === "1708.59375")?.value).toBe("1");
    expect(samplesOf(body, "promregator_request_size_bytes_sum")[0].value).toBe("1234");
    expect(Object.keys(buckets[0].labels)).toEqual([...FIVE, "le"]);
    expect(buckets[0].labels).toMatchObject({
      org_name: "myorg",
      space_name: "dev",
      app_name: "shop",
      cf_instance_id: "0b1c2d3e-1111-4a5b-9c8d-0123456789ab:0",
      cf_instance_number: "0",
    });
  });

  it("counts failures per instance and starts the counter at 0 on a successful scrape", async () => {
    const metrics = ownMetrics();
    const ok = instance({ index: 0, instanceId: "aaaa:0" });
    const bad = instance({ index: 1, instanceId: "aaaa:1" });
    metrics.recordScrape({ instance: ok, ok: true, bytes: 10, seconds: 0.01 });
    metrics.recordScrape({ instance: bad, ok: false, seconds: 5, reason: "timeout" });
    metrics.recordScrape({ instance: bad, ok: false, seconds: 5, reason: "timeout" });
    const failures = samplesOf(await textOf(metrics), "promregator_request_failure_total");

    expect(failures.find((s) => s.labels.cf_instance_id === "aaaa:0")?.value).toBe("0");
    expect(failures.find((s) => s.labels.cf_instance_id === "aaaa:1")?.value).toBe("2");
    // A failed scrape has no body: nothing is observed into the size histogram for it.
    const sizeCounts = samplesOf(await textOf(metrics), "promregator_request_size_bytes_count");
    expect(sizeCounts.map((s) => s.labels.cf_instance_id)).toEqual(["aaaa:0"]);
  });

  it("prefixes all five label names with labelNamePrefix", async () => {
    const metrics = ownMetrics({ labelNamePrefix: "target_", requestLatency: true });
    metrics.recordScrape({ instance: instance(), ok: false, seconds: 0.3 });
    const body = await textOf(metrics);

    const prefixed = FIVE.map((n) => `target_${n}`);
    expect(Object.keys(samplesOf(body, "promregator_request_failure_total")[0].labels)).toEqual(prefixed);
    expect(Object.keys(samplesOf(body, "promregator_request_latency_milliseconds_bucket")[0].labels)).toEqual(
      [...prefixed, "le"],
    );
    expect(body).not.toMatch(/[{,]org_name=/);
  });

  it("rejects a prefix that makes invalid label names, naming the setting", () => {
    expect(() => ownMetrics({ labelNamePrefix: "target-" })).toThrow(
      /labelNamePrefix "target-".*target-org_name/,
    );
    expect(() => ownMetrics({ labelNamePrefix: "__" })).toThrow(/labelNamePrefix/);
  });

  it("observes latency (in seconds, default buckets) only when requestLatency is on", async () => {
    const off = ownMetrics({ requestLatency: false });
    off.recordScrape({ instance: instance(), ok: true, bytes: 5, seconds: 0.3 });
    const offBody = await textOf(off);
    expect(parseExposition(offBody).has("promregator_request_latency_milliseconds")).toBe(false);

    const on = ownMetrics({ requestLatency: true });
    on.recordScrape({ instance: instance(), ok: true, bytes: 5, seconds: 0.3 });
    on.recordScrape({ instance: instance(), ok: false, seconds: 2 });
    const onBody = await textOf(on);
    const buckets = samplesOf(onBody, "promregator_request_latency_milliseconds_bucket");
    expect(buckets.map((b) => b.labels.le)).toEqual(LATENCY_BUCKETS);
    expect(buckets.find((b) => b.labels.le === "0.25")?.value).toBe("0");
    expect(buckets.find((b) => b.labels.le === "0.5")?.value).toBe("1");
    expect(buckets.find((b) => b.labels.le === "2.5")?.value).toBe("2");
    expect(samplesOf(onBody, "promregator_request_latency_milliseconds_sum")[0].value).toBe("2.3");
  });

  it("ignores nonsensical numbers instead of throwing", async () => {
    const metrics = ownMetrics({ requestLatency: true });
    expect(() =>
      metrics.recordScrape({ instance: instance(), ok: true, bytes: Number.NaN, seconds: -1 }),
    ).not.toThrow();
    const body = await textOf(metrics);
    expect(samplesOf(body, "promregator_request_size_bytes_count")).toEqual([]);
    expect(samplesOf(body, "promregator_request_latency_milliseconds_count")).toEqual([]);
    expect(samplesOf(body, "promregator_scrape_up")[0].value).toBe("1");
  });
});
