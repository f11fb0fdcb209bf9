import { EventEmitter, once } from "node:events";
import { describe, expect, it } from "vitest";
import { formatScopes } from "../../src/scrape/authenticators/token-request.js";
import type { BodyTail } from "../../src/scrape/body-tail.js";
import { ScrapeBudget, scrapeBudgetMs } from "../../src/scrape/budget.js";
import { classifyUpstreamContentType } from "../../src/scrape/content-type.js";
import { ScrapeFailure } from "../../src/scrape/failure.js";
import {
  formatJavaDouble,
  OpenMetricsTail,
  renderOwnMetrics,
  renderOwnSamples,
  TextTail,
} from "../../src/scrape/merge.js";
import { indexOfMarker, ReservedNameScanner } from "../../src/scrape/reserved-names.js";

const OWN = "own 1\n";

/** Feeds `body` split at every pair of positions (three chunks) and returns each output. */
function allSplits(body: string, run: (chunks: Buffer[]) => string): Set<string> {
  const results = new Set<string>();
  const bytes = Buffer.from(body);
  for (let i = 0; i <= bytes.length; i++) {
    for (let j = i; j <= bytes.length; j++) {
      results.add(run([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]));
    }
  }
  return results;
}

/** Output through `tail` (`own` null: nothing to append), or `failed: <reason>`, or `left out: <why>: <output>`. */
function through(tail: BodyTail, chunks: Buffer[], own: string | null = OWN): string {
  const out = chunks.map((c) => tail.push(c));
  try {
    const last = tail.finish(own === null ? undefined : Buffer.from(own));
    const text = Buffer.concat([...out, last]).toString();
    return tail.leftOut ? `left out: ${tail.leftOut}: ${text}` : text;
  } catch (err) {
    return `failed: ${(err as Error).message}`;
  }
}

const throughOpenMetrics = (chunks: Buffer[]) => through(new OpenMetricsTail(), chunks);

describe("OpenMetricsTail", () => {
  it.each([
    ["a 1\n# EOF\n", `a 1\n${OWN}# EOF\n`],
    ["a 1\n# EOF", `a 1\n${OWN}# EOF`],
    ["# EOF\n", `${OWN}# EOF\n`],
    ["# EOF", `${OWN}# EOF`],
    ["a 1\n\n# EOF\n", `a 1\n\n${OWN}# EOF\n`],
    ["a 1\r\n# EOF\n", `a 1\r\n${OWN}# EOF\n`],
    ["# EOX 1\n# E\n# EOF\n", `# EOX 1\n# E\n${OWN}# EOF\n`],
    ["a 1\n#  EOF\n# EOF\n", `a 1\n#  EOF\n${OWN}# EOF\n`],
  ])(
    "puts own samples right before the final # EOF line of %j, removing nothing, however it is split",
    (body, out) => {
      expect(allSplits(body, throughOpenMetrics)).toEqual(new Set([out]));
    },
  );

  it.each([[""], ["a 1\n"], ["a 1"], ["a 1\n# EO"], ["a 1\n# EOF \n"], ["a 1\nx# EOF\n"], ["\n"]])(
    "fails %j: the body ended without # EOF",
    (body) => {
      expect(allSplits(body, throughOpenMetrics)).toEqual(
        new Set(["failed: OpenMetrics body ended without # EOF"]),
      );
    },
  );

  it.each([
    ["a 1\n# EOF\n\n"],
    ["a 1\n# EOF\nb 1\n"],
    ["a 1\n# EOF\n# EOF\n"],
    ["a 1\n# EOF\r\n"],
    ["a 1\r\n# EOF\r\n"],
  ])("fails %j: data after # EOF stays an error", (body) => {
    expect(allSplits(body, throughOpenMetrics)).toEqual(
      new Set(["failed: OpenMetrics body has data after # EOF"]),
    );
  });

  it("returns the body unchanged when nothing is to be appended, even without # EOF", () => {
    for (const body of ["a 1\n# EOF\n", "a 1\n", "a 1\n# EOF\n\n"]) {
      expect(allSplits(body, (chunks) => through(new OpenMetricsTail(), chunks, null))).toEqual(
        new Set([body]),
      );
    }
  });

  it("holds back at most the bytes of a final # EOF line", () => {
    const tail = new OpenMetricsTail();
    expect(tail.push(Buffer.from(`a 1${"\n".repeat(100_000)}`)).length).toBe(100_003);
    expect(tail.push(Buffer.from("b 1\n# EOF\n")).toString()).toBe("b 1\n");
  });
});

