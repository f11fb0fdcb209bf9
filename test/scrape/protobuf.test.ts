import { describe, expect, it } from "vitest";
import { renderOwnSamples } from "../../src/scrape/merge.js";
import { DelimitedTail, encodeGaugeFamilies } from "../../src/scrape/protobuf.js";
import { gaugeFamily, messages } from "./protobuf-wire.js";

describe("encodeGaugeFamilies", () => {
  it("writes a MetricFamily per metrics.proto: name 1, help 2, type 3 = GAUGE, metric 4 { gauge 2 { value 1 } }", () => {
    const bytes = encodeGaugeFamilies([{ name: "a", help: "h", value: 1 }]);
    // biome-ignore format: one field per line
    const expected = [
      0x15,                                           // message size 21
      0x0a, 0x01, 0x61,                               // name "a"
      0x12, 0x01, 0x68,                               // help "h"
      0x18, 0x01,                                     // type GAUGE
      0x22, 0x0b, 0x12, 0x09, 0x09,                   // metric { gauge { value (double)
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, // 1.0 little endian } }
    ];
    expect([...bytes]).toEqual(expected);
  });

  it("encodes sizes beyond 127 as multi-byte varints", () => {
    const help = "h".repeat(200);
    const [message] = messages(encodeGaugeFamilies([{ name: "a", help, value: 0.25 }]));
    expect(gaugeFamily(message)).toEqual({ name: "a", help, type: 1, value: 0.25 });
  });

  it("renders promregator_up and promregator_scrape_duration_seconds for protobuf bodies", () => {
    const families = messages(renderOwnSamples("protobuf", true, 0.005)).map(gaugeFamily);
    expect(families).toEqual([
      { name: "promregator_up", help: expect.stringContaining("available"), type: 1, value: 1 },
      {
        name: "promregator_scrape_duration_seconds",
        help: expect.stringContaining("scraping"),
        type: 1,
        value: 0.005,
      },
    ]);
  });
});

describe("DelimitedTail", () => {
  const OWN = Buffer.from([0x01, 0x00]);
  const body = Buffer.concat([
    encodeGaugeFamilies([{ name: "x", help: "h".repeat(130), value: 2 }]),
    Buffer.from([0x00]), // an empty message
    encodeGaugeFamilies([{ name: "y", help: "", value: 3 }]),
  ]);

  function run(bytes: Buffer, i: number, j: number): string {
    const tail = new DelimitedTail();
    const out = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)].map((c) => tail.push(c));
    try {
      return Buffer.concat([...out, tail.finish(OWN)]).toString("hex");
    } catch (err) {
      return `failed: ${(err as Error).message}`;
    }
  }

  it("appends after the last message however the body is split, changing nothing", () => {
    const results = new Set<string>();
    for (let i = 0; i <= body.length; i++)
      for (let j = i; j <= body.length; j++) results.add(run(body, i, j));
    expect(results).toEqual(new Set([Buffer.concat([body, OWN]).toString("hex")]));
  });

  it("fails a body that ends inside a message or its size", () => {
    for (const cut of [1, 2, body.length - 1]) {
      const truncated = body.subarray(0, cut);
      expect(run(truncated, 0, cut)).toBe("failed: protobuf body ended inside a message");
    }
    expect(run(Buffer.from([0x80]), 0, 1)).toBe("failed: protobuf body ended inside a message");
  });

  it("fails a size prefix longer than a varint can be", () => {
    const bad = Buffer.alloc(11, 0xff);
    expect(run(bad, 3, 7)).toBe("failed: protobuf body has a malformed message size");
  });

  it("appends to an empty body and leaves the body alone when nothing is to be appended", () => {
    expect(run(Buffer.alloc(0), 0, 0)).toBe("0100");
    const tail = new DelimitedTail();
    tail.push(Buffer.from([0x05, 0x01]));
    expect(tail.finish(undefined).length).toBe(0);
  });

  it.each([
    ["promregator_up", "promregator_up"],
    ["promregator_scrape_duration_seconds", "promregator_scrape_duration_seconds"],
    ["promregator_up_total", undefined],
    ["my_promregator_up", undefined],
  ])("notes a family named %j at any split", (name, found) => {
    const stream = Buffer.concat([
      encodeGaugeFamilies([{ name: "a", help: "", value: 1 }]),
      Buffer.from([0x00]),
      encodeGaugeFamilies([{ name, help: "x", value: 1 }]),
    ]);
    const seen = new Set<string | undefined>();
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        const tail = new DelimitedTail();
        for (const c of [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]) tail.push(c);
        seen.add(tail.found);
      }
    }
    expect(seen).toEqual(new Set([found]));
  });

  /** One delimited message of raw fields: [field, wire type 2 string] or [field, varint]. */
  function message(...fields: [number, string | number][]): Buffer {
    const parts = fields.map(([field, value]) => {
      if (typeof value === "number") return Buffer.from([(field << 3) | 0, value]);
      const bytes = Buffer.from(value, "utf8");
      return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
    });
    const payload = Buffer.concat(parts);
    return Buffer.concat([Buffer.from([payload.length]), payload]);
  }

  function foundAtEverySplit(stream: Buffer): Set<string | undefined> {
    const seen = new Set<string | undefined>();
    for (let i = 0; i <= stream.length; i++) {
      const tail = new DelimitedTail();
      tail.push(stream.subarray(0, i));
      tail.push(stream.subarray(i));
      seen.add(tail.found);
    }
    return seen;
  }

  it.each([
    // a protobuf decoder reads fields in any order, and the last of a repeated scalar wins
    [
      "help before name",
      [
        [2, "h"],
        [1, "promregator_up"],
        [3, 1],
      ],
      "promregator_up",
    ],
    [
      "type, help, then name",
      [
        [3, 1],
        [2, "x"],
        [1, "promregator_scrape_duration_seconds"],
      ],
      "promregator_scrape_duration_seconds",
    ],
    [
      "ours, then another name",
      [
        [1, "promregator_up"],
        [1, "app_up"],
      ],
      undefined,
    ],
    [
      "another name, then ours",
      [
        [1, "app_up"],
        [1, "promregator_up"],
      ],
      "promregator_up",
    ],
    [
      "ours, then a long name",
      [
        [1, "promregator_up"],
        [1, "x".repeat(100)],
      ],
      undefined,
    ],
    ["no name", [[2, "promregator_up"]], undefined],
  ] as [string, [number, string | number][], string | undefined][])(
    "notes our name wherever the field stands: %s",
    (_, fields, found) => {
      const stream = Buffer.concat([message([1, "a"]), message(...fields), message([1, "b"])]);
      expect(foundAtEverySplit(stream)).toEqual(new Set([found]));
    },
  );

  it("gives up on a message with a group (not in metrics.proto) without failing the body", () => {
    // field 5 as a start-group (wire type 3), then a name field that is not to be trusted
    const payload = Buffer.concat([
      Buffer.from([(5 << 3) | 3]),
      Buffer.from([0x0a, 0x0e]),
      Buffer.from("promregator_up"),
    ]);
    const stream = Buffer.concat([Buffer.from([payload.length]), payload]);
    const tail = new DelimitedTail();
    tail.push(stream);
    expect(tail.found).toBeUndefined();
    expect(tail.finish(OWN).toString("hex")).toBe("0100");
  });
});
