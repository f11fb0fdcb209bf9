import { toError } from "../errors.js";

/**
 * A batch loader: asked for several keys at once, answers a value (or an Error) per key.
 * A key missing from the answer counts as a failed load for that key.
 * Throwing fails every key of the batch.
 */
export type BatchLoader<V> = (keys: string[]) => Promise<Map<string, V | Error>>;

export interface RefreshAheadCacheOptions<V> {
  name: string;
  /** Entries older than this are reloaded in the background on access while the old value is served. */
  refreshAfterMs: number;
  /**
   * A shorter (or longer) refresh time for one loaded value, ms; undefined = `refreshAfterMs`. E.g. a value
   * that is known to be incomplete because part of it could not be read is reloaded sooner.
   */
  refreshAfterMsOf?: (value: V) => number | undefined;
  /**
   * Entries not asked for for this long are dropped; <= 0 disables idle expiry. A key counts as asked for
   * until the load it asked for ends (a reader waits for it, or its next read follows it), so a key that is
   * still read never loses its last good value because its reloads fail or take long.
   */
  expireAfterMs: number;
  load: BatchLoader<V>;
  now?: () => number;
  /**
   * Told after every loader call: `error` is the first failure among its keys, if any; `background` is
   * true when every failed key still has an old value being served.
   */
  onLoadSettled?: (outcome: LoadSettled) => void;
}

export interface LoadSettled {
  keys: string[];
  error?: Error;
  background: boolean;
}

export interface ManyResult<V> {
  values: Map<string, V>;
  /** Keys that have no value because their load failed. */
  errors: Map<string, Error>;
}

/** The read side of a cache, which is all the resolution steps need. */
export type CacheReader<V> = Pick<RefreshAheadCache<V>, "getMany">;

type Outcome<V> = { ok: true; value: V } | { ok: false; error: Error };

interface Entry<V> {
  value: V;
  loadedAt: number;
  lastReadAt: number;
  refreshAfterMs: number;
  /** Set by markStale(): reload on the next read whatever its age. */
  forcedStale?: boolean;
}

interface Batch<V> {
  keys: Map<string, { resolve: (outcome: Outcome<V>) => void; promise: Promise<Outcome<V>> }>;
}

/**
 * Refresh-ahead cache with idle expiry.
 * - A miss waits for the load; concurrent requests for a key share one load.
 * - A stale entry is served as is while one background reload runs; a failed reload keeps it.
 * - A failed first load is not stored, so the next access tries again.
 * - All keys asked for in the same synchronous turn (e.g. one getMany) go to the loader in one call.
 */
export class RefreshAheadCache<V> {
  readonly name: string;
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inFlight = new Map<string, Promise<Outcome<V>>>();
  private pending: Batch<V> | undefined;
  private readonly running = new Set<Promise<void>>();
  /** Bumped by invalidate() so that loads started earlier do not refill the cache with old data. */
  private generation = 0;
  private loads = 0;
  private loadFailures = 0;
  private readonly now: () => number;

  constructor(private readonly options: RefreshAheadCacheOptions<V>) {
    this.name = options.name;
    this.now = options.now ?? Date.now;
  }

  async get(key: string): Promise<V> {
    const { values, errors } = await this.getMany([key]);
    if (values.has(key)) return values.get(key) as V;
    throw errors.get(key) ?? new Error(`${this.name} cache: no value for ${key}`);
  }

  /**
   * Values for many keys; misses are loaded with one loader call. With `waitForStale`, stale entries are
   * reloaded and awaited too (a failed reload still answers the old value), for callers that run in the
   * background and want current data rather than a fast answer.
   */
  async getMany(keys: Iterable<string>, options: { waitForStale?: boolean } = {}): Promise<ManyResult<V>> {
    const values = new Map<string, V>();
    const errors = new Map<string, Error>();
    const waits: { key: string; load: Promise<Outcome<V>>; old?: Entry<V> }[] = [];
    const now = this.now();
    for (const key of new Set(keys)) {
      const entry = this.liveEntry(key, now);
      if (!entry) {
        waits.push({ key, load: this.requestLoad(key) });
        continue;
      }
      entry.lastReadAt = now;
      const stale = entry.forcedStale === true || now - entry.loadedAt >= entry.refreshAfterMs;
      if (stale && options.waitForStale) {
        waits.push({ key, load: this.requestLoad(key), old: entry });
        continue;
      }
      values.set(key, entry.value);
      if (stale) void this.requestLoad(key);
    }
    for (const { key, load, old } of waits) {
      const outcome = await load;
      if (outcome.ok) values.set(key, outcome.value);
      else if (old) values.set(key, old.value);
      else errors.set(key, outcome.error);
    }
    return { values, errors };
  }

