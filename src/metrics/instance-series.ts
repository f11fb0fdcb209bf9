import { canonicalNumber, escapeLabelValue, familyHeader, formatValue } from "./exposition.js";
import type { ExpositionFormat } from "./negotiate.js";

/** A per-instance family as the Java version names it; `type` is the exposition type. */
export interface SeriesFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
}

export interface InstanceSeriesFamilies {
  requestFailure: SeriesFamily;
  requestSize: SeriesFamily & { buckets: readonly number[] };
  /** Only present when promregator.metrics.requestLatency is on. */
  requestLatency?: SeriesFamily & { buckets: readonly number[] };
  scrapeUp: SeriesFamily;
  scrapeDuration: SeriesFamily;
}

/** What one scrape adds to an instance's series (see OwnMetrics.recordScrape). */
export interface SeriesSample {
  ok: boolean;
  /** Body bytes; only observed when ok. */
  bytes?: number;
  /** Scrape seconds; sets the duration gauge and observes the latency histogram. */
  seconds?: number;
}

/** Cumulative-free bucket counts, sum and count of one histogram for every slot, in one Float64Array. */
class HistogramColumns {
  /** Per slot: one count per bound, then +Inf, then sum, then count. */
  values: Float64Array;
  readonly stride: number;
  /** `le` label texts, formatted once ("100.0", ..., "+Inf"). */
  readonly leTexts: readonly string[];

  constructor(
    readonly bounds: readonly number[],
    capacity: number,
  ) {
    this.stride = bounds.length + 3;
    this.values = new Float64Array(capacity * this.stride);
    this.leTexts = [...bounds.map((b) => canonicalNumber(b)), "+Inf"];
  }

  grow(capacity: number): void {
    const next = new Float64Array(capacity * this.stride);
    next.set(this.values);
    this.values = next;
  }

  clear(slot: number): void {
    this.values.fill(0, slot * this.stride, (slot + 1) * this.stride);
  }

  /** Same bucket choice as prom-client and the Java client: the first bound >= value, else +Inf. */
  observe(slot: number, value: number): void {
    const base = slot * this.stride;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.values[base + i] += 1;
    this.values[base + bounds.length + 1] += value;
    this.values[base + bounds.length + 2] += 1;
  }
}

/** Characters of text collected before a chunk is handed out and the event loop gets a turn. */
const CHUNK_CHARS = 64 * 1024;

/**
 * The per-instance families (request failures, request size and latency histograms, scrape up and duration)
 * of every scraped instance, kept in typed arrays indexed by a slot per instance instead of one object graph
 * per series: at 10,000 instances that is about 4 MB instead of hundreds of thousands of objects. Each family
 * lists its series in the order they were first recorded, as a prom-client registry would, and renders as a
 * stream of chunks so that a large landscape never builds one huge string or blocks the event loop.
 */
export class InstanceSeries {
  private capacity = 64;
  private readonly labelTexts: string[] = [];
  /** Bumped when a slot is freed, so a render that took a snapshot skips a slot reused meanwhile. */
  private generation = new Uint32Array(this.capacity);
  private readonly free: number[] = [];
  private nextSlot = 0;
  private failures = new Float64Array(this.capacity);
  private up = new Float64Array(this.capacity);
  private duration = new Float64Array(this.capacity);
  private readonly size: HistogramColumns;
  private readonly latency?: HistogramColumns;
  /** Insertion order per family group: failure + up are created by every scrape, size only by ok ones with bytes, latency + duration only with seconds. */
  private readonly scraped = new Set<number>();
  private readonly sized = new Set<number>();
  private readonly timed = new Set<number>();

  constructor(private readonly families: InstanceSeriesFamilies) {
    this.size = new HistogramColumns(families.requestSize.buckets, this.capacity);
    if (families.requestLatency) {
      this.latency = new HistogramColumns(families.requestLatency.buckets, this.capacity);
    }
  }

  /** Allocates a slot for an instance whose label pairs are `labelText` (`name="value",...`, escaped). */
  add(labelText: string): number {
    const slot = this.free.pop() ?? this.nextSlot++;
    if (slot >= this.capacity) this.grow(this.capacity * 2);
    this.labelTexts[slot] = labelText;
    return slot;
  }

