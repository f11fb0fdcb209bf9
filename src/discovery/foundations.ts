import type { Logger } from "../log.js";
import { PublishedSnapshot } from "./published.js";
import { compareInstances } from "./snapshot.js";
import type {
  CacheInvalidation,
  CacheStat,
  DiscoveredInstance,
  DiscoveryService,
  DiscoverySnapshot,
  RefreshOutcome,
  RefreshStats,
  SnapshotListener,
  TargetReport,
} from "./types.js";

/** One foundation's discovery, as the composition sees it. */
export interface FoundationPart {
  /** `cf.name` or `foundations[].name`. */
  name: string;
  /** Base URL of its Cloud Controller, for the status page. */
  apiUrl: string;
  /**
   * For each target of `service` (by its own index), the index in promregator.targets: the service resolves
   * only this foundation's targets, numbered from 0.
   */
  targetIndices: readonly number[];
  /** Descriptions of those targets, for reports before the foundation's first snapshot. */
  targetDescriptions: readonly string[];
  /**
   * Absent for a foundation that no target names (with several foundations, typically the required `cf:` block):
   * it is never contacted, gives no landscape and no readiness, and is reported as unused.
   */
  service?: DiscoveryService;
}

/** A foundation some target names: one with a discovery service. */
type UsedPart = FoundationPart & { service: DiscoveryService };

/** Health of one foundation, for the status page and own metrics. */
export interface FoundationHealth {
  name: string;
  apiUrl: string;
  /** Outcome of its latest refresh; undefined before its first one ended. */
  lastRefresh: RefreshOutcome | undefined;
  /** Instances of this foundation in the published snapshot. */
  instances: number;
  /** Targets that name this foundation. */
  targets: number;
  /** No target names it: it is not contacted and has no health of its own. */
  unused?: true;
}

/** A discovery service over several foundations, which also tells each foundation's health. */
export interface FoundationsDiscovery extends DiscoveryService {
  foundations(): FoundationHealth[];
  /** To be called by part `index`'s service after each of its refreshes (DiscoveryServiceDeps.onRefreshed). */
  refreshed(index: number): void;
}

/**
 * Several foundations' discovery services behind the one DiscoveryService that the server, the status page and
 * own metrics read. Each foundation keeps its own caches, refresh loop and last good snapshot; whenever one of
 * them publishes, the merged snapshot is published at once, so a failing foundation keeps its last instances and
 * a slow one never holds back another's changes.
 *
 * Readiness: ready once at least one foundation has a snapshot and either every foundation's first refresh has
 * ended (succeeded or failed) or `readyGraceMs` have passed since start(). The grace bounds how long a hanging
 * Cloud Controller (whose first refresh ends only when its requests time out, possibly minutes) keeps the
 * process unready, while a foundation that is merely slower than another gets that long to join. Until ready,
 * `current()` already serves what the foundations that answered know. With one foundation this is exactly that
 * foundation's service (its snapshot objects are published as they are). A foundation without a service (no
 * target names it) takes no part in any of this.
 */
export function composeFoundations(
  parts: readonly FoundationPart[],
  logger: Logger,
  options: { readyGraceMs?: number } = {},
): FoundationsDiscovery {
  return new FoundationComposition(parts, logger, options.readyGraceMs ?? READY_GRACE_MS);
}

/** How long after start a foundation with a snapshot waits for the others' first refresh before being ready. */
export const READY_GRACE_MS = 10_000;

class FoundationComposition implements FoundationsDiscovery {
  private readonly published: PublishedSnapshot;
  /** Per part: its snapshot with targets renumbered, remembered by the snapshot it was made from. */
  private readonly renumbered = new WeakMap<DiscoverySnapshot, DiscoverySnapshot>();
  private readonly settled: boolean[];
  private readonly readyPromise: Promise<void>;
  private markReady!: () => void;
  /** Instance ids found in two foundations, warned about once. */
  private readonly collisions = new Set<string>();
  /** Per part without a snapshot: the problem its targets were last published with. */
  private readonly pendingProblems: (string | undefined)[] = [];
  /** Set once readyGraceMs have passed since start(). */
  private graceOver = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private wasReady = false;
  /** The foundations with a service, in configuration order. */
  private readonly parts: readonly UsedPart[];

