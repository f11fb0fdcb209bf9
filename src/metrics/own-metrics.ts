import { Registry } from "prom-client";
import { nextTurn } from "../event-loop-turn.js";
import { VERSION } from "../version.js";
import { type FamilySnapshot, writeExposition } from "./exposition.js";
import {
  type CacheStatsSource,
  createGeneralFamilies,
  createInternalFamilies,
  type GeneralFamilies,
  type InternalFamilies,
  type RefreshStatsSource,
  targetFamilies,
  targetLabelNames,
} from "./families.js";
import { type FoundationHealthSource, registerFoundationFamilies } from "./foundation-families.js";
import { InstanceSeries } from "./instance-series.js";
import { InstanceTracker } from "./lifecycle.js";
import { chooseExpositionFormat, contentTypeOf, type ExpositionFormat } from "./negotiate.js";
import { registerProcessMetrics } from "./process-metrics.js";
import type {
  CacheStats,
  InstanceIdentity,
  InstanceLabels,
  OwnMetricsRecorder,
  RefreshStats,
  ScrapeOutcome,
} from "./types.js";

export interface OwnMetricsOptions {
  /** promregator.metrics.labelNamePrefix */
  labelNamePrefix: string;
  /** promregator.metrics.requestLatency */
  requestLatency: boolean;
  /** promregator.metrics.internal */
  internal: boolean;
  /** promregator.discoverer.timeout */
  discovererTimeoutSeconds: number;
  identity: InstanceIdentity;
  /** epoch ms; injectable for tests */
  now?: () => number;
  /** Shown in promregator_info; defaults to the package version. */
  version?: string;
}

export interface OwnMetrics extends OwnMetricsRecorder {
  readonly identity: InstanceIdentity;
  /** The /promregatorMetrics body in the format the Accept header prefers (text 0.0.4 unless OpenMetrics wins). */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
  /**
   * The same body as a stream of text chunks (about 64 K characters each); the event loop gets a turn between
   * chunks, so thousands of instances neither block it nor build one large string.
   */
  renderChunks(accept: string | undefined): { contentType: string; chunks: AsyncIterable<string> };
  /** Drops the series of instances not seen for discovererTimeoutSeconds; returns how many instances went. */
  sweep(): number;
  /** Runs sweep() every intervalMs (default 60 s) on an unref'd timer; calling it again restarts it. */
  startSweeper(intervalMs?: number): void;
  stop(): void;
  /** Polled at every render when internal metrics are on (e.g. `() => discovery.cacheStats()`). */
  setCacheStats(fn: CacheStatsSource): void;
  /** Polled at every render when internal metrics are on (e.g. `() => discovery.refreshStats()`). */
  setRefreshStats(fn: RefreshStatsSource): void;
  /** Counts a watchdog reconnect; returns the cumulative count (never reset). */
  recordWatchdogReconnect(): number;
  /** Adds the per-foundation health families, polled at every render (call once, with several foundations). */
  setFoundationHealth(fn: FoundationHealthSource): void;
}

class PromregatorOwnMetrics implements OwnMetrics {
  readonly identity: InstanceIdentity;
  private readonly registry = new Registry();
  private readonly series: InstanceSeries;
  private readonly general: GeneralFamilies;
  private readonly internal?: InternalFamilies;
  private readonly tracker: InstanceTracker;
  private readonly now: () => number;
  private cacheStats?: CacheStatsSource;
  private refreshStats?: RefreshStatsSource;
  private watchdogReconnects = 0;
  private sweeper?: NodeJS.Timeout;

  constructor(options: OwnMetricsOptions) {
    const labelNames = targetLabelNames(options.labelNamePrefix);
    if (!Number.isFinite(options.discovererTimeoutSeconds) || options.discovererTimeoutSeconds <= 0) {
      throw new Error(
        `promregator.discoverer.timeout must be a positive number of seconds, got ${options.discovererTimeoutSeconds}`,
      );
    }
    this.identity = options.identity;
    this.now = options.now ?? Date.now;
    this.tracker = new InstanceTracker(labelNames, options.discovererTimeoutSeconds * 1000, this.now);

    this.series = new InstanceSeries(targetFamilies(options.requestLatency));
    this.general = createGeneralFamilies(this.registry);
    if (options.internal) {
      this.internal = createInternalFamilies(
        this.registry,
        () => this.readCacheStats(),
        () => this.readRefreshStats(),
      );
    }
    registerProcessMetrics(this.registry);
    this.general.info.set(infoLabels(options.identity, options.version ?? VERSION), 1);
  }

