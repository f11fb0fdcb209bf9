import { describe, expect, it } from "vitest";
import {
  DROPPED_DEFAULT_METRICS,
  INFO_LABEL_NAMES,
  TARGET_LABEL_BASE_NAMES,
} from "../../src/metrics/index.js";
import { instance, openMetricsOf, ownMetrics, parseExposition, samplesOf, textOf } from "./helpers.js";

/** Label names Prometheus itself or the documented relabelling attach to a self-scraped Promregator. */
const PROMETHEUS_SIDE_LABELS = ["job", "instance", ...TARGET_LABEL_BASE_NAMES];

describe("promregator_info", () => {
  it("carries version, process id and the CF identity, value 1", async () => {
    const metrics = ownMetrics({
      identity: {
        processId: "proc-uuid",
        appName: "promregator",
        appId: "app-guid",
        spaceName: "prod",
        orgName: "monitoring",
        instanceIndex: 1,
        instanceGuid: "inst-guid",
      },
    });
    const [info] = samplesOf(await textOf(metrics), "promregator_info");
    expect(info.value).toBe("1");
    expect(info.labels).toEqual({
      version: "9.9.9",
      instance_id: "proc-uuid",
      cf_application_name: "promregator",
      cf_application_id: "app-guid",
      cf_space: "prod",
      cf_org: "monitoring",
      cf_instance_index: "1",
      cf_instance_guid: "inst-guid",
    });
  });

  it("never uses a label name that self-scraping in an HA set-up could make clash, whatever the prefix", () => {
    for (const name of INFO_LABEL_NAMES) {
      for (const taken of PROMETHEUS_SIDE_LABELS) {
        // Equal, or equal to <any labelNamePrefix> + taken.
        expect(
          name === taken || name.endsWith(`_${taken}`) || name.endsWith(taken),
          `${name} vs ${taken}`,
        ).toBe(false);
      }
    }
  });

  it("adds no label names beyond the five target labels and fixed own names to any family", async () => {
    const metrics = ownMetrics({ internal: true, requestLatency: true, labelNamePrefix: "target_" });
    metrics.recordScrape({ instance: instance(), ok: true, bytes: 10, seconds: 0.1 });
    metrics.observeCfRequest("org", 0.2, "ok");
    metrics.setCacheStats(() => [{ cache: "org", entries: 1 }]);
    const families = parseExposition(await textOf(metrics));

    const labelNames = new Set<string>();
    for (const f of families.values())
      for (const s of f.samples) for (const l of Object.keys(s.labels)) labelNames.add(l);
    for (const taken of PROMETHEUS_SIDE_LABELS) expect(labelNames.has(taken), taken).toBe(false);
  });
});

