import { ScrapeFailure } from "./failure.js";

export const SCRAPE_TIMEOUT_HEADER = "x-prometheus-scrape-timeout-seconds";

/**
 * The time one scrape may take: maxProcessingTime, or less when Prometheus tells us its own timeout,
 * so our answer (even a failure) arrives before Prometheus gives up on us.
 */
export function scrapeBudgetMs(
  maxProcessingTimeMs: number,
  timeoutHeader: string | string[] | undefined,
): number {
  const raw = Array.isArray(timeoutHeader) ? timeoutHeader[0] : timeoutHeader;
  const seconds = raw === undefined ? Number.NaN : Number(raw.trim());
  if (!Number.isFinite(seconds) || seconds <= 0) return maxProcessingTimeMs;
  const callerMs = seconds * 1000;
  // Leave room for answering; for very short timeouts keep at least half of it.
  const budget = Math.max(callerMs * 0.95 - 50, callerMs * 0.5);
  return Math.max(1, Math.floor(Math.min(maxProcessingTimeMs, budget)));
}

/**
 * The part of AbortSignal that the scrape path hands on: the upstream request (upstream-body.ts),
 * `events.once` and the authenticators read `aborted` and `reason` and add and remove one "abort" listener.
 */
export interface BudgetSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: object): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * Budgets of one length, in the order they were made, which is the order they expire in; one Node timer serves
 * them all, armed for the first that is still running. A Node timer per scrape (a Timeout object, its async
 * context and its place in Node's timer list) cost more than the rest of the budget together.
 */
class DeadlineQueue {
  /** Budgets from `head` on; a finished one stays until it reaches the front (see ScrapeBudget.dispose). */
  private budgets: ScrapeBudget[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  add(budget: ScrapeBudget): void {
    this.budgets.push(budget);
    if (this.timer === undefined) this.arm(budget.ms);
  }

  /** Drops finished budgets from the front; the timer stays armed (it finds nothing or a later deadline). */
  dropFinished(): void {
    const budgets = this.budgets;
    while (this.head < budgets.length && budgets[this.head].finished) this.head++;
    if (this.head === budgets.length) {
      budgets.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > budgets.length) {
      this.budgets = budgets.slice(this.head);
      this.head = 0;
    }
  }

  /** Armed as a timer of the budget's own would be, so that it fires before timers the scrape sets later. */
  private arm(delayMs: number): void {
    this.timer = setTimeout(this.expire, delayMs);
    // Only running scrapes need it; they keep the process alive by their sockets.
    this.timer.unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    const due: ScrapeBudget[] = [];
    const budgets = this.budgets;
    while (this.head < budgets.length) {
      const budget = budgets[this.head];
      // Node's timers run on the event loop's clock, which may trail performance.now() by up to a millisecond.
      if (!budget.finished && budget.deadline > now + 1) break;
      this.head++;
      if (!budget.finished) due.push(budget);
    }
    this.dropFinished();
    if (this.head < this.budgets.length) {
      this.arm(Math.max(1, Math.ceil(this.budgets[this.head].deadline - now)));
    }
    // Last: an abort listener may end its scrape, and so dispose a budget, at once.
    for (const budget of due) if (!budget.finished) budget.expire();
  };
}

/** One queue per budget length in milliseconds; a process sees a handful (maxProcessingTime, Prometheus' timeouts). */
const queues = new Map<number, DeadlineQueue>();
/** More lengths than this (timeout headers chosen by clients) start the map anew; running budgets keep their queue. */
const MAX_QUEUES = 256;

function queueFor(ms: number): DeadlineQueue {
  let queue = queues.get(ms);
  if (queue === undefined) {
    if (queues.size >= MAX_QUEUES) queues.clear();
    queue = new DeadlineQueue();
    queues.set(ms, queue);
  }
  return queue;
}

/**
 * A signal that fires when the budget is spent, or earlier when aborted by hand (caller gone). Not an
 * AbortController: one (an EventTarget tracked for garbage collection) with its timer and a listener costs
 * 7-11 µs per scrape on Node 20, this object under 1 µs (`node bench/scrape-signal.mjs`), and a scrape needs
 * nothing else of it. Call dispose() when the scrape ends.
 */
export class ScrapeBudget implements BudgetSignal {
  aborted = false;
  reason: ScrapeFailure | undefined;
  /** performance.now() at which the budget is spent. */
  readonly deadline: number;
  /** Disposed or expired: the queue forgets it. */
  finished = false;
  private listeners: (() => void)[] = [];
  private readonly queue: DeadlineQueue;

  constructor(readonly ms: number) {
    this.deadline = performance.now() + ms;
    this.queue = queueFor(ms);
    this.queue.add(this);
  }

  get signal(): BudgetSignal {
    return this;
  }

  /** The reason when aborted. */
  get failure(): ScrapeFailure | undefined {
    return this.reason;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  abort(reason: ScrapeFailure): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }

  /** Listeners run once, on abort (as with `{ once: true }`); one added after the abort never runs. */
  addEventListener(_type: "abort", listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  /** Called by the queue when the deadline has passed. */
  expire(): void {
    this.finished = true;
    this.abort(new ScrapeFailure("timeout", `no complete answer within the scrape budget of ${this.ms} ms`));
  }

  /** The scrape is over: the budget no longer fires. */
  dispose(): void {
    if (this.finished) return;
    this.finished = true;
    this.queue.dropFinished();
  }
}
