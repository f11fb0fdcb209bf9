import { describe, expect, it } from "vitest";
import {
  chooseExposition,
  OWN_METRICS_POLICY,
  parseAccept,
  parseMediaType,
  preferenceFor,
  SCRAPE_POLICY,
} from "../../src/media-type.js";
import { chooseExpositionFormat } from "../../src/metrics/index.js";
import { wantsJson } from "../../src/status/index.js";

const PROMETHEUS_2_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75," +
  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
const PROMETHEUS_2_NATIVE_HISTOGRAMS_ACCEPT =
  "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited," +
  "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75," +
  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

describe("chooseExposition", () => {
  // [Accept, answer under the own-metrics policy, answer under the scrape policy]
  it.each([
    [undefined, "text", "openmetrics"],
    ["", "text", "openmetrics"],
    ["  ", "text", "openmetrics"],
    [PROMETHEUS_2_ACCEPT, "openmetrics", "openmetrics"],
    [PROMETHEUS_2_NATIVE_HISTOGRAMS_ACCEPT, "openmetrics", "openmetrics"],
    ["application/openmetrics-text;q=0.5, text/plain;q=1", "text", "text"],
    ["application/openmetrics-text;q=0.5, text/plain;q=0.5", "text", "text"],
    ["text/plain;q=0.4, application/openmetrics-text;q=0.5", "openmetrics", "openmetrics"],
    ["*/*", "text", "text"],
    ["text/plain;q=0, */*", "openmetrics", "openmetrics"],
    ["application/*;q=0.9, text/plain;q=0.8", "openmetrics", "openmetrics"],
    ["application/openmetrics-text;q=0, application/*, text/plain;q=0.1", "text", "text"],
    ["application/openmetrics-text;version=2.0.0", "text", "text"],
    ['application/openmetrics-text; version="1.0.0"', "openmetrics", "openmetrics"],
    ["APPLICATION/OpenMetrics-Text", "openmetrics", "openmetrics"],
    ["application/openmetrics-text;q=banana", "text", "text"],
    ["application/openmetrics-text;q=1.5", "text", "text"],
    ["application/json", "text", "text"],
    ["garbage,,;;==", "text", "text"],
  ])("Accept %j -> own metrics %s, scrape %s", (accept, ownMetrics, scrape) => {
    expect(chooseExposition(accept, OWN_METRICS_POLICY)).toBe(ownMetrics);
    expect(chooseExposition(accept, SCRAPE_POLICY)).toBe(scrape);
  });

  it("is what the own metrics use", () => {
    expect(chooseExpositionFormat("application/openmetrics-text;q=0.5, text/plain;q=1")).toBe("text");
    expect(chooseExpositionFormat(undefined)).toBe("text");
  });
});

describe("parseAccept", () => {
  it.each([
    ["text/plain", [["text", "plain", 1]]],
    [
      "text/plain;q=0.5, */*;q=0.1",
      [
        ["text", "plain", 0.5],
        ["*", "*", 0.1],
      ],
    ],
    [
      'a/b;x="1,2";q=0.3, c/d',
      [
        ["a", "b", 0.3],
        ["c", "d", 1],
      ],
    ],
    ["a/b;q=0.1234", []],
    ["a/b;q=-1", []],
    ["*/b", []],
    ["a/b/c, /x, y/", []],
    ["a/b;q=1.000", [["a", "b", 1]]],
    ["a/b;q=0.", [["a", "b", 0]]],
  ])("%j", (header, expected) => {
    expect(parseAccept(header).map((r) => [r.type, r.subtype, r.q])).toEqual(expected);
  });

  it("keeps parameters other than q, unquoted", () => {
    expect([...parseAccept('a/b; Version="1.0.0"; q=0.5')[0].params]).toEqual([["version", "1.0.0"]]);
  });
});

describe("preferenceFor", () => {
  const offer = { type: "text", subtype: "plain", versions: ["0.0.4"] };
  it.each([
    ["*/*;q=0.2", { q: 0.2, specificity: 0 }],
    ["text/*;q=0.3, */*;q=0.2", { q: 0.3, specificity: 1 }],
    ["text/plain;q=0.4, text/*;q=0.9", { q: 0.4, specificity: 2 }],
    ["text/plain;version=0.0.4;q=0.1, text/plain;q=0.9", { q: 0.1, specificity: 3 }],
    ["text/plain;version=1.0.0", { q: 0, specificity: -1 }],
    ["application/json", { q: 0, specificity: -1 }],
  ])("%j", (accept, expected) => {
    expect(preferenceFor(offer, parseAccept(accept))).toEqual(expected);
  });
});

describe("parseMediaType", () => {
  it("lower-cases the essence and parameter names, unquotes values", () => {
    const media = parseMediaType('Text/Plain; Version=0.0.4; charset="UTF-8"');
    expect(media?.essence).toBe("text/plain");
    expect([...(media?.params ?? [])]).toEqual([
      ["version", "0.0.4"],
      ["charset", "UTF-8"],
    ]);
  });

  it.each([["garbage"], ["a/b/c"], ["/plain"], ["text/"], ["te xt/plain"], [""]])("rejects %j", (value) => {
    expect(parseMediaType(value)).toBeUndefined();
  });
});

describe("the status page uses the same parser", () => {
  it.each([
    ["application/json;q=0.5, text/html;q=1", false],
    ["text/html;q=0.5, application/json", true],
    ["application/json;q=banana, text/html;q=0.1", false],
  ])("%j -> JSON %s", (accept, expected) => {
    expect(wantsJson("/", accept)).toBe(expected);
  });
});
