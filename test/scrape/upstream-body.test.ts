import http from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, type Dispatcher } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { ScrapeBudget } from "../../src/scrape/budget.js";
import { ScrapeFailure } from "../../src/scrape/failure.js";
import { dispatchRequest, UpstreamBody } from "../../src/scrape/upstream-body.js";

/** A controller that records what the body asks of the request. */
function recordingController() {
  const calls: string[] = [];
  const controller = {
    paused: false,
    aborted: false,
    reason: null as Error | null,
    pause() {
      calls.push("pause");
      this.paused = true;
    },
    resume() {
      calls.push("resume");
      this.paused = false;
    },
    abort(reason: Error) {
      calls.push("abort");
      this.aborted = true;
      this.reason = reason;
    },
  };
  return { controller, calls };
}

const asController = (c: unknown) => c as Dispatcher.DispatchController;

describe("UpstreamBody", () => {
  it("hands out the chunks in order, to a waiting reader and from the queue, then ends", async () => {
    const { controller } = recordingController();
    const body = new UpstreamBody(asController(controller));
    body.push(Buffer.from("a"));
    expect((await body.next()).value?.toString()).toBe("a");
    const waiting = body.next();
    body.push(Buffer.from("b"));
    body.push(Buffer.from("c"));
    body.end();
    expect((await waiting).value?.toString()).toBe("b");
    const rest: string[] = [];
    for await (const chunk of body) rest.push(chunk.toString());
    expect(rest).toEqual(["c"]);
    expect((await body.next()).done).toBe(true);
  });

  it("pauses the request when 64 KB queue up and resumes once the reader took it down to 16 KB", async () => {
    const { controller, calls } = recordingController();
    const body = new UpstreamBody(asController(controller));
    const chunks = Array.from({ length: 4 }, () => Buffer.alloc(16 * 1024));
    for (const chunk of chunks.slice(0, 3)) body.push(chunk);
    expect(calls).toEqual([]);
    body.push(chunks[3]);
    expect(calls).toEqual(["pause"]);
    // Socket-sized chunks are handed out one by one, as the very buffers undici gave (no copy).
    expect((await body.next()).value).toBe(chunks[0]);
    expect((await body.next()).value).toBe(chunks[1]);
    expect(calls).toEqual(["pause"]);
    expect((await body.next()).value).toBe(chunks[2]);
    expect(calls).toEqual(["pause", "resume"]);
  });

  it("hands everything queued to the reader as one buffer, however many chunks it came in", async () => {
    const { controller } = recordingController();
    const body = new UpstreamBody(asController(controller));
    const lines = Array.from({ length: 5_000 }, (_, i) => `m{i="${i}"} 1\n`);
    for (const line of lines) body.push(Buffer.from(line));
    body.end();
    const reads: string[] = [];
    for await (const chunk of body) reads.push(chunk.toString());
    expect(reads).toEqual([lines.join("")]);
  });

  it("aborts the request when the reader stops early, not after the body completed", async () => {
    const early = recordingController();
    const cut = new UpstreamBody(asController(early.controller));
    cut.push(Buffer.from("a"));
    for await (const _chunk of cut) break;
    expect(early.calls).toEqual(["abort"]);

    const complete = recordingController();
    const whole = new UpstreamBody(asController(complete.controller));
    whole.push(Buffer.from("a"));
    whole.end();
    for await (const _chunk of whole) {
    }
    whole.destroy();
    expect(complete.calls).toEqual([]);
  });

  it("makes the next read throw the error the body broke off with", async () => {
    const { controller } = recordingController();
    const body = new UpstreamBody(asController(controller));
    const pending = body.next();
    const error = new Error("reset");
    body.fail(error);
    await expect(pending).rejects.toBe(error);
    await expect(body.next()).rejects.toBe(error);
  });
});