  constructor(
    private readonly all: readonly FoundationPart[],
    private readonly logger: Logger,
    private readonly readyGraceMs: number,
  ) {
    this.parts = all.filter((p): p is UsedPart => p.service !== undefined);
    if (this.parts.length === 0) throw new Error("internal: discovery needs at least one foundation");
    this.published = new PublishedSnapshot(logger);
    this.settled = all.map((p) => p.service === undefined || p.service.lastRefresh() !== undefined);
    this.readyPromise = new Promise((resolve) => {
      this.markReady = resolve;
    });
    for (const part of this.parts) part.service.onSnapshot(() => this.republish());
  }

  refreshed(index: number): void {
    this.settled[index] = true;
    // A foundation without a snapshot changes only its targets' reports: worth publishing when they read differently.
    const part = this.all[index];
    if (!part.service) return;
    if (this.parts.length > 1 && !part.service.current() && this.published.current()) {
      const problem = notResolvedYet(part as UsedPart)[0]?.problem;
      if (problem !== this.pendingProblems[index]) {
        this.pendingProblems[index] = problem;
        this.republish();
      }
    }
    this.checkReady();
    // The merged snapshot after each foundation's refresh: every foundation's instances count as seen.
    this.published.refreshed();
  }

  start(): void {
    this.graceTimer = setTimeout(() => this.endGrace(), this.readyGraceMs);
    this.graceTimer.unref();
    for (const part of this.parts) part.service.start();
  }

  async stop(): Promise<void> {
    clearTimeout(this.graceTimer);
    await Promise.all(this.parts.map((p) => p.service.stop()));
  }

  current(): DiscoverySnapshot | undefined {
    return this.published.current();
  }

