import { describe, expect, it } from "vitest";
import { startWatchdog, type WatchdogTimers } from "../../src/cf/watchdog.js";
import { silentLogger } from "../../src/log.js";
import { testConfig } from "./fake-cf.js";

/** Timers that fire only when the test says so. */
function manualTimers(): WatchdogTimers & {
  pending: { fn: () => void; ms: number; id: number }[];
  fire(ms: number): Promise<void>;
} {
  let nextId = 0;
  const pending: { fn: () => void; ms: number; id: number }[] = [];
  return {
    pending,
    setTimeout(fn, ms) {
      const id = ++nextId;
      pending.push({ fn, ms, id });
      return id;
    },
    clearTimeout(handle) {
      const i = pending.findIndex((p) => p.id === handle);
      if (i >= 0) pending.splice(i, 1);
    },
    /** Runs the pending timer with this delay and lets the probe settle. */
    async fire(ms) {
      const i = pending.findIndex((p) => p.ms === ms);
      if (i < 0)
        throw new Error(`no timer with ${ms} ms pending (have ${pending.map((p) => p.ms).join(", ")})`);
      const [t] = pending.splice(i, 1);
      t!.fn();
      for (let k = 0; k < 5; k++) await Promise.resolve();
    },
  };
}

function watchdogConfig(restartCount?: number) {
  return testConfig("https://api.example.org", {
    watchdog: { enabled: true, timeout: 2500, rate: 60, initialDelay: 30, restartCount },
  });
}

describe("watchdog", () => {
  it("probes after initialDelay, then every rate seconds", async () => {
    const timers = manualTimers();
    let probes = 0;
    const wd = startWatchdog({
      config: watchdogConfig(),
      client: { getInfo: async () => ({ version: 1, n: ++probes }) },
      logger: silentLogger,
      onExit: () => {
        throw new Error("must not exit");
      },
      timers,
    });
    expect(timers.pending.map((p) => p.ms)).toEqual([30_000]);
    await timers.fire(30_000);
    expect(probes).toBe(1);
    expect(timers.pending.map((p) => p.ms)).toEqual([60_000]);
    await timers.fire(60_000);
    expect(probes).toBe(2);
    expect(wd.failures).toBe(0);
    wd.stop();
    expect(timers.pending).toHaveLength(0);
  });

  it("counts failures cumulatively and exits with 161 once they exceed restartCount", async () => {
    const timers = manualTimers();
    const results = [false, true, false, false];
    const exits: number[] = [];
    const seen: number[] = [];
    let reconnects = 0;
    const wd = startWatchdog({
      config: watchdogConfig(2),
      client: {
        getInfo: async () => {
          if (!results.shift()) throw new Error("GET /v3/info failed: ECONNREFUSED");
          return {};
        },
      },
      logger: silentLogger,
      onExit: (code) => exits.push(code),
      onFailure: (n) => seen.push(n),
      metrics: { recordWatchdogReconnect: () => ++reconnects },
      timers,
    });
    await timers.fire(30_000); // fail 1
    await timers.fire(60_000); // ok; the count stays
    await timers.fire(60_000); // fail 2 = restartCount, not more
    expect(exits).toEqual([]);
    await timers.fire(60_000); // fail 3 > 2
    expect(exits).toEqual([161]);
    expect(seen).toEqual([1, 2, 3]);
    expect(reconnects).toBe(3);
    expect(wd.failures).toBe(3);
    expect(timers.pending).toHaveLength(0);
  });

  it("never exits without restartCount", async () => {
    const timers = manualTimers();
    const exits: number[] = [];
    const wd = startWatchdog({
      config: watchdogConfig(undefined),
      client: { getInfo: () => Promise.reject(new Error("down")) },
      logger: silentLogger,
      onExit: (code) => exits.push(code),
      timers,
    });
    await timers.fire(30_000);
    for (let i = 0; i < 5; i++) await timers.fire(60_000);
    expect(wd.failures).toBe(6);
    expect(exits).toEqual([]);
    wd.stop();
  });

  it("counts a probe that never settles as a failure", async () => {
    const timers = manualTimers();
    const wd = startWatchdog({
      config: watchdogConfig(),
      client: { getInfo: () => new Promise(() => {}) },
      logger: silentLogger,
      onExit: () => {},
      timers,
    });
    await timers.fire(30_000);
    expect(timers.pending.map((p) => p.ms)).toEqual([3500]);
    await timers.fire(3500);
    expect(wd.failures).toBe(1);
    expect(timers.pending.map((p) => p.ms)).toEqual([60_000]);
    wd.stop();
  });

  it("does nothing when disabled", () => {
    const timers = manualTimers();
    const config = testConfig("https://api.example.org");
    const wd = startWatchdog({
      config,
      client: { getInfo: async () => ({}) },
      logger: silentLogger,
      onExit: () => {},
      timers,
    });
    expect(timers.pending).toHaveLength(0);
    wd.stop();
  });
});
