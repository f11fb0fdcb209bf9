import { describe, expect, it } from "vitest";
import { nextTurn } from "../../src/event-loop-turn.js";
import { countLoopTurns } from "../support/loop-turns.js";

describe("nextTurn", () => {
  it("resumes callers that wait at the same time in different iterations of the event loop, in order", async () => {
    const loop = countLoopTurns();
    const resumed: { who: number; iteration: number }[] = [];
    await Promise.all(
      [0, 1, 2].map((who) => nextTurn().then(() => resumed.push({ who, iteration: loop.turns }))),
    );
    loop.stop();
    expect(resumed.map((r) => r.who)).toEqual([0, 1, 2]);
    const iterations = resumed.map((r) => r.iteration);
    expect(new Set(iterations).size).toBe(3);
    expect(iterations).toEqual([...iterations].sort((a, b) => a - b));
  });

  it("lets a timer due meanwhile run between two waiting callers", async () => {
    const order: string[] = [];
    const first = nextTurn().then(() => {
      // A timer set during a slice of work, due when the slice ends. (Set before the first slice, it could
      // fire even before it on a busy machine, where reaching the check phase takes longer than 1 ms.)
      setTimeout(() => order.push("timer"), 1);
      const until = Date.now() + 5;
      while (Date.now() < until);
      order.push("first");
    });
    const second = nextTurn().then(() => order.push("second"));
    await Promise.all([first, second]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(["first", "timer", "second"]);
  });

  it("keeps resuming later callers when an earlier caller's continuation throws", async () => {
    const failing = nextTurn().then(() => {
      throw new Error("slice failed");
    });
    const later = nextTurn().then(() => "later ran");
    await expect(failing).rejects.toThrow("slice failed");
    await expect(later).resolves.toBe("later ran");
    await expect(nextTurn()).resolves.toBeUndefined();
  });

  it("resumes thousands of waiting callers, each once and in the order they asked", async () => {
    const order: number[] = [];
    await Promise.all(Array.from({ length: 5000 }, (_, i) => nextTurn().then(() => order.push(i))));
    expect(order).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