  ready(): boolean {
    return (this.graceOver || this.settled.every(Boolean)) && this.published.current() !== undefined;
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  onSnapshot(listener: SnapshotListener): () => void {
    return this.published.subscribe(listener);
  }

  onRefresh(listener: SnapshotListener): () => void {
    return this.published.subscribeRefresh(listener);
  }

  /** Refreshes every foundation; rejects only when no foundation knows anything. */
  async refresh(): Promise<DiscoverySnapshot> {
    const results = await Promise.allSettled(this.parts.map((p) => p.service.refresh()));
    const snapshot = this.current();
    if (snapshot) return snapshot;
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    throw failure?.reason ?? new Error("discovery has no snapshot");
  }

  async invalidate(selection: CacheInvalidation): Promise<void> {
    await Promise.all(this.parts.map((p) => p.service.invalidate(selection)));
  }

  /**
   * Each cache summed over the foundations that have it (the binding caches exist only where a target selects
   * by service binding); the oldest entry is the oldest of any foundation.
   */
  cacheStats(): CacheStat[] {
    const byName = new Map<CacheStat["cache"], CacheStat[]>();
    for (const part of this.parts) {
      for (const stat of part.service.cacheStats())
        byName.set(stat.cache, [...(byName.get(stat.cache) ?? []), stat]);
    }
    return [...byName.values()].map((all) => {
      const stat = all[0];
      const ages = all.flatMap((s) => (s.oldestAgeSeconds === undefined ? [] : [s.oldestAgeSeconds]));
      return {
        cache: stat.cache,
        entries: sum(all.map((s) => s.entries)),
        ...(ages.length > 0 ? { oldestAgeSeconds: Math.max(...ages) } : {}),
        loads: sum(all.map((s) => s.loads)),
        loadFailures: sum(all.map((s) => s.loadFailures)),
      };
    });
  }

  /** The refresh loops' counters summed over the foundations. */
  refreshStats(): RefreshStats {
    const all = this.parts.map((p) => p.service.refreshStats());
    return { runs: sum(all.map((s) => s.runs)), failures: sum(all.map((s) => s.failures)) };
  }

  /**
   * The foundations' outcomes in one: ok when every foundation's latest refresh was ok; the error of the first
   * failing one, prefixed with its name; `lastOkAt` the latest time since which every foundation has been ok
   * at least once. With one foundation, its own outcome.
   */
  lastRefresh(): RefreshOutcome | undefined {
    if (this.all.length === 1) return this.parts[0].service.lastRefresh();
    const outcomes = this.parts.map((p) => p.service.lastRefresh());
    const known = outcomes.filter((o): o is RefreshOutcome => o !== undefined);
    if (known.length === 0) return undefined;
    const failing = this.parts.findIndex((_, i) => outcomes[i] !== undefined && !outcomes[i]?.ok);
    const okTimes = outcomes.map((o) => o?.lastOkAt);
    const lastOkAt = okTimes.every((t) => t !== undefined) ? Math.min(...(okTimes as number[])) : undefined;
    return {
      at: Math.max(...known.map((o) => o.at)),
      ok: failing < 0 && known.length === outcomes.length,
      ...(failing >= 0
        ? { error: `foundation ${this.parts[failing].name}: ${outcomes[failing]?.error ?? "failed"}` }
        : known.length < outcomes.length
          ? { error: "a foundation has not completed its first refresh" }
          : {}),
      ...(lastOkAt !== undefined ? { lastOkAt } : {}),
    };
  }

  foundations(): FoundationHealth[] {
    const current = this.current();
    return this.all.map((part) => ({
      name: part.name,
      apiUrl: part.apiUrl,
      lastRefresh: part.service?.lastRefresh(),
      instances: current ? current.instances.filter((i) => i.foundation === part.name).length : 0,
      targets: part.targetIndices.length,
      ...(part.service === undefined && { unused: true as const }),
    }));
  }

  private checkReady(): void {
    if (this.wasReady || !this.ready()) return;
    this.wasReady = true;
    const waiting = this.all.filter((_, i) => !this.settled[i]).map((p) => p.name);
    if (waiting.length > 0) {
      this.logger.warn(
        { foundations: waiting, graceMs: this.readyGraceMs },
        "ready before the first discovery of every foundation ended: their targets join when it completes",
      );
    }
    this.markReady();
  }

  private endGrace(): void {
    this.graceOver = true;
    this.checkReady();
  }

  private republish(): void {
    const snapshots = this.parts.map((part) => {
      const own = part.service.current();
      return own && this.renumber(part, own);
    });
    if (snapshots.every((s) => s === undefined)) return;
    const merged = this.all.length === 1 ? snapshots[0] : this.merge(snapshots);
    if (merged) this.published.publish(merged);
    this.checkReady();
  }

  /**
   * Renumbered copies by the instance they copy: a refresh hands over the unchanged instances of a foundation as
   * the same objects, and so they keep their copies (the own metrics find their series by the object).
   */
  private readonly renumberedInstances = new WeakMap<DiscoveredInstance, DiscoveredInstance>();

  /** The part's snapshot with promregator.targets indices; the same object when they already are. */
  private renumber(part: UsedPart, snapshot: DiscoverySnapshot): DiscoverySnapshot {
    if (part.targetIndices.every((global, local) => global === local)) return snapshot;
    let done = this.renumbered.get(snapshot);
    if (!done) {
      const instances = snapshot.instances.map((i) => {
        let copy = this.renumberedInstances.get(i);
        if (!copy) {
          copy = { ...i, targetIndex: part.targetIndices[i.targetIndex] };
          this.renumberedInstances.set(i, copy);
        }
        return copy;
      });
      done = {
        instances,
        byInstanceId: new Map(instances.map((i) => [i.instanceId, i])),
        targets: snapshot.targets.map((t) => ({ ...t, targetIndex: part.targetIndices[t.targetIndex] })),
        refreshedAt: snapshot.refreshedAt,
      };
      this.renumbered.set(snapshot, done);
    }
    return done;
  }

  /**
   * All foundations' instances in snapshot order; an instance id known twice stays with the first foundation, and
   * the reports of both targets say so (the dropped instances no longer counted for the second one's target).
   */
  private merge(snapshots: readonly (DiscoverySnapshot | undefined)[]): DiscoverySnapshot {
    const byInstanceId = new Map<string, DiscoveredInstance>();
    const reports: TargetReport[] = [];
    const clashes = new Clashes();
    let refreshedAt = 0;
    snapshots.forEach((snapshot, i) => {
      const part = this.parts[i];
      if (!snapshot) {
        reports.push(...notResolvedYet(part));
        return;
      }
      refreshedAt = Math.max(refreshedAt, snapshot.refreshedAt);
      reports.push(...snapshot.targets);
      for (const instance of snapshot.instances) {
        const kept = byInstanceId.get(instance.instanceId);
        if (!kept) {
          byInstanceId.set(instance.instanceId, instance);
        } else {
          this.collision(instance, kept);
          clashes.add(instance, kept);
        }
      }
    });
    const instances = [...byInstanceId.values()].sort(compareInstances);
    const targets = reports
      .map((report) => clashes.apply(report))
      .sort((a, b) => a.targetIndex - b.targetIndex);
    return { instances, byInstanceId, targets, refreshedAt };
  }

  private collision(dropped: DiscoveredInstance, kept: DiscoveredInstance): void {
    if (this.collisions.has(dropped.instanceId)) return;
    this.collisions.add(dropped.instanceId);
    this.logger.warn(
      { instanceId: dropped.instanceId, kept: kept.foundation, dropped: dropped.foundation },
      "the same app guid was found in two foundations; only the first foundation's instance is served",
    );
  }
}

/**
 * Apps whose guid two foundations list, by the targets that selected them, for those targets' reports. Also used
 * by `check-config --resolve`, which reports the same as the running process.
 */
export class Clashes {
  /** Per target index: notes by app guid. */
  private readonly notes = new Map<number, Map<string, string>>();
  /** Per target index: instances served from another foundation instead. */
  private readonly dropped = new Map<number, number>();

