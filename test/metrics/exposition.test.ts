import { describe, expect, it } from "vitest";
import { type FamilySnapshot, writeExposition } from "../../src/metrics/exposition.js";

const counter: FamilySnapshot = {
  name: "things_total",
  help: 'Things with "quotes", a back\\slash and a\nnewline',
  type: "counter",
  values: [{ value: 3, labels: { app: 'we"ird\\app\nname' } }],
};

const gauge: FamilySnapshot = {
  name: "promregator_odd",
  help: "Odd values",
  type: "gauge",
  values: [
    { value: Number.NaN, labels: { k: "nan" } },
    { value: Number.POSITIVE_INFINITY, labels: { k: "inf" } },
    { value: Number.NEGATIVE_INFINITY, labels: { k: "-inf" } },
  ],
};

const histogram: FamilySnapshot = {
  name: "promregator_h",
  help: "H",
  type: "histogram",
  values: [
    { value: 1, labels: { le: 1 }, sharedLabels: { a: "x" }, metricName: "promregator_h_bucket" },
    { value: 2, labels: { le: "+Inf" }, sharedLabels: { a: "x" }, metricName: "promregator_h_bucket" },
    { value: 4.5, labels: {}, sharedLabels: { a: "x" }, metricName: "promregator_h_sum" },
    { value: 2, labels: {}, sharedLabels: { a: "x" }, metricName: "promregator_h_count" },
  ],
};

describe("writeExposition", () => {
  it("writes text 0.0.4 with HELP before TYPE, the prefix forced, and escaped label values", () => {
    const body = writeExposition([counter], "text");
    expect(body).toBe(
      [
        '# HELP promregator_things_total Things with "quotes", a back\\\\slash and a\\nnewline',
        "# TYPE promregator_things_total counter",
        'promregator_things_total{app="we\\"ird\\\\app\\nname"} 3',
        "",
      ].join("\n"),
    );
  });

  it("writes OpenMetrics with TYPE before HELP, counter family without _total, quotes escaped in HELP", () => {
    const body = writeExposition([counter, gauge], "openmetrics");
    const lines = body.split("\n");
    expect(lines[0]).toBe("# TYPE promregator_things counter");
    expect(lines[1]).toBe(
      '# HELP promregator_things Things with \\"quotes\\", a back\\\\slash and a\\nnewline',
    );
    expect(lines[2]).toBe('promregator_things_total{app="we\\"ird\\\\app\\nname"} 3');
    expect(body.endsWith("# EOF\n")).toBe(true);
    expect(body.match(/# EOF/g)).toHaveLength(1);
  });

  it("spells NaN and infinities as the formats require", () => {
    const body = writeExposition([gauge], "text");
    expect(body).toContain('promregator_odd{k="nan"} NaN');
    expect(body).toContain('promregator_odd{k="inf"} +Inf');
    expect(body).toContain('promregator_odd{k="-inf"} -Inf');
  });

  it("puts a child's labels before le and writes bounds as floats", () => {
    const body = writeExposition([histogram], "openmetrics");
    expect(body).toContain('promregator_h_bucket{a="x",le="1.0"} 1');
    expect(body).toContain('promregator_h_bucket{a="x",le="+Inf"} 2');
    expect(body).toContain('promregator_h_sum{a="x"} 4.5');
  });

  it("writes an empty OpenMetrics exposition as just # EOF", () => {
    expect(writeExposition([], "openmetrics")).toBe("# EOF\n");
  });
});