  recordScrape(outcome: ScrapeOutcome): void {
    const entry = this.tracker.touch(outcome.instance);
    entry.slot ??= this.series.add(entry.labelText);
    this.series.record(entry.slot, {
      ok: outcome.ok,
      bytes: nonNegative(outcome.bytes),
      seconds: nonNegative(outcome.seconds),
    });
  }

  markSeen(instances: readonly InstanceLabels[]): void {
    this.tracker.touchAll(instances);
    this.general.discoveredInstances.set(instances.length);
  }

  observeCfRequest(resource: string, seconds: number, outcome: string): void {
    if (!this.internal) return;
    this.internal.cfRequests.inc({ request_type: resource, outcome });
    const value = nonNegative(seconds);
    if (value !== undefined) this.internal.cfLatency.observe({ request_type: resource }, value);
  }

  observeRateLimitWait(resource: string, seconds: number): void {
    const value = nonNegative(seconds);
    if (!this.internal || value === undefined) return;
    this.internal.cfRateLimitWait.observe({ request_type: resource }, value);
  }

  recordWatchdogReconnect(): number {
    this.general.watchdogReconnects.inc();
    return ++this.watchdogReconnects;
  }

  setCacheStats(fn: CacheStatsSource): void {
    this.cacheStats = fn;
  }

  setRefreshStats(fn: RefreshStatsSource): void {
    this.refreshStats = fn;
  }

  setFoundationHealth(fn: FoundationHealthSource): void {
    registerFoundationFamilies(this.registry, fn);
  }

  private readRefreshStats(): RefreshStats | undefined {
    try {
      return this.refreshStats?.();
    } catch {
      return undefined;
    }
  }

  private readCacheStats(): readonly CacheStats[] {
    try {
      return this.cacheStats?.() ?? [];
    } catch {
      // A broken stats source must not break /promregatorMetrics; the cache families stay empty.
      return [];
    }
  }

  sweep(): number {
    const expired = this.tracker.takeExpired();
    for (const entry of expired) {
      if (entry.slot !== undefined) this.series.remove(entry.slot);
    }
    return expired.length;
  }

  startSweeper(intervalMs = 60_000): void {
    this.stop();
    this.sweeper = setInterval(() => {
      try {
        this.sweep();
      } catch {
        // A failed sweep is retried at the next tick; it must never take the process down.
      }
    }, intervalMs);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  async render(accept: string | undefined): Promise<{ contentType: string; body: string }> {
    const { contentType, chunks } = this.renderChunks(accept);
    const parts: string[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    return { contentType, body: parts.join("") };
  }

  renderChunks(accept: string | undefined): { contentType: string; chunks: AsyncIterable<string> } {
    const format = chooseExpositionFormat(accept);
    return { contentType: contentTypeOf(format), chunks: this.chunks(format) };
  }

  /** The per-instance families first (where the registry used to list them), then the registry's. */
  private async *chunks(format: ExpositionFormat): AsyncGenerator<string> {
    yield* this.series.render(format, () => nextTurn());
    const families = await Promise.all(this.registry.getMetricsAsArray().map(snapshotOf));
    yield writeExposition(families, format);
  }
}

/** Histograms' getForPromString keeps a child's labels apart from `le` (get() would put `le` first). */
function snapshotOf(metric: unknown): Promise<FamilySnapshot> {
  const m = metric as { get(): Promise<FamilySnapshot>; getForPromString?: () => Promise<FamilySnapshot> };
  return typeof m.getForPromString === "function" ? m.getForPromString() : m.get();
}

function nonNegative(value: number | undefined): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function infoLabels(identity: InstanceIdentity, version: string): Record<string, string> {
  return {
    version,
    instance_id: identity.processId,
    cf_application_name: identity.appName ?? "",
    cf_application_id: identity.appId ?? "",
    cf_space: identity.spaceName ?? "",
    cf_org: identity.orgName ?? "",
    cf_instance_index: identity.instanceIndex === undefined ? "" : String(identity.instanceIndex),
    cf_instance_guid: identity.instanceGuid ?? "",
  };
}

export function createOwnMetrics(options: OwnMetricsOptions): OwnMetrics {
  return new PromregatorOwnMetrics(options);
}