describe("dispatchRequest against a real server", () => {
  let server: http.Server | undefined;
  const agent = new Agent();
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function serve(handler: http.RequestListener): Promise<string> {
    server = http.createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("resolves with status and parsed headers and streams a large body in order", async () => {
    const chunk = Buffer.alloc(100_000, "x");
    const origin = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "x-two": ["a", "b"] });
      for (let i = 0; i < 20; i++) res.write(chunk);
      res.end("end");
    });
    const budget = new ScrapeBudget(5_000);
    const response = await dispatchRequest(agent, { origin, path: "/", method: "GET" }, budget.signal);
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/plain");
    expect(response.headers["x-two"]).toEqual(["a", "b"]);
    let size = 0;
    let last = "";
    for await (const part of response.body) {
      size += part.length;
      last = part.toString("latin1", part.length - 3);
      // A slow reader: the queue stays bounded because the request pauses.
      await new Promise((resolve) => setImmediate(resolve));
    }
    budget.dispose();
    expect(size).toBe(20 * chunk.length + 3);
    expect(last).toBe("end");
  });

  it("skips informational answers (103 Early Hints) and resolves with the final one", async () => {
    const origin = await serve((_req, res) => {
      res.writeEarlyHints({ link: "</style.css>; rel=preload; as=style" });
      setTimeout(() => res.writeHead(200, { "content-type": "text/plain" }).end("m 1\n"), 20);
    });
    const budget = new ScrapeBudget(5_000);
    const response = await dispatchRequest(agent, { origin, path: "/", method: "GET" }, budget.signal);
    const parts: Buffer[] = [];
    for await (const part of response.body) parts.push(part);
    budget.dispose();
    expect(response.statusCode).toBe(200);
    expect(Buffer.concat(parts).toString()).toBe("m 1\n");
  });

  it("reads a body sent as one HTTP chunk per line in far fewer reads than chunks", async () => {
    const lines = 10_000;
    const origin = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      for (let i = 0; i < lines; i++) res.write(`m{i="${i}"} 1\n`);
      res.end();
    });
    const budget = new ScrapeBudget(5_000);
    const response = await dispatchRequest(agent, { origin, path: "/", method: "GET" }, budget.signal);
    let reads = 0;
    let text = "";
    for await (const part of response.body) {
      reads++;
      text += part.toString();
      await new Promise((resolve) => setImmediate(resolve));
    }
    budget.dispose();
    expect(text.split("\n")).toHaveLength(lines + 1);
    expect(text.startsWith('m{i="0"} 1\nm{i="1"} 1\n')).toBe(true);
    // Each read takes what arrived since the last one; one read per HTTP chunk would be 10,000.
    expect(reads).toBeLessThan(lines / 10);
  });

  it("closes the connection when the body is dropped half-way", async () => {
    let closed: Promise<void> = Promise.resolve();
    const origin = await serve((req, res) => {
      closed = new Promise((resolve) => req.socket.on("close", () => resolve()));
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first\n");
      // Never ends: only the client's abort finishes this exchange.
    });
    const budget = new ScrapeBudget(5_000);
    const response = await dispatchRequest(agent, { origin, path: "/", method: "GET" }, budget.signal);
    for await (const _part of response.body) break;
    await closed;
    budget.dispose();
  });

  it("rejects with the signal's reason when the budget runs out before the headers", async () => {
    const origin = await serve(() => {});
    const budget = new ScrapeBudget(100);
    const failure = await dispatchRequest(agent, { origin, path: "/", method: "GET" }, budget.signal).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ScrapeFailure);
    expect((failure as ScrapeFailure).kind).toBe("timeout");
  });

  it("fails the body with the signal's reason when the budget runs out mid-body", async () => {
    const origin = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first\n");
    });
    const budget = new ScrapeBudget(150);
    const response = await dispatchRequest(agent, { origin, path: "/", method: "GET" }, budget.signal);
    const read = (async () => {
      for await (const _part of response.body) {
      }
    })();
    await expect(read).rejects.toBeInstanceOf(ScrapeFailure);
  });

  it("rejects at the budget's end while the request still waits for a socket of a full pool", async () => {
    const origin = await serve(() => {});
    const oneSocket = new Agent({ connections: 1 });
    // The first request holds the only socket until the test ends it: its server never answers.
    const hanging = new ScrapeBudget(60_000);
    let firstSettled = false;
    const first = dispatchRequest(oneSocket, { origin, path: "/", method: "GET" }, hanging.signal);
    first.then(
      () => (firstSettled = true),
      () => (firstSettled = true),
    );
    const budget = new ScrapeBudget(100);
    const second = await dispatchRequest(
      oneSocket,
      { origin, path: "/", method: "GET" },
      budget.signal,
    ).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ScrapeFailure);
    expect((second as ScrapeFailure).kind).toBe("timeout");
    // Answered while the socket was still taken, not once it freed.
    expect(firstSettled).toBe(false);
    hanging.abort(new ScrapeFailure("client", "test over"));
    hanging.dispose();
    await oneSocket.destroy();
  });

  it("passes undici's headers timeout on as the rejection", async () => {
    const origin = await serve(() => {});
    const budget = new ScrapeBudget(5_000);
    await expect(
      dispatchRequest(agent, { origin, path: "/", method: "GET", headersTimeout: 100 }, budget.signal),
    ).rejects.toMatchObject({ code: "UND_ERR_HEADERS_TIMEOUT" });
    budget.dispose();
  });
});