  /** Frees a slot and drops its series from every family. */
  remove(slot: number): void {
    this.scraped.delete(slot);
    this.sized.delete(slot);
    this.timed.delete(slot);
    this.failures[slot] = 0;
    this.up[slot] = 0;
    this.duration[slot] = 0;
    this.size.clear(slot);
    this.latency?.clear(slot);
    this.labelTexts[slot] = "";
    this.generation[slot]++;
    this.free.push(slot);
  }

  record(slot: number, sample: SeriesSample): void {
    this.scraped.add(slot);
    // The failure counter exists from the first scrape on, at 0, so that rate() works from the first failure.
    if (!sample.ok) this.failures[slot] += 1;
    if (sample.ok && sample.bytes !== undefined) {
      this.sized.add(slot);
      this.size.observe(slot, sample.bytes);
    }
    this.up[slot] = sample.ok ? 1 : 0;
    if (sample.seconds !== undefined) {
      this.timed.add(slot);
      this.latency?.observe(slot, sample.seconds);
      this.duration[slot] = sample.seconds;
    }
  }

  /** Number of instances holding series. */
  get count(): number {
    return this.nextSlot - this.free.length;
  }

  /**
   * The per-instance families in exposition `format`, in chunks of about 64 K characters; the event loop runs
   * between chunks. Series recorded meanwhile show their latest values; series removed meanwhile are left out.
   */
  async *render(format: ExpositionFormat, yieldTurn: () => Promise<void>): AsyncGenerator<string> {
    const f = this.families;
    const out = new ChunkBuilder();
    const groups: [SeriesFamily, Set<number>, (slot: number, labels: string, name: string) => string][] = [
      [f.requestFailure, this.scraped, (s, l, n) => `${n}{${l}} ${formatValue(this.failures[s])}\n`],
      [f.requestSize, this.sized, (s, l, n) => histogramLines(this.size, s, l, n)],
    ];
    if (f.requestLatency && this.latency) {
      const latency = this.latency;
      groups.push([f.requestLatency, this.timed, (s, l, n) => histogramLines(latency, s, l, n)]);
    }
    groups.push(
      [f.scrapeUp, this.scraped, (s, l, n) => `${n}{${l}} ${formatValue(this.up[s])}\n`],
      [f.scrapeDuration, this.timed, (s, l, n) => `${n}{${l}} ${formatValue(this.duration[s])}\n`],
    );
    for (const [family, order, lines] of groups) {
      const { header, sampleName } = familyHeader(family.name, family.type, family.help, format);
      out.add(header);
      const slots = Array.from(order);
      const generations = slots.map((slot) => this.generation[slot]);
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i];
        if (this.generation[slot] !== generations[i]) continue;
        out.add(lines(slot, this.labelTexts[slot], sampleName));
        if (out.length >= CHUNK_CHARS) {
          yield out.take();
          await yieldTurn();
        }
      }
    }
    if (out.length > 0) yield out.take();
  }

  private grow(capacity: number): void {
    const widen = (a: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(a);
      return next;
    };
    this.failures = widen(this.failures);
    this.up = widen(this.up);
    this.duration = widen(this.duration);
    const generation = new Uint32Array(capacity);
    generation.set(this.generation);
    this.generation = generation;
    this.size.grow(capacity);
    this.latency?.grow(capacity);
    this.capacity = capacity;
  }
}

/** Bucket lines (cumulative), then _sum and _count, of one histogram series. */
function histogramLines(h: HistogramColumns, slot: number, labels: string, name: string): string {
  const base = slot * h.stride;
  const v = h.values;
  let text = "";
  let cumulative = 0;
  for (let i = 0; i < h.leTexts.length; i++) {
    cumulative += v[base + i];
    text += `${name}_bucket{${labels},le="${h.leTexts[i]}"} ${formatValue(cumulative)}\n`;
  }
  text += `${name}_sum{${labels}} ${formatValue(v[base + h.leTexts.length])}\n`;
  text += `${name}_count{${labels}} ${formatValue(v[base + h.leTexts.length + 1])}\n`;
  return text;
}

/** The label pairs of one instance, escaped, in the order given: `a="x",b="y"`. */
export function formatLabelPairs(names: readonly string[], values: readonly string[]): string {
  return names.map((name, i) => `${name}="${escapeLabelValue(values[i])}"`).join(",");
}

/** Joins small strings into one chunk. */
class ChunkBuilder {
  private parts: string[] = [];
  length = 0;

  add(text: string): void {
    this.parts.push(text);
    this.length += text.length;
  }

  take(): string {
    const text = this.parts.join("");
    this.parts = [];
    this.length = 0;
    return text;
  }
}