  /** The stored value without counting as a read or triggering loads. */
  peek(key: string): V | undefined {
    return this.liveEntry(key, this.now())?.value;
  }

  /** Empties the cache; loads already running still answer their callers but are not stored. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
    this.inFlight.clear();
  }

  /**
   * Like invalidate(), but keeps the values as the last good ones: every entry is reloaded on its next read
   * (a read with `waitForStale` waits for that load), and a failed reload still answers the old value.
   * Loads already running still answer their callers but are not stored.
   */
  markStale(): void {
    this.generation++;
    this.inFlight.clear();
    for (const entry of this.entries.values()) entry.forcedStale = true;
  }

  /** True while a load (including a background reload) is queued or running. */
  busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when no load is queued or running. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Drops entries idle for longer than the expiry time. */
  sweep(): void {
    const now = this.now();
    for (const key of [...this.entries.keys()]) this.liveEntry(key, now);
  }

  stats(): { entries: number; oldestAgeMs?: number; loads: number; loadFailures: number } {
    const now = this.now();
    let oldest: number | undefined;
    for (const entry of this.entries.values()) {
      const age = now - entry.loadedAt;
      if (oldest === undefined || age > oldest) oldest = age;
    }
    return {
      entries: this.entries.size,
      oldestAgeMs: oldest,
      loads: this.loads,
      loadFailures: this.loadFailures,
    };
  }

  private liveEntry(key: string, now: number): Entry<V> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const expiry = this.options.expireAfterMs;
    if (expiry > 0 && now - entry.lastReadAt >= expiry && !this.inFlight.has(key)) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Joins the load in flight for the key, or queues the key for the next batch. Never rejects. */
  private requestLoad(key: string): Promise<Outcome<V>> {
    const running = this.inFlight.get(key);
    if (running) return running;
    if (!this.pending) {
      const batch: Batch<V> = { keys: new Map() };
      this.pending = batch;
      const run = new Promise<void>((done) =>
        queueMicrotask(() => {
          if (this.pending === batch) this.pending = undefined;
          this.runBatch(batch).finally(done);
        }),
      );
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }
    let resolve!: (outcome: Outcome<V>) => void;
    const promise = new Promise<Outcome<V>>((r) => {
      resolve = r;
    });
    this.pending.keys.set(key, { resolve, promise });
    this.inFlight.set(key, promise);
    return promise;
  }

  private async runBatch(batch: Batch<V>): Promise<void> {
    const keys = [...batch.keys.keys()];
    const generation = this.generation;
    this.loads++;
    let answer: Map<string, V | Error> | undefined;
    let failure: Error | undefined;
    try {
      answer = await this.options.load(keys);
    } catch (error) {
      failure = toError(error);
    }
    const stillCurrent = generation === this.generation;
    const now = this.now();
    const failedKeys: string[] = [];
    let firstError: Error | undefined;
    for (const [key, waiter] of batch.keys) {
      let outcome: Outcome<V>;
      const loaded = answer?.get(key);
      if (failure) outcome = { ok: false, error: failure };
      else if (loaded instanceof Error) outcome = { ok: false, error: loaded };
      else if (loaded === undefined && !answer?.has(key))
        outcome = { ok: false, error: new Error(`${this.name} cache: the load returned nothing for ${key}`) };
      else outcome = { ok: true, value: loaded as V };

      if (stillCurrent) {
        // The key was asked for by a read that lasts until this load ends: that is its last read.
        if (outcome.ok) {
          this.entries.set(key, {
            value: outcome.value,
            loadedAt: now,
            lastReadAt: now,
            refreshAfterMs: this.options.refreshAfterMsOf?.(outcome.value) ?? this.options.refreshAfterMs,
          });
        } else {
          const previous = this.entries.get(key);
          if (previous) previous.lastReadAt = Math.max(previous.lastReadAt, now);
        }
        if (this.inFlight.get(key) === waiter.promise) this.inFlight.delete(key);
      }
      if (!outcome.ok) {
        failedKeys.push(key);
        firstError ??= outcome.error;
      }
      waiter.resolve(outcome);
    }
    if (firstError) this.loadFailures++;
    const background = failedKeys.every((key) => this.entries.has(key));
    try {
      this.options.onLoadSettled?.({ keys, error: firstError, background });
    } catch {
      // a broken callback must not break the cache
    }
  }
}
