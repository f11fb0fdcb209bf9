import { afterEach, describe, expect, it, vi } from "vitest";
import { RefreshLoop } from "../../src/discovery/refresh-loop.js";

/** A run that waits until the test lets it finish. */
function gatedRuns() {
  const releases: ((ok: boolean) => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const run = () =>
    new Promise<number>((resolve, reject) => {
      active++;
      maxActive = Math.max(maxActive, active);
      releases.push((ok) => {
        active--;
        if (ok) resolve(releases.length);
        else reject(new Error("run failed"));
      });
    });
  return { run, releases, maxActive: () => maxActive };
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe("refresh loop", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("runs first at start, then one interval after each run ends, and stops", async () => {
    vi.useFakeTimers();
    let runs = 0;
    const loop = new RefreshLoop({ intervalMs: 1000, run: async () => ++runs });
    loop.start();
    loop.start(); // a second start does not add a second loop
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await loop.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(2);
    expect(loop.stats()).toEqual({ runs: 2, failures: 0, consecutiveFailures: 0 });
  });

  it("never overlaps runs; callers arriving while one waits share the queued run", async () => {
    const gated = gatedRuns();
    const loop = new RefreshLoop({ intervalMs: 1000, run: gated.run });
    const first = loop.trigger();
    expect(loop.trigger()).toBe(first); // not started yet: shared
    await flush();
    const second = loop.trigger();
    const third = loop.trigger();
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await flush();
    expect(gated.releases).toHaveLength(1);
    gated.releases[0](true);
    await first;
    await flush();
    expect(gated.releases).toHaveLength(2);
    gated.releases[1](true);
    await second;
    expect(gated.maxActive()).toBe(1);
  });

  it("is ready after the first resolved run, counts failures, and goes on after one", async () => {
    vi.useFakeTimers();
    const outcomes = [false, false, true, false];
    const loop = new RefreshLoop({
      intervalMs: 10,
      run: async () => {
        if (!outcomes.shift()) throw new Error("CF down");
        return "snapshot";
      },
    });
    let ready = false;
    void loop.whenReady().then(() => {
      ready = true;
    });
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(loop.ready()).toBe(false);
    expect(loop.stats()).toEqual({ runs: 2, failures: 2, consecutiveFailures: 2 });
    await vi.advanceTimersByTimeAsync(10);
    expect(loop.ready()).toBe(true);
    expect(ready).toBe(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(loop.stats()).toEqual({ runs: 4, failures: 3, consecutiveFailures: 1 });
    expect(loop.ready()).toBe(true); // one success is enough; a later failure does not undo it
    await loop.stop();
  });

  it("stop() waits for the run in progress", async () => {
    const gated = gatedRuns();
    const loop = new RefreshLoop({ intervalMs: 1000, run: gated.run });
    loop.start();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(gated.releases).toHaveLength(1);
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await flush();
    expect(stopped).toBe(false);
    gated.releases[0](true);
    await stopping;
    expect(stopped).toBe(true);
  });
});
