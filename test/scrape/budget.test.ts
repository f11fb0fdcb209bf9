import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ScrapeBudget } from "../../src/scrape/budget.js";
import { ScrapeFailure } from "../../src/scrape/failure.js";

/** Lets `ms` of the fake clock pass (timers and performance.now() alike), running what falls due. */
const sleep = (ms: number) => vi.advanceTimersByTimeAsync(ms);

/** When `budget` fired, in ms after `start`; undefined while it has not. */
function watch(budget: ScrapeBudget, start: number): { at?: number } {
  const seen: { at?: number } = {};
  budget.addEventListener("abort", () => {
    seen.at = performance.now() - start;
  });
  return seen;
}

describe("ScrapeBudget (one timer per budget length)", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires each budget of one length at its own deadline, not at the first one's", async () => {
    const start = performance.now();
    const first = new ScrapeBudget(60);
    const firstSeen = watch(first, start);
    await sleep(40);
    const second = new ScrapeBudget(60);
    const secondSeen = watch(second, start);
    await sleep(40);
    expect(first.aborted).toBe(true);
    expect(firstSeen.at).toBe(60);
    expect(second.aborted).toBe(false);
    await sleep(40);
    expect(second.aborted).toBe(true);
    expect(secondSeen.at).toBe(100);
    expect(second.failure).toBeInstanceOf(ScrapeFailure);
    expect(second.failure?.kind).toBe("timeout");
    expect(second.failure?.reason).toBe("no complete answer within the scrape budget of 60 ms");
  });

  it("never fires a disposed budget, and still fires the ones behind it", async () => {
    const disposed = new ScrapeBudget(50);
    const kept = new ScrapeBudget(50);
    const later = new ScrapeBudget(50);
    disposed.dispose();
    later.dispose();
    await sleep(90);
    expect(disposed.aborted).toBe(false);
    expect(later.aborted).toBe(false);
    expect(kept.aborted).toBe(true);
  });

  it("keeps budgets of different lengths apart: a long one made first does not delay a short one", async () => {
    const start = performance.now();
    const long = new ScrapeBudget(400);
    const short = new ScrapeBudget(30);
    const shortSeen = watch(short, start);
    await sleep(80);
    expect(short.aborted).toBe(true);
    expect(shortSeen.at).toBe(30);
    expect(long.aborted).toBe(false);
    long.dispose();
  });

  it("fires a budget made after all earlier ones of its length were disposed", async () => {
    for (let i = 0; i < 2_000; i++) new ScrapeBudget(40).dispose();
    await sleep(60);
    const next = new ScrapeBudget(40);
    await sleep(80);
    expect(next.aborted).toBe(true);
  });

  it("lets an abort listener dispose other budgets of its length while the queue fires", async () => {
    const a = new ScrapeBudget(30);
    const b = new ScrapeBudget(30);
    const c = new ScrapeBudget(30);
    a.addEventListener("abort", () => b.dispose());
    await sleep(70);
    expect(a.aborted).toBe(true);
    expect(c.aborted).toBe(true);
    // b was due in the same run; disposed by a's listener before its turn, it stays unfired.
    expect(b.aborted).toBe(false);
  });

  it("aborted by hand, it tells its listeners once and the deadline adds nothing", async () => {
    const budget = new ScrapeBudget(30);
    let calls = 0;
    budget.addEventListener("abort", () => calls++);
    budget.abort(new ScrapeFailure("client", "the caller closed the connection"));
    await sleep(60);
    expect(calls).toBe(1);
    expect(budget.failure?.kind).toBe("client");
  });
});
