import { afterEach, describe, expect, it, vi } from "vitest";
import { nextTurn } from "../../src/event-loop-turn.js";
import { targetLabelNames } from "../../src/metrics/families.js";
import type { OwnMetrics } from "../../src/metrics/index.js";
import { InstanceTracker, NEW_ENTRIES_PER_TURN } from "../../src/metrics/lifecycle.js";
import { instance, ownMetrics, samplesOf, textOf } from "./helpers.js";

const PER_INSTANCE_SAMPLES = [
  "promregator_request_failure_total",
  "promregator_request_size_bytes_count",
  "promregator_request_latency_milliseconds_count",
  "promregator_scrape_up",
  "promregator_scrape_last_duration_seconds",
];

function clock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advanceSeconds: (s: number) => {
      now += s * 1000;
    },
  };
}

async function idsIn(metrics: OwnMetrics, sample: string): Promise<string[]> {
  return samplesOf(await textOf(metrics), sample).map((s) => s.labels.cf_instance_id);
}

describe("instance lifecycle", () => {
  let metrics: OwnMetrics | undefined;
  afterEach(() => {
    metrics?.stop();
    vi.useRealTimers();
  });

  it("removes an instance's series from all per-instance families once it was unseen for the timeout", async () => {
    const time = clock();
    metrics = ownMetrics({ discovererTimeoutSeconds: 600, requestLatency: true, now: time.now });
    const gone = instance({ instanceId: "gone:0" });
    const kept = instance({ instanceId: "kept:0" });
    metrics.markSeen([gone, kept]);
    for (const i of [gone, kept]) metrics.recordScrape({ instance: i, ok: true, bytes: 300, seconds: 0.1 });

    time.advanceSeconds(300);
    metrics.markSeen([kept]);
    time.advanceSeconds(299);
    expect(metrics.sweep()).toBe(0);
    expect(await idsIn(metrics, "promregator_scrape_up")).toEqual(["gone:0", "kept:0"]);

    time.advanceSeconds(1); // 600 s since "gone" was last seen: expiry <= now
    expect(metrics.sweep()).toBe(1);
    for (const sample of PER_INSTANCE_SAMPLES) {
      expect(await idsIn(metrics, sample), sample).toEqual(["kept:0"]);
    }
  });

  it("starts a reappearing instance from zero", async () => {
    const time = clock();
    metrics = ownMetrics({ discovererTimeoutSeconds: 60, now: time.now });
    const flaky = instance({ instanceId: "flaky:2", index: 2 });
    metrics.recordScrape({ instance: flaky, ok: false, seconds: 1 });
    metrics.recordScrape({ instance: flaky, ok: false, seconds: 1 });
    expect(samplesOf(await textOf(metrics), "promregator_request_failure_total")[0].value).toBe("2");

    time.advanceSeconds(61);
    metrics.sweep();
    expect(samplesOf(await textOf(metrics), "promregator_request_failure_total")).toEqual([]);

    metrics.markSeen([flaky]);
    metrics.recordScrape({ instance: flaky, ok: false, seconds: 1 });
    const again = samplesOf(await textOf(metrics), "promregator_request_failure_total");
    expect(again).toHaveLength(1);
    expect(again[0].value).toBe("1");
    expect(again[0].labels.cf_instance_number).toBe("2");
  });

  it("treats a renamed app as a new label set and lets the old one expire", async () => {
    const time = clock();
    metrics = ownMetrics({ discovererTimeoutSeconds: 60, now: time.now });
    metrics.recordScrape({ instance: instance({ appName: "old-name" }), ok: true, bytes: 1, seconds: 0 });
    time.advanceSeconds(30);
    const renamed = instance({ appName: "new-name" });
    metrics.markSeen([renamed]);
    metrics.recordScrape({ instance: renamed, ok: true, bytes: 1, seconds: 0 });
    time.advanceSeconds(30);
    metrics.sweep();

    const apps = samplesOf(await textOf(metrics), "promregator_scrape_up").map((s) => s.labels.app_name);
    expect(apps).toEqual(["new-name"]);
  });

  it("sweeps on its own every interval once startSweeper is called, and stops on stop()", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const time = clock();
    metrics = ownMetrics({ discovererTimeoutSeconds: 10, now: time.now });
    metrics.recordScrape({ instance: instance({ instanceId: "a:0" }), ok: true, bytes: 1, seconds: 0 });
    metrics.startSweeper(60_000);

    time.advanceSeconds(11);
    vi.advanceTimersByTime(60_000);
    expect(await idsIn(metrics, "promregator_scrape_up")).toEqual([]);

    metrics.stop();
    metrics.recordScrape({ instance: instance({ instanceId: "b:0" }), ok: true, bytes: 1, seconds: 0 });
    time.advanceSeconds(11);
    vi.advanceTimersByTime(120_000);
    expect(await idsIn(metrics, "promregator_scrape_up")).toEqual(["b:0"]);
  });

  it("rejects a non-positive discoverer timeout with a message naming the setting", () => {
    expect(() => ownMetrics({ discovererTimeoutSeconds: 0 })).toThrow(/promregator\.discoverer\.timeout/);
  });

  it("keeps the instances of a snapshot handed over again alive, also after one of them expired meanwhile", async () => {
    const time = clock();
    metrics = ownMetrics({ discovererTimeoutSeconds: 60, now: time.now });
    const a = instance({ instanceId: "a:0" });
    const b = instance({ instanceId: "b:0" });
    const snapshot = [a, b];
    metrics.markSeen(snapshot);
    for (const i of snapshot) metrics.recordScrape({ instance: i, ok: true, bytes: 1, seconds: 0.1 });
    time.advanceSeconds(50);
    metrics.markSeen(snapshot); // an unchanged refresh publishes the same list
    time.advanceSeconds(50);
    expect(metrics.sweep()).toBe(0);

    time.advanceSeconds(11); // 61 s since the last refresh: both expire
    expect(metrics.sweep()).toBe(2);
    metrics.recordScrape({ instance: a, ok: true, bytes: 1, seconds: 0.1 }); // a comes back by a scrape
    time.advanceSeconds(30);
    metrics.markSeen(snapshot); // the same list again must stamp a's new entry, not the removed one
    time.advanceSeconds(50);
    expect(metrics.sweep()).toBe(0);
    expect(await idsIn(metrics, "promregator_scrape_up")).toEqual(["a:0"]);
  });
});