describe("TextTail", () => {
  const run = (body: string) => allSplits(body, (chunks) => through(new TextTail(), chunks));

  it("appends own samples after a final newline, and to an empty body", () => {
    expect(run("a 1\n")).toEqual(new Set([`a 1\n${OWN}`]));
    expect(run("")).toEqual(new Set([OWN]));
  });

  it("keeps \\r\\n line endings of the body and ends its own lines with \\n", () => {
    expect(run("a 1\r\nb 2\r\n")).toEqual(new Set([`a 1\r\nb 2\r\n${OWN}`]));
  });

  it.each([["a 1"], ["a 1\n# comment"], ["a 1\r"]])(
    "passes %j through unchanged: its last line has no newline",
    (body) => {
      expect(run(body)).toEqual(
        new Set([`left out: the target's text body does not end with a newline: ${body}`]),
      );
    },
  );
});

describe("ReservedNameScanner", () => {
  const scan = (chunks: Buffer[]) => {
    const s = new ReservedNameScanner();
    for (const c of chunks) s.push(c);
    s.finish();
    return String(s.found);
  };

  it.each([
    ["# TYPE a gauge\na 1\npromregator_up 1\n", "promregator_up"],
    ["a 1\n# TYPE promregator_up gauge\n", "promregator_up"],
    ["a 1\n# HELP promregator_scrape_duration_seconds x\n", "promregator_scrape_duration_seconds"],
    ['a 1\npromregator_scrape_duration_seconds{x="1"} 2', "promregator_scrape_duration_seconds"],
    ["a 1\npromregator_up", "promregator_up"],
    // Quoted, as Prometheus 3 writes UTF-8 metric names
    ['a 1\n{"promregator_up"} 1\n', "promregator_up"],
    ['a 1\n{ "promregator_scrape_duration_seconds", x="1"} 2\n', "promregator_scrape_duration_seconds"],
    ['# TYPE "promregator_up" gauge\n', "promregator_up"],
    ['a 1\n# HELP "promregator_scrape_duration_seconds" x\n', "promregator_scrape_duration_seconds"],
    // anywhere in the label set, as Prometheus' text parser reads it
    ['a 1\n{a="b", "promregator_up"} 1\n', "promregator_up"],
    ['{"a"="b","promregator_up",c="d"} 1\n', "promregator_up"],
  ])("finds the name in %j at any split", (body, name) => {
    expect(allSplits(body, scan)).toEqual(new Set([name]));
  });

  it.each([
    ["promregator_up_total 1\n"],
    ['a{x="promregator_up"} 1\n'],
    ['{"promregator_up_total"} 1\n'],
    ['{"promregator_up"="x"} 1\n'],
    ['a{b="x,\\"promregator_up\\"}"} 1\n'],
    ['# TYPE "promregator_upper" gauge\n'],
    ["# TYPE promregator_upper gauge\n"],
    ["my_promregator_up 1\n"],
  ])("ignores %j at any split", (body) => {
    expect(allSplits(body, scan)).toEqual(new Set(["undefined"]));
  });

  it("finds a quoted name late in a long label set of a line inside a chunk", () => {
    const body = `a 1\n{a="${"x".repeat(300)}","promregator_up"} 1\nb 2\n`;
    expect(scan([Buffer.from(body)])).toBe("promregator_up");
  });

  it("finds the marker exactly where a plain search for promregator_ does, from any start", () => {
    const marker = Buffer.from("promregator_");
    const body = Buffer.from(
      "gator_ a 1\nxpromregator_ gator_promregator_ regator_ promregator promregator_up 1\npromregator_\ngator_",
    );
    for (let from = 0; from <= body.length; from++) {
      expect(indexOfMarker(body, from), `from ${from}`).toBe(body.indexOf(marker, from));
    }
    for (let end = 0; end <= body.length; end++) {
      const part = body.subarray(0, end);
      expect(indexOfMarker(part, 0), `end ${end}`).toBe(part.indexOf(marker));
    }
  });

  it("does not mistake a line cut at the head limit for a match", () => {
    const s = new ReservedNameScanner();
    s.push(Buffer.from(`${" ".repeat(114)}promregator_up_total 1\n`));
    s.finish();
    expect(s.found).toBeUndefined();
  });
});