  add(dropped: DiscoveredInstance, kept: DiscoveredInstance): void {
    this.dropped.set(dropped.targetIndex, (this.dropped.get(dropped.targetIndex) ?? 0) + 1);
    this.note(
      dropped.targetIndex,
      dropped.appGuid,
      `app ${dropped.appName} (guid ${dropped.appGuid}) is also found in foundation ${kept.foundation} ` +
        `(target ${kept.targetIndex}, app ${kept.appName}), whose instances are served instead`,
    );
    this.note(
      kept.targetIndex,
      kept.appGuid,
      `app ${kept.appName} (guid ${kept.appGuid}) is also found in foundation ${dropped.foundation} ` +
        `(target ${dropped.targetIndex}, app ${dropped.appName}); only this foundation's instances are served`,
    );
  }

  /** The report with its target's notes added after any problem it has, and served instances only. */
  apply(report: TargetReport): TargetReport {
    const notes = this.notes.get(report.targetIndex);
    if (!notes) return report;
    const text = [...notes.values()].join("; ");
    return {
      ...report,
      instances: report.instances - (this.dropped.get(report.targetIndex) ?? 0),
      problem: report.problem === undefined ? text : `${report.problem}; ${text}`,
      kind: report.kind ?? "same-app-guid",
    };
  }

  private note(targetIndex: number, appGuid: string, text: string): void {
    let notes = this.notes.get(targetIndex);
    if (!notes) {
      notes = new Map();
      this.notes.set(targetIndex, notes);
    }
    if (!notes.has(appGuid)) notes.set(appGuid, text);
  }
}

/** Reports for the targets of a foundation whose first refresh has not produced a snapshot. */
function notResolvedYet(part: UsedPart): TargetReport[] {
  const last = part.service.lastRefresh();
  const problem = last?.error
    ? `foundation ${part.name} could not be read: ${last.error}`
    : `foundation ${part.name} has not completed its first discovery`;
  return part.targetIndices.map((targetIndex, local) => ({
    targetIndex,
    description: part.targetDescriptions[local] ?? "",
    instances: 0,
    problem,
    kind: "cc-error" as const,
  }));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