describe("InstanceTracker", () => {
  const labels = targetLabelNames("");
  // a later turn than the one touchAll asked for
  const turn = () => nextTurn();
  const many = (count: number, app = "app") =>
    Array.from({ length: count }, (_, i) =>
      instance({ instanceId: `guid-${i}:0`, appGuid: `guid-${i}`, appName: app }),
    );

  it("derives the label sets of a new list NEW_ENTRIES_PER_TURN per turn of the event loop", async () => {
    const time = clock();
    const tracker = new InstanceTracker(labels, 60_000, time.now);
    const list = many(2 * NEW_ENTRIES_PER_TURN + 1);

    tracker.touchAll(list);
    expect(tracker.size).toBe(NEW_ENTRIES_PER_TURN);
    time.advanceSeconds(1);
    await turn();
    expect(tracker.size).toBe(2 * NEW_ENTRIES_PER_TURN);
    await turn();
    expect(tracker.size).toBe(list.length);
    // each label set is stamped when its slice ran: the first slice 1 s before the others
    time.advanceSeconds(59);
    expect(tracker.takeExpired()).toHaveLength(NEW_ENTRIES_PER_TURN);
    time.advanceSeconds(1);
    expect(tracker.takeExpired()).toHaveLength(list.length - NEW_ENTRIES_PER_TURN);
  });

  it("does not count instances it finds by their object against a turn's slice", async () => {
    const tracker = new InstanceTracker(labels, 60_000, clock().now);
    const known = many(NEW_ENTRIES_PER_TURN);
    tracker.touchAll(known);
    expect(tracker.size).toBe(NEW_ENTRIES_PER_TURN);

    // the known objects again, plus new ones: the known ones are found, the new ones fill one slice
    const fresh = many(NEW_ENTRIES_PER_TURN, "other-app");
    tracker.touchAll([...known, ...fresh]);
    expect(tracker.size).toBe(2 * NEW_ENTRIES_PER_TURN);
  });

  it("tracks a list handed over while the previous one is still derived, and a rename in it", async () => {
    const time = clock();
    const tracker = new InstanceTracker(labels, 60_000, time.now);
    const first = many(2 * NEW_ENTRIES_PER_TURN + 500);
    tracker.touchAll(first);
    // the next refresh, before the first list is done: one instance not derived yet was renamed
    const renamed = NEW_ENTRIES_PER_TURN * 2 + 400;
    const second = first.map((i, n) => (n === renamed ? { ...i, appName: "renamed" } : i));
    tracker.touchAll(second);
    for (let i = 0; i < 4; i++) await turn();
    expect(tracker.size).toBe(first.length + 1);

    time.advanceSeconds(30);
    tracker.touchAll(second);
    for (let i = 0; i < 4; i++) await turn();
    time.advanceSeconds(30);
    const expired = tracker.takeExpired();
    expect(expired.map((e) => e.labelText)).toEqual([expect.stringContaining('app_name="app"')]);
    expect(expired[0].instanceId).toBe(`guid-${renamed}:0`);
    expect(tracker.touch(second[renamed]).labelText).toContain('app_name="renamed"');
    expect(tracker.size).toBe(first.length);
  });

  it("keeps one label set per instance when expiry removes others while a list is derived", async () => {
    const time = clock();
    const tracker = new InstanceTracker(labels, 60_000, time.now);
    tracker.touch(instance({ instanceId: "gone:0", appGuid: "gone" }));
    time.advanceSeconds(60);
    const list = many(2 * NEW_ENTRIES_PER_TURN + 500);
    tracker.touchAll(list);
    const early = tracker.touch(list[0]);
    // the sweeper runs between two slices of the list
    expect(tracker.takeExpired().map((e) => e.instanceId)).toEqual(["gone:0"]);
    for (let i = 0; i < 4; i++) await turn();
    expect(tracker.size).toBe(list.length);
    expect(tracker.touch(list[0])).toBe(early);

    time.advanceSeconds(30);
    tracker.touchAll(list);
    for (let i = 0; i < 4; i++) await turn();
    expect(tracker.size).toBe(list.length);
    time.advanceSeconds(30);
    expect(tracker.takeExpired()).toEqual([]);
    time.advanceSeconds(30);
    expect(tracker.takeExpired()).toHaveLength(list.length);
    expect(tracker.size).toBe(0);
  });

  it("tells label sets apart whose values differ only in where a separator falls", () => {
    const tracker = new InstanceTracker(labels, 60_000, clock().now);
    const a = tracker.touch(instance({ instanceId: "g:0", orgName: "a", spaceName: '",:b' }));
    const b = tracker.touch(instance({ instanceId: "g:0", orgName: 'a",:', spaceName: "b" }));
    const c = tracker.touch(instance({ instanceId: "g:0", orgName: "a", spaceName: '",:b' }));
    expect(a).not.toBe(b);
    expect(c).toBe(a);
    expect(tracker.size).toBe(2);
    expect(a.labelText).toContain('space_name="\\",:b"');
    expect(b.labelText).toContain('org_name="a\\",:"');
  });
});
