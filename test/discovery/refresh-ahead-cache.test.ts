import { describe, expect, it } from "vitest";
import { type LoadSettled, RefreshAheadCache } from "../../src/discovery/refresh-ahead-cache.js";
import { manualClock } from "./config.js";

/** A loader whose calls are recorded and answered by the test. */
function controlledLoader() {
  const calls: {
    keys: string[];
    resolve: (m: Map<string, string | Error>) => void;
    reject: (e: Error) => void;
  }[] = [];
  const load = (keys: string[]) =>
    new Promise<Map<string, string | Error>>((resolve, reject) => calls.push({ keys, resolve, reject }));
  const answer = (i: number, suffix: string) =>
    calls[i].resolve(new Map(calls[i].keys.map((k) => [k, `${k}${suffix}`] as const)));
  return { calls, load, answer };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function makeCache(opts: { refresh?: number; expire?: number } = {}) {
  const clock = manualClock();
  const loader = controlledLoader();
  const settled: LoadSettled[] = [];
  const cache = new RefreshAheadCache<string>({
    name: "test",
    refreshAfterMs: opts.refresh ?? 1000,
    expireAfterMs: opts.expire ?? 10_000,
    load: loader.load,
    now: clock.now,
    onLoadSettled: (o) => settled.push(o),
  });
  return { clock, loader, cache, settled };
}

describe("RefreshAheadCache", () => {
  it("markStale reloads every entry on its next read and still answers the old value when that fails", async () => {
    const { cache, loader } = makeCache({ refresh: 60_000 });
    const first = cache.getMany(["a", "b"]);
    await flush();
    loader.answer(0, "-v1");
    await first;
    cache.markStale();
    const again = cache.getMany(["a", "b"], { waitForStale: true });
    await flush();
    expect(loader.calls).toHaveLength(2);
    loader.calls[1].resolve(
      new Map<string, string | Error>([
        ["a", "a-v2"],
        ["b", new Error("503")],
      ]),
    );
    const result = await again;
    expect(result.values).toEqual(
      new Map([
        ["a", "a-v2"],
        ["b", "b-v1"],
      ]),
    );
    expect(result.errors.size).toBe(0);
    // a is fresh again after its reload; b, whose reload failed, is still reloaded on its next read
    const third = cache.getMany(["a"], { waitForStale: true });
    await flush();
    expect(loader.calls).toHaveLength(2);
    expect((await third).values.get("a")).toBe("a-v2");
    const fourth = cache.getMany(["b"], { waitForStale: true });
    await flush();
    expect(loader.calls.map((c) => c.keys)).toEqual([["a", "b"], ["a", "b"], ["b"]]);
    loader.answer(2, "-v3");
    expect((await fourth).values.get("b")).toBe("b-v3");
  });

  it("refreshes a value sooner when refreshAfterMsOf says so", async () => {
    const clock = manualClock();
    const loader = controlledLoader();
    const cache = new RefreshAheadCache<string>({
      name: "test",
      refreshAfterMs: 300_000,
      refreshAfterMsOf: (value) => (value.endsWith("partial") ? 30_000 : undefined),
      expireAfterMs: 0,
      load: loader.load,
      now: clock.now,
    });
    const first = cache.getMany(["a", "b"]);
    await flush();
    loader.calls[0].resolve(
      new Map([
        ["a", "a-partial"],
        ["b", "b-full"],
      ]),
    );
    await first;
    clock.advance(30_000);
    const values = await cache.getMany(["a", "b"]);
    await flush();
    expect(values.values).toEqual(
      new Map([
        ["a", "a-partial"],
        ["b", "b-full"],
      ]),
    );
    expect(loader.calls).toHaveLength(2);
    expect(loader.calls[1].keys).toEqual(["a"]);
  });

  it("loads a miss once even when asked concurrently", async () => {
    const { cache, loader } = makeCache();
    const a = cache.get("k");
    const b = cache.get("k");
    await flush();
    expect(loader.calls).toHaveLength(1);
    loader.answer(0, "-v1");
    await expect(a).resolves.toBe("k-v1");
    await expect(b).resolves.toBe("k-v1");
    await expect(cache.get("k")).resolves.toBe("k-v1");
    expect(loader.calls).toHaveLength(1);
  });

  it("batches keys requested together into one loader call", async () => {
    const { cache, loader } = makeCache();
    const many = cache.getMany(["a", "b", "a", "c"]);
    const single = cache.get("d");
    await flush();
    expect(loader.calls).toHaveLength(1);
    expect(loader.calls[0].keys.sort()).toEqual(["a", "b", "c", "d"]);
    loader.answer(0, "!");
    const result = await many;
    expect([...result.values.entries()].sort()).toEqual([
      ["a", "a!"],
      ["b", "b!"],
      ["c", "c!"],
    ]);
    await expect(single).resolves.toBe("d!");
  });

  it("serves a stale value at once and reloads it once in the background", async () => {
    const { cache, loader, clock } = makeCache({ refresh: 1000 });
    const first = cache.get("k");
    await flush();
    loader.answer(0, "-old");
    await first;
    clock.advance(1500);
    await expect(cache.get("k")).resolves.toBe("k-old");
    await expect(cache.get("k")).resolves.toBe("k-old");
    await flush();
    expect(loader.calls).toHaveLength(2);
    loader.answer(1, "-new");
    await flush();
    await expect(cache.get("k")).resolves.toBe("k-new");
    expect(loader.calls).toHaveLength(2);
  });

  it("keeps the old value when a reload fails and tries again on a later access", async () => {
    const { cache, loader, clock, settled } = makeCache({ refresh: 1000 });
    const first = cache.get("k");
    await flush();
    loader.answer(0, "-old");
    await first;
    clock.advance(2000);
    await cache.get("k");
    await flush();
    loader.calls[1].reject(new Error("cc down"));
    await flush();
    expect(settled.at(-1)).toMatchObject({ background: true, error: { message: "cc down" } });
    await expect(cache.get("k")).resolves.toBe("k-old");
    await flush();
    expect(loader.calls).toHaveLength(3);
    expect(cache.stats().loadFailures).toBe(1);
  });

  it("does not store a failed first load", async () => {
    const { cache, loader, settled } = makeCache();
    const first = cache.get("k");
    await flush();
    loader.calls[0].reject(new Error("boom"));
    await expect(first).rejects.toThrow("boom");
    expect(settled[0]).toMatchObject({ background: false, keys: ["k"] });
    expect(cache.stats().entries).toBe(0);
    const second = cache.get("k");
    await flush();
    expect(loader.calls).toHaveLength(2);
    loader.answer(1, "-ok");
    await expect(second).resolves.toBe("k-ok");
  });

  it("reports a per-key error without failing the other keys", async () => {
    const { cache, loader } = makeCache();
    const many = cache.getMany(["good", "bad", "absent"]);
    await flush();
    loader.calls[0].resolve(
      new Map<string, string | Error>([
        ["good", "G"],
        ["bad", new Error("no such org")],
      ]),
    );
    const { values, errors } = await many;
    expect(values.get("good")).toBe("G");
    expect(errors.get("bad")?.message).toBe("no such org");
    expect(errors.get("absent")?.message).toMatch(/returned nothing for absent/);
    expect(cache.peek("good")).toBe("G");
    expect(cache.peek("bad")).toBeUndefined();
  });

  it("evicts entries not read for the expiry time, while reads keep them alive", async () => {
    const { cache, loader, clock } = makeCache({ refresh: 100_000, expire: 1000 });
    const first = cache.getMany(["read", "idle"]);
    await flush();
    loader.answer(0, "-1");
    await first;
    clock.advance(600);
    await cache.get("read");
    clock.advance(600);
    await cache.get("read");
    cache.sweep();
    expect(cache.stats().entries).toBe(1);
    expect(cache.peek("idle")).toBeUndefined();
    const again = cache.get("idle");
    await flush();
    expect(loader.calls).toHaveLength(2);
    loader.answer(1, "-2");
    await expect(again).resolves.toBe("idle-2");
  });

  it("never drops the last good value of a key still asked for while its reloads fail or take long", async () => {
    const { cache, loader, clock } = makeCache({ refresh: 1000, expire: 2000 });
    const first = cache.getMany(["k"]);
    await flush();
    loader.answer(0, "-1");
    await first;
    // A reader waits for the reload of the stale key; the reload hangs far beyond the expiry time.
    clock.advance(1500);
    const waiting = cache.getMany(["k"], { waitForStale: true });
    await flush();
    clock.advance(5000);
    cache.sweep();
    expect(cache.peek("k")).toBe("k-1");
    loader.calls[1].resolve(new Map([["k", new Error("timed out")]]));
    expect((await waiting).values.get("k")).toBe("k-1");
    // The next read follows the failed reload by less than the expiry time: still the last good value.
    clock.advance(1500);
    const next = cache.getMany(["k"]);
    expect((await next).values.get("k")).toBe("k-1");
  });

  it("retain drops the entries whose key the caller knows are gone, whatever their idle time, and keeps the others", async () => {
    const { cache, loader } = makeCache({ expire: 0 });
    const first = cache.getMany(["kept", "gone"]);
    await flush();
    loader.answer(0, "-1");
    await first;
    cache.retain((key) => key !== "gone");
    expect(cache.peek("kept")).toBe("kept-1");
    expect(cache.peek("gone")).toBeUndefined();
    expect(cache.stats().entries).toBe(1);
  });

  it("invalidate empties the cache and ignores loads that started before it", async () => {
    const { cache, loader } = makeCache();
    const first = cache.get("a");
    await flush();
    loader.answer(0, "-1");
    await first;
    const slow = cache.get("b");
    await flush();
    cache.invalidate();
    expect(cache.stats().entries).toBe(0);
    loader.answer(1, "-before-invalidate");
    await expect(slow).resolves.toBe("b-before-invalidate");
    expect(cache.peek("b")).toBeUndefined();
    const fresh = cache.get("b");
    await flush();
    expect(loader.calls).toHaveLength(3);
    loader.answer(2, "-after");
    await expect(fresh).resolves.toBe("b-after");
  });

  it("asks the loader once for a key asked for again in the same turn after invalidate", async () => {
    const { cache, loader } = makeCache();
    const first = cache.get("a");
    cache.invalidate();
    const second = cache.getMany(["a", "b"]);
    await flush();
    expect(loader.calls.map((c) => c.keys)).toEqual([["a", "b"]]);
    loader.answer(0, "-1");
    await expect(first).resolves.toBe("a-1");
    expect((await second).values).toEqual(
      new Map([
        ["a", "a-1"],
        ["b", "b-1"],
      ]),
    );
  });

  it("does not store a load when invalidate() comes after its batch left the queue, and still answers", async () => {
    const loads: string[][] = [];
    const cache = new RefreshAheadCache<string>({
      name: "test",
      refreshAfterMs: 60_000,
      expireAfterMs: 0,
      load: async (keys) => {
        loads.push(keys);
        return new Map(keys.map((k) => [k, `${k}-1`] as const));
      },
    });
    const asked = cache.get("a");
    await null; // the batch has left the queue: its loader call is under way
    cache.invalidate();
    await expect(asked).resolves.toBe("a-1");
    await flush();
    expect(loads).toEqual([["a"]]);
    expect(cache.peek("a")).toBeUndefined();
  });

  it("gives every caller of a key the loader left out the same error, the one onLoadSettled gets", async () => {
    const settled: LoadSettled[] = [];
    const cache = new RefreshAheadCache<string>({
      name: "test",
      refreshAfterMs: 60_000,
      expireAfterMs: 0,
      load: async (keys) => new Map(keys.filter((k) => k !== "gone").map((k) => [k, `${k}-1`] as const)),
      onLoadSettled: (o) => settled.push(o),
    });
    const [one, two] = await Promise.all([cache.getMany(["a", "gone"]), cache.getMany(["gone"])]);
    expect(one.values).toEqual(new Map([["a", "a-1"]]));
    expect(one.errors.get("gone")?.message).toBe("test cache: the load returned nothing for gone");
    expect(two.errors.get("gone")).toBe(one.errors.get("gone"));
    expect(settled[0]?.error).toBe(one.errors.get("gone"));
    expect(cache.peek("a")).toBe("a-1");
  });

  it("answers every caller when the loader breaks its contract or refreshAfterMsOf throws", async () => {
    let calls = 0;
    const broken = new RefreshAheadCache<string>({
      name: "test",
      refreshAfterMs: 60_000,
      expireAfterMs: 0,
      load: async () => {
        calls++;
        return { a: "a-1" } as unknown as Map<string, string>;
      },
    });
    const first = await broken.getMany(["a"]);
    expect(first.errors.get("a")?.message).toBe("test cache: the load answered no map");
    expect(broken.busy()).toBe(false);
    // nothing is left attached to the failed batch: the next read asks the loader again
    await broken.getMany(["a"]);
    expect(calls).toBe(2);

    const throwing = new RefreshAheadCache<string>({
      name: "test",
      refreshAfterMs: 60_000,
      expireAfterMs: 0,
      refreshAfterMsOf: (v) => {
        if (v === "a-1") throw new Error("no refresh time");
        return undefined;
      },
      load: async (keys) => new Map(keys.map((k) => [k, `${k}-1`] as const)),
    });
    const result = await throwing.getMany(["a", "b"]);
    expect(result.values).toEqual(
      new Map([
        ["a", "a-1"],
        ["b", "b-1"],
      ]),
    );
    expect(throwing.peek("a")).toBe("a-1");
  });

  it("waitForStale waits for the reload, and falls back to the old value when it fails", async () => {
    const { cache, loader, clock } = makeCache({ refresh: 1000 });
    const first = cache.get("k");
    await flush();
    loader.answer(0, "-old");
    await first;
    clock.advance(1000);
    const waiting = cache.getMany(["k"], { waitForStale: true });
    await flush();
    loader.answer(1, "-new");
    expect((await waiting).values.get("k")).toBe("k-new");
    clock.advance(1000);
    const failing = cache.getMany(["k"], { waitForStale: true });
    await flush();
    loader.calls[2].reject(new Error("down"));
    const result = await failing;
    expect(result.values.get("k")).toBe("k-new");
    expect(result.errors.size).toBe(0);
  });

  it("reports size and the age of the oldest entry", async () => {
    const { cache, loader, clock } = makeCache({ refresh: 100_000 });
    const a = cache.get("a");
    await flush();
    loader.answer(0, "");
    await a;
    clock.advance(3000);
    const b = cache.get("b");
    await flush();
    loader.answer(1, "");
    await b;
    clock.advance(500);
    expect(cache.stats()).toMatchObject({ entries: 2, oldestAgeMs: 3500, loads: 2, loadFailures: 0 });
  });
});