describe("content types", () => {
  it.each([
    [undefined, "text", "text/plain; version=0.0.4; charset=utf-8"],
    ["text/plain", "text", "text/plain; version=0.0.4"],
    ["text/plain; escaping=underscores", "text", "text/plain; version=0.0.4; escaping=underscores"],
    ["TEXT/PLAIN ;foo=bar", "text", "TEXT/PLAIN; version=0.0.4; foo=bar"],
    ["text/plain; charset=ISO-8859-1", "text", "text/plain; version=0.0.4; charset=ISO-8859-1"],
    ["text/plain;version=0.0.4", "text", "text/plain;version=0.0.4"],
    [
      "text/plain; version=1.0.0; escaping=allow-utf-8",
      "text",
      "text/plain; version=1.0.0; escaping=allow-utf-8",
    ],
    [
      "Application/OpenMetrics-Text; version=0.0.1",
      "openmetrics",
      "Application/OpenMetrics-Text; version=0.0.1",
    ],
    ["application/openmetrics-text", "openmetrics", "application/openmetrics-text; version=1.0.0"],
    [
      "application/openmetrics-text; charset=utf-8",
      "openmetrics",
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
    ],
    [
      "application/vnd.google.protobuf; proto=x; encoding=delimited",
      "protobuf",
      "application/vnd.google.protobuf; proto=x; encoding=delimited",
    ],
  ])("classifies %j", (header, format, contentType) => {
    expect(classifyUpstreamContentType(header)).toEqual({ format, contentType });
    // The second time the answer is remembered: the same.
    expect(classifyUpstreamContentType(header)).toEqual({ format, contentType });
  });

  it.each([
    // types Prometheus does not know, and versions it does not check: its text parser, the header as sent
    ["application/json", "text"],
    ["text/html", "text"],
    ["garbage", "text"],
    ["text/plain; version=0.0.5", "text"],
    ["text/plain; version=1x0y0", "text"],
    ["application/openmetrics-text; version=1.0", "openmetrics"],
    ["application/openmetrics-text; version=banana", "openmetrics"],
    // headers Go's mime.ParseMediaType refuses: Prometheus falls back to its text parser
    ["application/openmetrics-text; charset", "text"],
    ["application/openmetrics-text; version=1.0.0; charset", "text"],
    ["application/openmetrics-text; charset=utf-8; charset=utf-8", "text"],
    ["application/openmetrics-text; charset=utf/8", "text"],
    ["application/openmetrics-text; version=1.0.0 charset=utf-8", "text"],
    ["application/openmetrics-text; ; version=1.0.0", "text"],
    ['application/openmetrics-text; version="1.0.0', "text"],
    ["application/openmetrics-text extra", "text"],
    ["application/vnd.google.protobuf; proto", "text"],
  ])("passes %j on unchanged, read as %s", (header, format) => {
    expect(classifyUpstreamContentType(header)).toEqual({ format, contentType: header });
    expect(classifyUpstreamContentType(header)).toEqual({ format, contentType: header });
  });

  it.each([
    ["application/openmetrics-text; version=1.0.0;", "openmetrics"],
    ['application/openmetrics-text; version="1.0.0"; charset=utf-8', "openmetrics"],
    ["application/openmetrics-text;version=1.0.0;charset=utf-8", "openmetrics"],
    ["APPLICATION/OPENMETRICS-TEXT; VERSION=1.0.0", "openmetrics"],
    [
      "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited",
      "protobuf",
    ],
  ])("reads %j as Go does: %s", (header, format) => {
    expect(classifyUpstreamContentType(header)).toEqual({ format, contentType: header });
  });

  // Node gives header values as latin1 (a character per byte); Go decodes UTF-8 before it trims spaces.
  it.each([
    // a lone 0xA0 or 0x85 byte is no UTF-8, so no space to Go: the header does not parse, text it is
    ["application/openmetrics-text\u00a0", "text"],
    ["application/openmetrics-text; charset=utf-8\u0085", "text"],
    ["application/openmetrics-text;\u0085charset=utf-8", "text"],
    // the UTF-8 bytes of U+00A0 are a space to Go: trimmed, OpenMetrics
    ["application/openmetrics-text\u00c2\u00a0; version=1.0.0", "openmetrics"],
    // U+FEFF is no space to Go, though JavaScript's trim() removes it
    [Buffer.from("application/openmetrics-text\ufeff; version=1.0.0").toString("latin1"), "text"],
  ])("reads the bytes of %j as UTF-8, as Go does: %s", (header, format) => {
    expect(classifyUpstreamContentType(header)).toEqual({ format, contentType: header });
  });

  it("answers a header with a control byte Go reads as space with a type of the same format", () => {
    expect(classifyUpstreamContentType("application/openmetrics-text; version=1.0.0\u000b")).toEqual({
      format: "openmetrics",
      contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8",
    });
    expect(classifyUpstreamContentType("application/json\u000b")).toEqual({
      format: "text",
      contentType: "text/plain; version=0.0.4; charset=utf-8",
    });
  });
});

