/** Counters of a refresh loop's runs, for diagnostics. */
export interface RefreshLoopStats {
  /** Runs finished (resolved or rejected). */
  runs: number;
  /** Runs that rejected. */
  failures: number;
  /** Rejections since the last resolved run. */
  consecutiveFailures: number;
}

export interface RefreshLoopOptions<T> {
  /** Pause between the end of one scheduled run and the start of the next, ms. */
  intervalMs: number;
  /** One refresh. A rejection is counted and the loop goes on. */
  run: () => Promise<T>;
}

/**
 * When to refresh, knowing nothing of what is refreshed (like Prometheus' discovery/refresh): a first run at
 * start(), then one `intervalMs` after each run ends; runs never overlap; ready after the first resolved run.
 */
export class RefreshLoop<T> {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Counts start() calls, so that a loop from before a stop() does not continue after a new start(). */
  private generation = 0;
  /** The run executing now (or queued behind it), so runs never overlap. */
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<T> | undefined;
  private readonly counters: RefreshLoopStats = { runs: 0, failures: 0, consecutiveFailures: 0 };
  private succeeded = false;
  private readonly readyPromise: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly options: RefreshLoopOptions<T>) {
    this.readyPromise = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  /** Schedules a first run now and then one every interval; a second call while running does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.schedule(0);
  }

  /** Cancels the next scheduled run; resolves once a run in progress has settled. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => undefined);
  }

  /**
   * Runs once, after the run in progress. Callers arriving while a run waits for its turn share it; a run
   * already executing is not reused, because it may have read state from before the caller's change.
   */
  trigger(): Promise<T> {
    if (this.queued) return this.queued;
    const next = this.chain
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.options.run();
      })
      .then(
        (value) => {
          this.count(true);
          return value;
        },
        (error: unknown) => {
          this.count(false);
          throw error;
        },
      );
    next.catch(() => undefined); // a caller that ignores the promise must not cause an unhandled rejection
    this.queued = next;
    this.chain = next;
    return next;
  }

  /** True once a run resolved. */
  ready(): boolean {
    return this.succeeded;
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  stats(): RefreshLoopStats {
    return { ...this.counters };
  }

  private count(ok: boolean): void {
    this.counters.runs++;
    if (ok) {
      this.counters.consecutiveFailures = 0;
      if (!this.succeeded) {
        this.succeeded = true;
        this.markReady();
      }
    } else {
      this.counters.failures++;
      this.counters.consecutiveFailures++;
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    const generation = this.generation;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.trigger()
        .catch(() => undefined) // the run reports its own failures; the loop goes on
        .finally(() => {
          // a stop() and start() meanwhile began a new loop; this one ends here
          if (generation === this.generation) this.schedule(this.options.intervalMs);
        });
    }, delayMs);
    // the HTTP server keeps the process alive, not this loop
    this.timer.unref();
  }
}
