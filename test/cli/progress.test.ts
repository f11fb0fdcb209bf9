import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createProgress } from "../../src/resolve-report/progress.js";

describe("progress of check-config --resolve", () => {
  let clock = 0;
  let out = "";
  const write = (text: string) => {
    out += text;
  };
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
    out = "";
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("prints one line per phase with the elapsed time", () => {
    const progress = createProgress({ write, tty: false, now: () => clock });
    progress.phase("connecting");
    clock = 1250;
    progress.phase("logging in");
    expect(out).toBe("[0.0s] connecting\n[1.3s] logging in\n");
  });

  it("on a terminal, prints a dot per second of waiting and ends the dots before the next phase", () => {
    const progress = createProgress({ write, tty: true, now: () => clock });
    const done = progress.waiting("resolving");
    vi.advanceTimersByTime(3500);
    done();
    clock = 3500;
    progress.phase("resolved");
    expect(out).toBe("...\n[3.5s] resolved\n");
    vi.advanceTimersByTime(5000);
    expect(out).toBe("...\n[3.5s] resolved\n");
  });

  it("off a terminal, prints a 'still' line every 5 seconds instead of dots", () => {
    const progress = createProgress({ write, tty: false, now: () => clock });
    const done = progress.waiting("resolving");
    clock = 5000;
    vi.advanceTimersByTime(5000);
    clock = 10_000;
    vi.advanceTimersByTime(5000);
    done();
    vi.advanceTimersByTime(10_000);
    expect(out).toBe("[5.0s] still resolving\n[10.0s] still resolving\n");
  });

  it("prints nothing for a short wait", () => {
    const progress = createProgress({ write, tty: true, now: () => clock });
    const done = progress.waiting("resolving");
    vi.advanceTimersByTime(400);
    done();
    expect(out).toBe("");
  });
});