describe("own samples", () => {
  it("renders the same bytes as renderOwnMetrics for every format, up and value", () => {
    for (const format of ["text", "openmetrics"] as const) {
      for (const up of [true, false]) {
        for (const seconds of [0, 0.005, 1, 12, 0.1, 1234.567]) {
          expect(renderOwnSamples(format, up, seconds).toString("latin1")).toBe(
            renderOwnMetrics(format, up, seconds),
          );
        }
      }
    }
    expect(renderOwnSamples("text", true, 0.005).toString()).toBe(
      "# HELP promregator_up Indicator, whether the target of promregator is available\n" +
        "# TYPE promregator_up gauge\npromregator_up 1.0\n" +
        "# HELP promregator_scrape_duration_seconds Duration in seconds indicating how long scraping of all metrics took\n" +
        "# TYPE promregator_scrape_duration_seconds gauge\npromregator_scrape_duration_seconds 0.005\n",
    );
  });
});

describe("small rules", () => {
  it("derives the budget from X-Prometheus-Scrape-Timeout-Seconds when smaller", () => {
    expect(scrapeBudgetMs(5000, undefined)).toBe(5000);
    expect(scrapeBudgetMs(5000, "10")).toBe(5000);
    expect(scrapeBudgetMs(5000, "2")).toBe(1850);
    expect(scrapeBudgetMs(5000, "0.05")).toBe(25);
    expect(scrapeBudgetMs(5000, "nonsense")).toBe(5000);
    expect(scrapeBudgetMs(5000, "-1")).toBe(5000);
  });

  it("formats scopes like Java: split on commas and whitespace, joined by single spaces", () => {
    expect(formatScopes("a, b  , c,d, e")).toBe("a b c d e");
    expect(formatScopes("a b, c")).toBe("a b c");
    expect(formatScopes("a,a")).toBe("a");
    expect(formatScopes(" ,, ")).toBeUndefined();
    expect(formatScopes(undefined)).toBeUndefined();
  });

  it("prints values in Java double notation", () => {
    expect(formatJavaDouble(1)).toBe("1.0");
    expect(formatJavaDouble(0)).toBe("0.0");
    expect(formatJavaDouble(0.005)).toBe("0.005");
    expect(formatJavaDouble(12)).toBe("12.0");
    expect(formatJavaDouble(1.234)).toBe("1.234");
  });
});

describe("ScrapeBudget as the scrape's abort signal", () => {
  it("runs each listener once on abort, with the first reason; removed and late listeners never run", () => {
    const budget = new ScrapeBudget(60_000);
    const calls: string[] = [];
    const kept = () => calls.push("kept");
    const removed = () => calls.push("removed");
    budget.addEventListener("abort", kept);
    budget.addEventListener("abort", removed);
    budget.removeEventListener("abort", removed);
    const first = new ScrapeFailure("client", "the caller closed the connection");
    budget.abort(first);
    budget.abort(new ScrapeFailure("timeout", "later"));
    budget.addEventListener("abort", () => calls.push("late"));
    budget.dispose();
    expect(calls).toEqual(["kept"]);
    expect(budget.aborted).toBe(true);
    expect(budget.failure).toBe(first);
  });

  it("ends an events.once wait (the writer's wait for drain) with an AbortError caused by the reason", async () => {
    const budget = new ScrapeBudget(60_000);
    const waiting = once(new EventEmitter(), "drain", { signal: budget.signal as AbortSignal });
    const reason = new ScrapeFailure("client", "the caller closed the connection");
    budget.abort(reason);
    budget.dispose();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError", cause: reason });
  });
});
