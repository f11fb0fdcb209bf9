import type { Logger } from "../log.js";
import type { LoadSettled } from "./refresh-ahead-cache.js";
import { LEFT_OUT_KINDS, type NoInstancesKind, type TargetReport } from "./types.js";

/** Apps left out that one log line lists at the most. */
const MAX_LOGGED_LEFT_OUT = 50;
/** While nothing can be resolved at all, repeat the warning at most this often. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * Logs discovery problems when they start (and when they end) rather than on every refresh tick,
 * so that a lasting problem does not flood the log.
 */
export class ProblemLog {
  private readonly emptyLoggedAt = new Map<number, number>();
  private readonly failingTargets = new Set<number>();
  /** Caches whose background reloads fail now, with the cause, so health checks can tell. */
  private readonly failingCaches = new Map<string, string>();
  private readonly warnedDuplicates = new Set<string>();
  /** Per target, the problem of a target with instances last logged (see partialProblems). */
  private readonly partial = new Map<number, { kind: NoInstancesKind; key: string }>();
  private failureLoggedAt: number | undefined;
  /** After stop, failures of reloads still finishing are expected (the client may be closing). */
  quiet = false;

  constructor(
    private readonly logger: Logger,
    /** How often an empty target is reported again, ms (the resolver cache timeout). */
    private readonly emptyRepeatMs: number,
    /**
     * The index in promregator.targets of the service's target `index`, which log lines give as `target`: with
     * several foundations each service numbers only its own targets from 0.
     */
    private readonly configIndex: (index: number) => number = (index) => index,
  ) {}

  /** A refresh in which every target failed; `known` is how many instances are kept. */
  refreshFailed(now: number, cause: string, known: number | undefined): void {
    if (this.failureLoggedAt !== undefined && now - this.failureLoggedAt < FAILURE_LOG_INTERVAL_MS) return;
    this.failureLoggedAt = now;
    this.logger.warn(
      { cause, known: known ?? 0 },
      known === undefined
        ? "discovery refresh failed; nothing is known yet"
        : "discovery refresh failed; keeping the previous landscape",
    );
  }

  refreshSucceeded(): void {
    if (this.failureLoggedAt === undefined) return;
    this.failureLoggedAt = undefined;
    this.logger.info("discovery refresh succeeded again");
  }

  /**
   * A target's Cloud Controller failure, or its end: `scope` "apps" when only some of its apps failed (they keep
   * their previous instances, the others are current), "target" when nothing of it could be read.
   */
  target(
    index: number,
    description: string,
    error: Error | undefined,
    scope: "target" | "apps" = "target",
  ): void {
    if (error && !this.failingTargets.has(index)) {
      this.failingTargets.add(index);
      this.logger.warn(
        { target: this.configIndex(index), description, cause: error.message },
        scope === "apps"
          ? "could not read some apps of a target; keeping their previous instances, its other apps are current"
          : "could not resolve a target; keeping its previous instances",
      );
    } else if (!error && this.failingTargets.delete(index)) {
      this.logger.info({ target: this.configIndex(index), description }, "target resolves again");
    }
  }

  /** A target matching nothing is logged when it becomes empty, then at most once per repeat interval. */
  emptyTargets(reports: readonly TargetReport[], now: number): void {
    for (const report of reports) {
      if (report.instances > 0) {
        this.emptyLoggedAt.delete(report.targetIndex);
        continue;
      }
      if (this.failingTargets.has(report.targetIndex)) continue; // reported as a failure instead
      const loggedAt = this.emptyLoggedAt.get(report.targetIndex);
      if (loggedAt !== undefined && now - loggedAt < this.emptyRepeatMs) continue;
      this.emptyLoggedAt.set(report.targetIndex, now);
      this.logger.warn(
        {
          target: this.configIndex(report.targetIndex),
          description: report.description,
          reason: report.problem,
        },
        "a configured target matches no app instance",
      );
    }
  }

  /**
   * Problems of targets that still have instances (service bindings not usable, apps left out for want of an
   * HTTP route or a web process): logged when they appear or change (any app of the full list, not only the
   * three the text names), and once when they are gone, so that a lasting one does not repeat every refresh.
   * A target without instances, or whose Cloud Controller data failed, is logged elsewhere and left as it was.
   */
  partialProblems(reports: readonly TargetReport[]): void {
    for (const report of reports) {
      if (report.instances === 0 || report.kind === "cc-error") continue;
      const problem =
        report.kind === "service-binding" || (report.kind !== undefined && LEFT_OUT_KINDS.has(report.kind))
          ? { kind: report.kind, key: `${report.problem}\n${(report.leftOut ?? []).join("\n")}` }
          : undefined;
      const logged = this.partial.get(report.targetIndex);
      if (problem?.key === logged?.key) continue;
      const target = this.configIndex(report.targetIndex);
      if (problem === undefined) {
        this.partial.delete(report.targetIndex);
        this.logger.info(
          { target },
          logged?.kind === "service-binding"
            ? "the service bindings of a target are usable again"
            : "no app of a target is left out any more",
        );
        continue;
      }
      this.partial.set(report.targetIndex, problem);
      this.logger.warn(
        {
          target,
          description: report.description,
          reason: report.problem,
          // The full list (the reason names three), bounded for a broad target over thousands of apps.
          ...(report.leftOut ? { leftOut: report.leftOut.slice(0, MAX_LOGGED_LEFT_OUT) } : {}),
        },
        problem.kind === "service-binding"
          ? "some service bindings of a target cannot be used as they are"
          : "some apps of a target are left out: no HTTP route to their web process, or not exactly one web process",
      );
    }
  }

  /** Only failed reloads of entries still being served are logged here; failed first loads become target problems. */
  cacheLoad(cache: string, outcome: LoadSettled): void {
    if (!outcome.error) {
      if (this.failingCaches.delete(cache)) this.logger.info({ cache }, "cache reloads succeed again");
      return;
    }
    if (!outcome.background || this.quiet) return;
    const known = this.failingCaches.has(cache);
    this.failingCaches.set(cache, outcome.error.message);
    if (known) {
      this.logger.debug({ cache, cause: outcome.error.message }, "cache reload failed again");
      return;
    }
    this.logger.warn(
      { cache, cause: outcome.error.message },
      "could not reload a cache; serving its previous values",
    );
  }

  /** A cache that is being served from old values because its reloads fail, if any. */
  failingCache(): { cache: string; cause: string } | undefined {
    const first = this.failingCaches.entries().next();
    return first.done ? undefined : { cache: first.value[0], cause: first.value[1] };
  }

  duplicate(instanceId: string, kept: number, dropped: number): void {
    const appGuid = instanceId.slice(0, instanceId.lastIndexOf(":"));
    const key = `${appGuid}|${kept}|${dropped}`;
    if (this.warnedDuplicates.has(key)) return;
    this.warnedDuplicates.add(key);
    this.logger.warn(
      { appGuid, keptTarget: this.configIndex(kept), droppedTarget: this.configIndex(dropped) },
      "an app is selected by two targets; the first target in the configuration is used",
    );
  }
}
