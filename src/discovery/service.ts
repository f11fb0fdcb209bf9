import type { CloudControllerApi } from "../cf/index.js";
import { type Config, DEFAULT_FOUNDATION, type TargetConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import { type BindingCaches, createBindingCaches } from "./binding-caches.js";
import { applyServiceBindings, BINDING_RETRY_MS } from "./binding-resolver.js";
import { type CfCaches, type CfLayer, createCfCaches } from "./cf-caches.js";
import { compileTarget, describeTarget } from "./matching.js";
import { ProblemLog } from "./problem-log.js";
import { PublishedSnapshot } from "./published.js";
import { type LoadSettled, RefreshAheadCache } from "./refresh-ahead-cache.js";
import { RefreshLoop } from "./refresh-loop.js";
import { type RefreshResult, refreshOnce } from "./refresh-step.js";
import { resolveTargets, type TargetResolution } from "./target-resolver.js";
import type {
  CacheInvalidation,
  CacheName,
  CacheStat,
  DiscoveryService,
  DiscoverySnapshot,
  RefreshOutcome,
  RefreshStats,
  SnapshotListener,
} from "./types.js";

export interface DiscoveryServiceDeps {
  config: Config;
  cf: CloudControllerApi;
  logger: Logger;
  /** Period of the background refresh, ms (default 10 s). */
  tickMs?: number;
  /** Clock for the caches and snapshot times; tests inject one. */
  now?: () => number;
  /** Name of the foundation `config.cf` connects to; default: the first of `config.foundations`. */
  foundation?: string;
  /** Told the outcome of every refresh, failed or not, once it is recorded. */
  onRefreshed?: (outcome: RefreshOutcome) => void;
  /**
   * For each target of `config` (a foundation's own, numbered from 0), its index in promregator.targets, so that
   * log lines number targets as the configuration and the status page do; default: the same index.
   */
  targetIndices?: readonly number[];
}

export const DEFAULT_TICK_MS = 10_000;
const CACHE_ORDER: CacheName[] = ["org", "space", "application", "domain", "route", "process", "resolver"];

export function createDiscoveryService(deps: DiscoveryServiceDeps): DiscoveryService {
  return new BackgroundDiscovery(deps);
}

/**
 * Cloud Foundry discovery: the CF caches and the target resolver, driven by a generic refresh loop; each run is
 * one `refreshOnce` step, whose result is logged, recorded as the refresh outcome and published.
 */
class BackgroundDiscovery implements DiscoveryService {
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly targets: readonly TargetConfig[];
  private readonly routePatterns: RegExp[][];
  private readonly caches: CfCaches;
  /** Only when a target has `serviceInstanceName`. */
  private readonly bindings: Partial<BindingCaches>;
  private readonly resolver: RefreshAheadCache<TargetResolution>;
  private readonly published: PublishedSnapshot;
  private readonly loop: RefreshLoop<DiscoverySnapshot>;
  private last: RefreshOutcome | undefined;
  private readonly problems: ProblemLog;
  private readonly foundation: string;

  constructor(private readonly deps: DiscoveryServiceDeps) {
    const { config } = deps;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.foundation = deps.foundation ?? config.foundations[0]?.name ?? DEFAULT_FOUNDATION;
    this.targets = config.promregator.targets;
    const configIndex = (index: number) => deps.targetIndices?.[index] ?? index;
    this.routePatterns = this.targets.map((target, index) => {
      try {
        const compiled = compileTarget(target);
        for (const problem of compiled.invalidPatterns) {
          this.logger.warn({ target: configIndex(index) }, `ignoring a preferredRouteRegex: ${problem}`);
        }
        return compiled.preferredRoutes;
      } catch {
        return []; // the resolver reports the invalid org/space/app regex as the target's problem
      }
    });
    this.problems = new ProblemLog(this.logger, config.cf.cache.timeout.resolver * 1000, configIndex);
    const onLoadSettled = (layer: CfLayer | "resolver", outcome: LoadSettled) =>
      this.problems.cacheLoad(layer, outcome);
    this.caches = createCfCaches(deps.cf, config.cf, { now: this.now, onLoadSettled });
    this.bindings = this.targets.some((t) => t.serviceInstanceName !== undefined)
      ? bindingCaches(deps, this.now, (cache, outcome) => this.problems.cacheLoad(cache, outcome))
      : {};
    this.resolver = new RefreshAheadCache<TargetResolution>({
      name: "resolver",
      refreshAfterMs: config.cf.cache.timeout.resolver * 1000,
      refreshAfterMsOf: (resolution) =>
        resolution.retrySoon
          ? Math.min(BINDING_RETRY_MS, config.cf.cache.timeout.resolver * 1000)
          : undefined,
      expireAfterMs: 0,
      now: this.now,
      onLoadSettled: (outcome) => onLoadSettled("resolver", outcome),
      load: (keys) => this.resolve(keys),
    });
    this.published = new PublishedSnapshot(this.logger);
    this.loop = new RefreshLoop({ intervalMs: deps.tickMs ?? DEFAULT_TICK_MS, run: () => this.runOnce() });
  }

  start(): void {
    this.problems.quiet = false;
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.problems.quiet = true;
    await this.loop.stop();
    // background reloads still running would otherwise use the CF client after its owner closed it
    const caches = [...Object.values(this.caches), ...Object.values(this.bindings), this.resolver];
    while (caches.some((cache) => cache.busy())) await Promise.all(caches.map((cache) => cache.idle()));
  }

  current(): DiscoverySnapshot | undefined {
    return this.published.current();
  }

  ready(): boolean {
    return this.published.current() !== undefined;
  }

  whenReady(): Promise<void> {
    return this.loop.whenReady();
  }

  refresh(): Promise<DiscoverySnapshot> {
    return this.loop.trigger();
  }

  async invalidate(selection: CacheInvalidation): Promise<void> {
    const names = CACHE_ORDER.filter((name) => selection[name] === true);
    if (names.length === 0) return;
    for (const name of names) (name === "resolver" ? this.resolver : this.caches[name]).invalidate();
    // The resolver's answer is made of the org, space and app lists: a list read anew must reach /discovery
    // now, not when the resolver's own timeout ends (which the Java version waited for).
    if (
      !names.includes("resolver") &&
      names.some((n) => n === "org" || n === "space" || n === "application")
    ) {
      this.resolver.invalidate();
    }
    // Bindings are part of resolving targets: resolver=1 reads them anew too. A binding's details keep their
    // last good answer for when reading them again fails (5xx, timeout), so that its app is not dropped.
    if (names.includes("resolver")) {
      this.bindings.bindings?.invalidate();
      this.bindings.details?.markStale();
    }
    this.logger.info({ caches: names }, "discovery caches invalidated");
    await this.refresh().then(
      () => undefined,
      () => undefined, // already logged by the refresh
    );
  }

  onSnapshot(listener: SnapshotListener): () => void {
    return this.published.subscribe(listener);
  }

  onRefresh(listener: SnapshotListener): () => void {
    return this.published.subscribeRefresh(listener);
  }

  cacheStats(): CacheStat[] {
    const caches: [CacheStat["cache"], Pick<RefreshAheadCache<unknown>, "stats">][] = CACHE_ORDER.map(
      (name) => [name, name === "resolver" ? this.resolver : this.caches[name]],
    );
    if (this.bindings.bindings) caches.push(["serviceBinding", this.bindings.bindings]);
    if (this.bindings.details) caches.push(["bindingDetails", this.bindings.details]);
    return caches.map(([name, cache]) => {
      const { entries, oldestAgeMs, loads, loadFailures } = cache.stats();
      return {
        cache: name,
        entries,
        ...(oldestAgeMs !== undefined ? { oldestAgeSeconds: oldestAgeMs / 1000 } : {}),
        loads,
        loadFailures,
      };
    });
  }

  refreshStats(): RefreshStats {
    const { runs, failures } = this.loop.stats();
    return { runs, failures };
  }

  lastRefresh(): RefreshOutcome | undefined {
    return this.last;
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
    if (this.bindings.bindings) {
      await applyServiceBindings(result, batch, {
        bindings: waitingForStale(this.bindings.bindings),
        ...(this.bindings.details ? { details: waitingForStale(this.bindings.details) } : {}),
      });
    }
    return new Map([...result].map(([index, value]) => [String(index), value] as const));
  }

  private async runOnce(): Promise<DiscoverySnapshot> {
    const before = this.last;
    try {
      return await this.refreshNow();
    } finally {
      if (this.last && this.last !== before) this.deps.onRefreshed?.(this.last);
    }
  }

  private async refreshNow(): Promise<DiscoverySnapshot> {
    const startedAt = this.now();
    for (const cache of [...Object.values(this.caches), ...Object.values(this.bindings), this.resolver]) {
      cache.sweep();
    }
    const previous = this.published.current();
    const result = await refreshOnce({
      previous,
      targets: this.targets,
      routePatterns: this.routePatterns,
      defaultInternalRoutePort: this.deps.config.promregator.defaultInternalRoutePort,
      foundation: this.foundation,
      caches: { ...this.caches, resolver: this.resolver },
      at: startedAt,
    });
    this.log(result, startedAt);
    const firstError = result.errors.values().next().value?.message;
    const lastOkAt = this.last?.lastOkAt;
    const since = lastOkAt !== undefined ? { lastOkAt } : {};
    if (result.failed) {
      this.last = { at: startedAt, ok: false, error: firstError, ...since };
      if (!result.snapshot) throw new Error(`discovery failed: ${firstError}`);
      // The instances are the previous ones; the targets' reports say why they failed.
      if (result.changed) this.published.publish(result.snapshot);
    } else {
      if (result.changed && result.snapshot) this.published.publish(result.snapshot);
      // Serving old values because reloads fail is a CF problem too, though the refresh itself succeeded.
      const stale = this.problems.failingCache();
      const error = firstError ?? (stale && `could not reload the ${stale.cache} cache: ${stale.cause}`);
      this.last =
        error === undefined
          ? { at: startedAt, ok: true, lastOkAt: startedAt }
          : { at: startedAt, ok: false, error, ...since };
    }
    this.published.refreshed();
    return result.snapshot as DiscoverySnapshot;
  }

  /** Logs problems as they start and end (the step itself stays silent). */
  private log(result: RefreshResult, at: number): void {
    this.targets.forEach((target, index) => {
      const scope = result.failedApps.has(index) ? "apps" : "target";
      this.problems.target(index, describeTarget(target), result.errors.get(index), scope);
    });
    if (result.failed) {
      const cause = result.errors.values().next().value?.message ?? "unknown error";
      this.problems.refreshFailed(at, cause, result.snapshot?.instances.length);
      return;
    }
    this.problems.refreshSucceeded();
    for (const d of result.duplicates) this.problems.duplicate(d.instanceId, d.keptTarget, d.droppedTarget);
    this.problems.emptyTargets(result.reports, at);
    this.problems.partialProblems(result.reports);
  }
}

/** The binding list cache, and the details cache unless the credentials are ignored. */
function bindingCaches(
  deps: DiscoveryServiceDeps,
  now: () => number,
  onLoadSettled: (cache: string, outcome: LoadSettled) => void,
): Partial<BindingCaches> {
  const use = deps.config.promregator.serviceBindings.credentials;
  const options = { now, onLoadSettled };
  const caches = createBindingCaches(deps.cf, deps.config.cf, use === "ignore" ? "path" : use, options);
  return use === "ignore" ? { bindings: caches.bindings } : caches;
}

/** A view of a cache whose getMany waits for stale entries to reload. */
function waitingForStale<V>(cache: RefreshAheadCache<V>): Pick<RefreshAheadCache<V>, "getMany"> {
  return { getMany: (keys) => cache.getMany(keys, { waitForStale: true }) };
}