describe("discovery, watchdog and internal families", () => {
  it("reports the number of instances of the last discovery refresh", async () => {
    const metrics = ownMetrics();
    metrics.markSeen([instance({ instanceId: "a:0" }), instance({ instanceId: "a:1" })]);
    expect(samplesOf(await textOf(metrics), "promregator_discovered_instances")[0].value).toBe("2");
    metrics.markSeen([]);
    expect(samplesOf(await textOf(metrics), "promregator_discovered_instances")[0].value).toBe("0");
  });

  it("counts watchdog reconnects cumulatively even without internal metrics", async () => {
    const metrics = ownMetrics({ internal: false });
    expect(metrics.recordWatchdogReconnect()).toBe(1);
    expect(metrics.recordWatchdogReconnect()).toBe(2);
    expect(samplesOf(await textOf(metrics), "promregator_connection_watchdog_reconnect_total")[0].value).toBe(
      "2",
    );
  });

  it("has no CF request or cache families unless internal is on", async () => {
    const metrics = ownMetrics({ internal: false });
    metrics.observeCfRequest("org", 0.2, "ok");
    metrics.observeRateLimitWait("org", 0.1);
    metrics.setCacheStats(() => [{ cache: "org", entries: 1 }]);
    const body = await textOf(metrics);
    expect(body).not.toContain("promregator_cffetch_");
    expect(body).not.toContain("promregator_cache_");
  });

  it("records CF requests by resource and outcome, with Java's cffetch histograms", async () => {
    const metrics = ownMetrics({ internal: true });
    metrics.observeCfRequest("appInSpace", 0.42, "ok");
    metrics.observeCfRequest("appInSpace", 1.5, "retry");
    metrics.observeCfRequest("route", 0.05, "rate_limited");
    metrics.observeRateLimitWait("route", 0.3);
    const body = await textOf(metrics);
    const families = parseExposition(body);

    expect(families.get("promregator_cffetch_latency_seconds")).toMatchObject({
      type: "histogram",
      help: "Latency on retrieving CF values",
    });
    expect(families.get("promregator_cffetch_ratelimit_waittime_seconds")?.help).toBe(
      "Wait time due to CFCC rate limiting",
    );
    const requests = samplesOf(body, "promregator_cffetch_requests_total").map(
      (s) => `${s.labels.request_type}/${s.labels.outcome}=${s.value}`,
    );
    expect(requests.sort()).toEqual(["appInSpace/ok=1", "appInSpace/retry=1", "route/rate_limited=1"]);

    const latency = samplesOf(body, "promregator_cffetch_latency_seconds_bucket").filter(
      (s) => s.labels.request_type === "appInSpace",
    );
    expect(latency).toHaveLength(51);
    expect(latency.slice(0, 3).map((b) => b.labels.le)).toEqual(["0.1", "0.2", "0.3"]);
    expect(latency[49].labels.le).toBe("5.0");
    expect(latency.find((b) => b.labels.le === "0.5")?.value).toBe("1");
    const wait = samplesOf(body, "promregator_cffetch_ratelimit_waittime_seconds_bucket");
    expect(wait.map((b) => b.labels.le).slice(0, 2)).toEqual(["0.0", "0.05"]);
    expect(wait[49].labels.le).toBe("2.45");
  });

  it("polls cache statistics at render time and survives a throwing source", async () => {
    const metrics = ownMetrics({ internal: true });
    let entries = 3;
    metrics.setCacheStats(() => [
      { cache: "org", entries, oldestAgeSeconds: 42, loads: 7, loadFailures: 1 },
      { cache: "space", entries: 0 },
    ]);
    let body = await textOf(metrics);
    expect(samplesOf(body, "promregator_cache_entries").map((s) => `${s.labels.cache}=${s.value}`)).toEqual([
      "org=3",
      "space=0",
    ]);
    expect(samplesOf(body, "promregator_cache_oldest_entry_age_seconds").map((s) => s.labels.cache)).toEqual([
      "org",
    ]);
    expect(samplesOf(body, "promregator_cache_loads_total")[0].value).toBe("7");
    expect(samplesOf(body, "promregator_cache_load_failures_total")[0].value).toBe("1");

    entries = 5;
    expect(samplesOf(await textOf(metrics), "promregator_cache_entries")[0].value).toBe("5");

    metrics.setCacheStats(() => {
      throw new Error("cache gone");
    });
    body = await textOf(metrics);
    expect(samplesOf(body, "promregator_cache_entries")).toEqual([]);
    expect(body).toContain("# TYPE promregator_request_failure_total counter");
  });

  it("reads the discovery refresh loop's counters at render time, only with internal metrics", async () => {
    const metrics = ownMetrics({ internal: true });
    let stats = { runs: 4, failures: 1 };
    metrics.setRefreshStats(() => stats);
    const value = (body: string, name: string) => samplesOf(body, name)[0]?.value;
    const body = await textOf(metrics);
    expect(value(body, "promregator_discovery_refreshes_total")).toBe("4");
    expect(value(body, "promregator_discovery_refresh_failures_total")).toBe("1");
    stats = { runs: 9, failures: 1 };
    expect(value(await textOf(metrics), "promregator_discovery_refreshes_total")).toBe("9");
    metrics.setRefreshStats(() => {
      throw new Error("loop gone");
    });
    expect(value(await textOf(metrics), "promregator_discovery_refreshes_total")).toBe("9");

    const plain = ownMetrics();
    plain.setRefreshStats(() => stats);
    expect(await textOf(plain)).not.toContain("promregator_discovery_refreshes_total");
  });
});

describe("process metrics and the name prefix", () => {
  it("exposes Node/process metrics under promregator_ and leaves out the _total gauges", async () => {
    const body = await textOf(ownMetrics());
    const families = parseExposition(body);
    expect(families.get("promregator_process_cpu_seconds_total")?.type).toBe("counter");
    expect(families.get("promregator_process_start_time_seconds")?.type).toBe("gauge");
    expect(families.get("promregator_nodejs_active_handles")?.type).toBe("gauge");
    for (const dropped of DROPPED_DEFAULT_METRICS) expect(families.has(`promregator_${dropped}`)).toBe(false);
  });

  it("starts every family and sample name with promregator_ in both formats", async () => {
    const metrics = ownMetrics({ internal: true, requestLatency: true });
    metrics.recordScrape({ instance: instance(), ok: true, bytes: 10, seconds: 0.1 });
    for (const body of [await textOf(metrics), await openMetricsOf(metrics)]) {
      const families = parseExposition(body);
      expect(families.size).toBeGreaterThan(20);
      for (const [name, family] of families) {
        expect(name.startsWith("promregator_"), name).toBe(true);
        for (const s of family.samples) expect(s.name.startsWith("promregator_"), s.name).toBe(true);
      }
    }
  });
});
