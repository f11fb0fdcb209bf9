import type { CloudControllerApi } from "../cf/types.js";
import type { Config, TargetConfig } from "../config/types.js";
import type { Logger } from "../log.js";
import type { OwnMetricsRecorder } from "../metrics/types.js";
import { type CfCaches, type CfLayer, createCfCaches } from "./cf-caches.js";
import { scanInstances } from "./instance-builder.js";
import { compileTarget, describeTarget } from "./matching.js";
import { ProblemLog } from "./problem-log.js";
import { type LoadSettled, RefreshAheadCache } from "./refresh-ahead-cache.js";
import { buildSnapshot, mergeTargets, sameInstances, sameReports } from "./snapshot.js";
import { resolveTargets, type TargetResolution } from "./target-resolver.js";
import type {
  CacheInvalidation,
  CacheName,
  CacheStat,
  DiscoveredInstance,
  DiscoveryService,
  DiscoverySnapshot,
  SnapshotListener,
  TargetReport,
} from "./types.js";

export interface DiscoveryServiceDeps {
  config: Config;
  cf: CloudControllerApi;
  logger: Logger;
  metrics?: OwnMetricsRecorder;
  /** Period of the background refresh, ms (default 10 s). */
  tickMs?: number;
  /** Clock for the caches and snapshot times; tests inject one. */
  now?: () => number;
}

export const DEFAULT_TICK_MS = 10_000;
const CACHE_ORDER: CacheName[] = ["org", "space", "application", "domain", "route", "process", "resolver"];

export function createDiscoveryService(deps: DiscoveryServiceDeps): DiscoveryService {
  return new BackgroundDiscovery(deps);
}

class BackgroundDiscovery implements DiscoveryService {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly targets: readonly TargetConfig[];
  private readonly routePatterns: RegExp[][];
  private readonly caches: CfCaches;
  private readonly resolver: RefreshAheadCache<TargetResolution>;
  private snapshot: DiscoverySnapshot | undefined;
  private last: { at: number; ok: boolean; error?: string } | undefined;
  private readonly listeners = new Set<SnapshotListener>();
  private readonly readyPromise: Promise<void>;
  private markReady!: () => void;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Counts start() calls, so that a loop from before a stop() does not continue after a new start(). */
  private loop = 0;
  /** The refresh executing now (or queued behind it), so refreshes never overlap. */
  private chain: Promise<unknown> = Promise.resolve();
  private queued: Promise<DiscoverySnapshot> | undefined;
  private readonly problems: ProblemLog;

  constructor(private readonly deps: DiscoveryServiceDeps) {
    const { config } = deps;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.tickMs = deps.tickMs ?? DEFAULT_TICK_MS;
    this.targets = config.promregator.targets;
    this.routePatterns = this.targets.map((target, index) => {
      try {
        const compiled = compileTarget(target);
        for (const problem of compiled.invalidPatterns) {
          this.logger.warn({ target: index }, `ignoring a preferredRouteRegex: ${problem}`);
        }
        return compiled.preferredRoutes;
      } catch {
        return []; // the resolver reports the invalid org/space/app regex as the target's problem
      }
    });
    this.problems = new ProblemLog(this.logger, config.cf.cache.timeout.resolver * 1000);
    const onLoadSettled = (layer: CfLayer | "resolver", outcome: LoadSettled) =>
      this.problems.cacheLoad(layer, outcome);
    this.caches = createCfCaches(deps.cf, config.cf, { now: this.now, onLoadSettled });
    this.resolver = new RefreshAheadCache<TargetResolution>({
      name: "resolver",
      refreshAfterMs: config.cf.cache.timeout.resolver * 1000,
      expireAfterMs: 0,
      now: this.now,
      onLoadSettled: (outcome) => onLoadSettled("resolver", outcome),
      load: (keys) => this.resolve(keys),
    });
    this.readyPromise = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop++;
    this.problems.quiet = false;
    this.scheduleTick(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.problems.quiet = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => undefined);
    // background reloads still running would otherwise use the CF client after its owner closed it
    const caches = [...Object.values(this.caches), this.resolver];
    while (caches.some((cache) => cache.busy())) await Promise.all(caches.map((cache) => cache.idle()));
  }

  current(): DiscoverySnapshot | undefined {
    return this.snapshot;
  }

