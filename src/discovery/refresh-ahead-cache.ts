import { toError } from "../errors.js";

/**
 * A batch loader: asked for several keys at once, answers a value (or an Error) per key.
 * A key missing from the answer counts as a failed load for that key.
 * Throwing fails every key of the batch. The answer is read after the loader returns, also by callers that
 * resume later: a loader must not change it afterwards.
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
   * still read never loses its last good value because its own reloads fail or take long. The idle time is the
   * clock's, though: when the reader itself comes late (it waits for another cache's reload first, which a
   * hanging Cloud Controller makes a timeout long), its keys look idle. A cache whose missing value would be
   * taken for an answer, rather than failing its reader, uses 0 and drops keys with retain().
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

/**
 * One loader call and the keys it loads. A refresh asks for thousands of keys and its loads run for seconds:
 * one promise per batch rather than one per key keeps that bookkeeping to a few objects (objects that live
 * that long are promoted to the old generation and left there as garbage by the next refresh).
 */
interface Batch<V> {
  /** A set: after invalidate() a key may be asked for again while its first request still waits here. */
  keys: Set<string>;
  /** Resolves once the loader answered (or failed) and the cache took the answer; never rejects. */
  done: Promise<void>;
  /** Set when the load ended: the loader's answer, or the failure of the whole batch. */
  answer?: Map<string, V | Error>;
  failure?: Error;
  /** The error of each key the answer left out, made once for all its callers; usually absent. */
  missing?: Map<string, Error>;
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
  /** The batch that loads a key, while it is queued or running. */
  private readonly inFlight = new Map<string, Batch<V>>();
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
    // `old`: the value served while a stale key reloads, and still answered if the reload fails.
    const waits: { key: string; batch: Batch<V>; stale: boolean; old: V | undefined }[] = [];
    const now = this.now();
    for (const key of new Set(keys)) {
      const entry = this.liveEntry(key, now);
      if (!entry) {
        waits.push({ key, batch: this.requestLoad(key), stale: false, old: undefined });
        continue;
      }
      entry.lastReadAt = now;
      const stale = entry.forcedStale === true || now - entry.loadedAt >= entry.refreshAfterMs;
      if (stale && options.waitForStale) {
        waits.push({ key, batch: this.requestLoad(key), stale: true, old: entry.value });
        continue;
      }
      values.set(key, entry.value);
      if (stale) this.requestLoad(key);
    }
    for (const { key, batch, stale, old } of waits) {
      await batch.done;
      const outcome = this.outcomeOf(batch, key);
      if (outcome.ok) values.set(key, outcome.value);
      else if (stale) values.set(key, old as V);
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

  /**
   * Drops the entries whose key `keep` refuses: keys the caller knows are gone (a binding no longer listed),
   * whatever their idle time. Loads in flight still answer their callers and store their values.
   */
  retain(keep: (key: string) => boolean): void {
    for (const key of [...this.entries.keys()]) if (!keep(key)) this.entries.delete(key);
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

  /** Joins the batch in flight for the key, or queues the key for the next batch. */
  private requestLoad(key: string): Batch<V> {
    const running = this.inFlight.get(key);
    if (running) return running;
    let batch = this.pending;
    if (!batch) {
      let finish!: () => void;
      const next: Batch<V> = {
        keys: new Set(),
        done: new Promise<void>((resolve) => {
          finish = resolve;
        }),
      };
      batch = next;
      this.pending = next;
      queueMicrotask(() => {
        if (this.pending === next) this.pending = undefined;
        void this.runBatch(next).then(finish);
      });
      this.running.add(next.done);
      void next.done.then(() => this.running.delete(next.done));
    }
    batch.keys.add(key);
    this.inFlight.set(key, batch);
    return batch;
  }

  /** What a settled batch brought for one of its keys. */
  private outcomeOf(batch: Batch<V>, key: string): Outcome<V> {
    const loaded = batch.failure ?? batch.missing?.get(key) ?? batch.answer?.get(key);
    if (loaded instanceof Error) return { ok: false, error: loaded };
    return { ok: true, value: loaded as V };
  }

  /** Runs the loader for a batch that just left the queue and stores what it brought. Never rejects. */
  private async runBatch(batch: Batch<V>): Promise<void> {
    const keys = [...batch.keys];
    const generation = this.generation;
    this.loads++;
    try {
      const answer: unknown = await this.options.load(keys);
      if (answer instanceof Map) batch.answer = answer;
      else batch.failure = new Error(`${this.name} cache: the load answered no map`);
    } catch (error) {
      batch.failure = toError(error);
    }
    for (const key of keys) {
      if (batch.answer && !batch.answer.has(key)) {
        batch.missing ??= new Map();
        batch.missing.set(key, new Error(`${this.name} cache: the load returned nothing for ${key}`));
      }
    }
    const stillCurrent = generation === this.generation;
    const now = this.now();
    const failedKeys: string[] = [];
    let firstError: Error | undefined;
    for (const key of keys) {
      const outcome = this.outcomeOf(batch, key);
      if (stillCurrent) {
        // The key was asked for by a read that lasts until this load ends: that is its last read.
        const previous = this.entries.get(key);
        if (outcome.ok) {
          const refreshAfterMs = this.refreshAfterMsOf(outcome.value);
          if (previous) {
            // Updated in place: the entry is as old as the key, a new one would be garbage of the old generation.
            previous.value = outcome.value;
            previous.loadedAt = now;
            previous.lastReadAt = now;
            previous.refreshAfterMs = refreshAfterMs;
            previous.forcedStale = false;
          } else {
            this.entries.set(key, { value: outcome.value, loadedAt: now, lastReadAt: now, refreshAfterMs });
          }
        } else if (previous) previous.lastReadAt = Math.max(previous.lastReadAt, now);
        if (this.inFlight.get(key) === batch) this.inFlight.delete(key);
      }
      if (!outcome.ok) {
        failedKeys.push(key);
        firstError ??= outcome.error;
      }
    }
    if (firstError) this.loadFailures++;
    const background = failedKeys.every((key) => this.entries.has(key));
    try {
      this.options.onLoadSettled?.({ keys, error: firstError, background });
    } catch {
      // a broken callback must not break the cache
    }
  }

  /** The refresh time of a loaded value; the default when refreshAfterMsOf has none or throws. */
  private refreshAfterMsOf(value: V): number {
    try {
      return this.options.refreshAfterMsOf?.(value) ?? this.options.refreshAfterMs;
    } catch {
      return this.options.refreshAfterMs;
    }
  }
}