  ready(): boolean {
    return this.snapshot !== undefined;
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  refresh(): Promise<DiscoverySnapshot> {
    // Callers arriving while a refresh waits for its turn share it; one already running is not reused,
    // because it may have read the caches before an invalidation.
    if (this.queued) return this.queued;
    const next = this.chain
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.runOnce();
      });
    next.catch(() => undefined); // a caller that ignores the promise must not cause an unhandled rejection
    this.queued = next;
    this.chain = next;
    return next;
  }

  async invalidate(selection: CacheInvalidation): Promise<void> {
    const names = CACHE_ORDER.filter((name) => selection[name] === true);
    if (names.length === 0) return;
    for (const name of names) (name === "resolver" ? this.resolver : this.caches[name]).invalidate();
    this.logger.info({ caches: names }, "discovery caches invalidated");
    await this.refresh().then(
      () => undefined,
      () => undefined, // already logged by the refresh
    );
  }

  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  cacheStats(): CacheStat[] {
    return CACHE_ORDER.map((name) => {
      const { entries, oldestAgeMs, loads, loadFailures } = (
        name === "resolver" ? this.resolver : this.caches[name]
      ).stats();
      return {
        cache: name,
        entries,
        ...(oldestAgeMs !== undefined ? { oldestAgeSeconds: oldestAgeMs / 1000 } : {}),
        loads,
        loadFailures,
      };
    });
  }

  lastRefresh(): { at: number; ok: boolean; error?: string } | undefined {
    return this.last;
  }

  private scheduleTick(delayMs: number): void {
    if (!this.running) return;
    const loop = this.loop;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refresh()
        .catch(() => undefined) // logged inside; the loop goes on
        .finally(() => {
          // a stop() and start() meanwhile began a new loop; this one ends here
          if (loop === this.loop) this.scheduleTick(this.tickMs);
        });
    }, delayMs);
    // the HTTP server keeps the process alive, not this loop
    this.timer.unref();
  }

  /** Loader of the resolver cache: keys are target indices as strings. */
  private async resolve(keys: string[]): Promise<Map<string, TargetResolution | Error>> {
    const batch = keys.map((key) => ({ index: Number(key), config: this.targets[Number(key)] }));
    // The resolver runs in the background; wait for stale layers so a refreshed resolution is really current.
    const result = await resolveTargets(batch, {
      org: waitingForStale(this.caches.org),
      space: waitingForStale(this.caches.space),
      application: waitingForStale(this.caches.application),
    });
    return new Map([...result].map(([index, value]) => [String(index), value] as const));
  }

  private async runOnce(): Promise<DiscoverySnapshot> {
    const startedAt = this.now();
    for (const cache of [...Object.values(this.caches), this.resolver]) cache.sweep();
    let outcome: { instances: DiscoveredInstance[][]; reports: TargetReport[]; errors: Error[] };
    try {
      outcome = await this.collect();
    } catch (error) {
      outcome = { instances: [], reports: [], errors: [error as Error] };
    }
    const { instances: perTarget, reports, errors } = outcome;

    if (errors.length > 0 && (this.targets.length === 0 || errors.length >= this.targets.length)) {
      const message = errors[0].message;
      this.last = { at: startedAt, ok: false, error: message };
      this.problems.refreshFailed(startedAt, message, this.snapshot?.instances.length);
      if (!this.snapshot) throw new Error(`discovery failed: ${message}`);
      this.deps.metrics?.markSeen(this.snapshot.instances);
      return this.snapshot;
    }
    this.problems.refreshSucceeded();

    const { instances, duplicates } = mergeTargets(perTarget);
    for (const d of duplicates) this.problems.duplicate(d.instanceId, d.keptTarget, d.droppedTarget);
    this.problems.emptyTargets(reports, startedAt);
    const previous = this.snapshot;
    if (
      !previous ||
      !sameInstances(previous.instances, instances) ||
      !sameReports(previous.targets, reports)
    ) {
      this.publish(buildSnapshot(instances, reports, startedAt));
    }
    // Serving old values because reloads fail is a CF problem too, though the refresh itself succeeded.
    const stale = this.problems.failingCache();
    const error =
      errors[0]?.message ?? (stale && `could not reload the ${stale.cache} cache: ${stale.cause}`);
    this.last = { at: startedAt, ok: error === undefined, ...(error !== undefined ? { error } : {}) };
    const snapshot = this.snapshot as DiscoverySnapshot;
    this.deps.metrics?.markSeen(snapshot.instances);
    return snapshot;
  }

  /**
   * One pass over all targets. A target whose Cloud Controller data could not be loaded keeps the
   * instances it had in the previous snapshot, so an outage never empties a known landscape.
   */
  private async collect(): Promise<{
    instances: DiscoveredInstance[][];
    reports: TargetReport[];
    errors: Error[];
  }> {
    const keys = this.targets.map((_, index) => String(index));
    const resolved = await this.resolver.getMany(keys);
    const apps = keys.flatMap((key) => resolved.values.get(key)?.apps ?? []);
    const scan = await scanInstances(
      {
        apps,
        targets: this.targets,
        routePatterns: this.routePatterns,
        defaultInternalRoutePort: this.deps.config.promregator.defaultInternalRoutePort,
      },
      this.caches,
    );
    const instances: DiscoveredInstance[][] = [];
    const reports: TargetReport[] = [];
    const errors: Error[] = [];
    this.targets.forEach((target, index) => {
      const key = String(index);
      const error = resolved.errors.get(key) ?? scan.errors.get(index);
      const description = describeTarget(target);
      let found: DiscoveredInstance[];
      let problem: string | undefined;
      if (error) {
        errors.push(error);
        this.problems.target(index, description, error);
        found = this.snapshot?.instances.filter((i) => i.targetIndex === index) ?? [];
        problem = error.message;
      } else {
        this.problems.target(index, description, undefined);
        found = scan.instances.get(index) ?? [];
        if (found.length === 0) {
          problem = resolved.values.get(key)?.problem ?? scan.reasons.get(index)?.slice(0, 3).join("; ");
          problem ??= "nothing matched";
        }
      }
      instances.push(found);
      reports.push({
        targetIndex: index,
        description,
        instances: found.length,
        ...(problem ? { problem } : {}),
      });
    });
    return { instances, reports, errors };
  }

  private publish(snapshot: DiscoverySnapshot): void {
    const first = this.snapshot === undefined;
    this.snapshot = snapshot;
    if (first) this.markReady();
    this.logger.debug({ instances: snapshot.instances.length }, "discovery snapshot updated");
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.logger.warn({ cause: (error as Error).message }, "a discovery snapshot listener failed");
      }
    }
  }
}

/** A view of a cache whose getMany waits for stale entries to reload. */
function waitingForStale<V>(cache: RefreshAheadCache<V>): Pick<RefreshAheadCache<V>, "getMany"> {
  return { getMany: (keys) => cache.getMany(keys, { waitForStale: true }) };
}
