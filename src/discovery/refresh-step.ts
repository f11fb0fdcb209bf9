import type { CfDomain, CfProcess, CfRoute } from "../cf/index.js";
import type { TargetConfig } from "../config/index.js";
import { toError } from "../errors.js";
import { distinctMessages, scanInstances } from "./instance-builder.js";
import { describeTarget } from "./matching.js";
import type { CacheReader } from "./refresh-ahead-cache.js";
import { buildSnapshot, type Duplicate, mergeTargets, sameInstances, sameReports } from "./snapshot.js";
import { type FailedScope, summarise, type TargetResolution } from "./target-resolver.js";
import {
  type DiscoveredInstance,
  type DiscoverySnapshot,
  LEFT_OUT_KINDS,
  type NoInstancesKind,
  type TargetReport,
} from "./types.js";

/** What one refresh reads: the resolved targets and the per-app Cloud Controller layers. */
export interface RefreshCaches {
  /** Key: target index as a string. */
  resolver: CacheReader<TargetResolution>;
  process: CacheReader<CfProcess[]>;
  route: CacheReader<CfRoute[]>;
  domain: CacheReader<ReadonlyMap<string, CfDomain>>;
}

export interface RefreshInput {
  /** The snapshot published so far, if any. */
  previous: DiscoverySnapshot | undefined;
  targets: readonly TargetConfig[];
  /** preferredRouteRegex per target index, compiled. */
  routePatterns: readonly (readonly RegExp[])[];
  defaultInternalRoutePort: number;
  /** Name of the foundation the caches read, carried by each instance. */
  foundation: string;
  caches: RefreshCaches;
  /** epoch ms stamped on a new snapshot */
  at: number;
}

export interface RefreshResult {
  /**
   * What to publish after this refresh: a new snapshot when instances or reports changed, else `previous`
   * itself; undefined only when nothing was ever known.
   */
  snapshot: DiscoverySnapshot | undefined;
  /** True when `snapshot` is new and must be published. */
  changed: boolean;
  /** True when every target failed (or there are none and the refresh itself failed): `previous` is kept whole. */
  failed: boolean;
  /**
   * The Cloud Controller failure of each target that had one, by target index: of the target as a whole, or of
   * some of its apps (whose previous instances are kept while its other apps are current).
   */
  errors: Map<number, Error>;
  /** The targets among `errors` whose failure is of some of their apps only. */
  failedApps: Set<number>;
  /** One report per configured target, in configuration order (empty when nothing was learnt of any target). */
  reports: TargetReport[];
  /** Instances reached through two targets (the first target in configuration order keeps them). */
  duplicates: Duplicate[];
}

/**
 * One refresh, with no timers and no I/O besides the caches: resolves every target, keeps the last good
 * instances of an app whose Cloud Controller data could not be loaded (of a whole target when none of its apps
 * could), and keeps the whole previous snapshot when every target failed as a whole, so that an outage never
 * empties a known landscape and one failing app never holds back the others.
 */
export async function refreshOnce(input: RefreshInput): Promise<RefreshResult> {
  const { previous, targets } = input;
  let collected: Awaited<ReturnType<typeof collect>>;
  try {
    collected = await collect(input);
  } catch (error) {
    // Nothing was learnt about any target: a failure of all of them.
    return keptWhole(previous, new Map([[-1, toError(error)]]), new Set());
  }
  const { perTarget, reports, errors, failedApps } = collected;
  const wholeFailures = errors.size - failedApps.size;
  // A target with some apps read is not failed: its failed apps keep their instances, the others are current.
  if (wholeFailures > 0 && wholeFailures >= targets.length)
    return keptWhole(previous, errors, failedApps, reports, input.at);
  const { instances, byInstanceId, duplicates } = await mergeTargets(perTarget);
  if (duplicates.length > 0) servedOnly(reports, duplicates);
  const changed =
    !previous || !sameInstances(previous.instances, instances) || !sameReports(previous.targets, reports);
  const snapshot = changed ? buildSnapshot(instances, reports, input.at, byInstanceId) : previous;
  return { snapshot, changed, failed: false, errors, failedApps, reports, duplicates };
}

/**
 * The result of a refresh in which every target failed as a whole: the previous snapshot's instances stay.
 * Its target reports are replaced by `reports` when there are any, so that each target shows why it failed
 * (a configuration with one target fails whole whenever that target does).
 */
function keptWhole(
  previous: DiscoverySnapshot | undefined,
  errors: Map<number, Error>,
  failedApps: Set<number>,
  reports: TargetReport[] = [],
  at = 0,
): RefreshResult {
  const changed = previous !== undefined && reports.length > 0 && !sameReports(previous.targets, reports);
  const snapshot =
    changed && previous ? buildSnapshot(previous.instances, reports, at, previous.byInstanceId) : previous;
  return { snapshot, changed, failed: true, errors, failedApps, reports, duplicates: [] };
}

/**
 * Counts for each target only the instances it serves: an instance that an earlier target also selects is
 * served by that one (mergeTargets). A target left with none says so, naming the target that serves them.
 */
function servedOnly(reports: TargetReport[], duplicates: readonly Duplicate[]): void {
  const dropped = new Map<number, { count: number; keptBy: Set<number> }>();
  for (const d of duplicates) {
    const entry = dropped.get(d.droppedTarget) ?? { count: 0, keptBy: new Set<number>() };
    entry.count++;
    entry.keptBy.add(d.keptTarget);
    dropped.set(d.droppedTarget, entry);
  }
  for (const [index, { count, keptBy }] of dropped) {
    const report = reports[index];
    if (!report) continue;
    const served = report.instances - count;
    reports[index] = { ...report, instances: served };
    if (served === 0 && report.problem === undefined) {
      const targets = [...keptBy].map((k) => `#${k}`).join(", ");
      reports[index].problem =
        `each of its ${count} instance${count === 1 ? " is" : "s is"} also selected by an earlier target (${targets}), which serves ${count === 1 ? "it" : "them"}`;
      reports[index].kind = "selected-by-earlier-target";
    }
  }
}

async function collect(input: RefreshInput) {
  const { targets, previous, caches } = input;
  const keys = targets.map((_, index) => String(index));
  const resolved = await caches.resolver.getMany(keys);
  const apps = keys.flatMap((key) => resolved.values.get(key)?.apps ?? []);
  const scan = await scanInstances(
    {
      apps,
      targets,
      routePatterns: input.routePatterns,
      defaultInternalRoutePort: input.defaultInternalRoutePort,
      foundation: input.foundation,
      ...(previous ? { previous: previous.byInstanceId } : {}),
    },
    caches,
  );
  const perTarget: DiscoveredInstance[][] = [];
  const reports: TargetReport[] = [];
  const errors = new Map<number, Error>();
  const failedApps = new Set<number>();
  targets.forEach((target, index) => {
    const key = String(index);
    const error = resolved.errors.get(key) ?? scan.errors.get(index);
    let found: DiscoveredInstance[];
    let problem: string | undefined;
    let kind: NoInstancesKind | undefined;
    let leftOut: string[] | undefined;
    if (error) {
      errors.set(index, error);
      found = previous?.instances.filter((i) => i.targetIndex === index) ?? [];
      problem = error.message;
      kind = "cc-error";
    } else {
      found = scan.instances.get(index) ?? [];
      const notes = resolved.values.get(key)?.notes;
      // retrySoon: binding details the Cloud Controller failed to give left apps out, a CC failure of the target.
      const ccFailed = resolved.values.get(key)?.retrySoon === true;
      const left = (scan.reasons.get(index) ?? []).filter((r) => LEFT_OUT_KINDS.has(r.kind));
      // A broad target (an org, a regex) keeps serving its other apps; the ones it cannot scrape are named.
      if (found.length > 0 && left.length > 0) leftOut = left.map((r) => r.text);
      const leftOutText = leftOut
        ? `${leftOut.length} app${leftOut.length === 1 ? "" : "s"} left out: ${summarise(leftOut)}`
        : undefined;
      if (found.length > 0 && notes) {
        problem = leftOutText ? `${summarise(notes)}; ${leftOutText}` : summarise(notes);
        kind = ccFailed ? "cc-error" : "service-binding";
      } else if (leftOutText) {
        problem = leftOutText;
        kind = left[0].kind;
      } else if (found.length === 0) {
        const reasons = scan.reasons.get(index) ?? [];
        const unresolved = resolved.values.get(key)?.problem;
        problem =
          unresolved ??
          (reasons
            .slice(0, 3)
            .map((r) => r.text)
            .join("; ") ||
            "nothing matched");
        kind = unresolved !== undefined || reasons.length === 0 ? "no-matching-app" : reasons[0].kind;
        // Every bound app was left out because of its binding.
        if (unresolved !== undefined && notes) kind = ccFailed ? "cc-error" : "service-binding";
      }
      const partial: Error[] = [];
      const scopes = resolved.values.get(key)?.failedScopes;
      if (scopes) {
        // Orgs or spaces of the target that could not be read keep the instances the target had there.
        found = [...found, ...keptIn(scopes, index, previous)];
        partial.push(appsFailed(scopes.map((scope) => scope.error)));
      }
      const appErrors = scan.appErrors.get(index);
      if (appErrors) partial.push(appsFailed(appErrors));
      if (partial.length > 0) {
        // Named first, as they make the target a Cloud Controller error; their kept instances are in the count.
        const failed =
          partial.length === 1 ? partial[0] : new Error(partial.map((e) => e.message).join("; "));
        errors.set(index, failed);
        failedApps.add(index);
        problem = problem === undefined ? failed.message : `${failed.message}; ${problem}`;
        kind = "cc-error";
      }
    }
    perTarget.push(found);
    reports.push({
      targetIndex: index,
      description: describeTarget(target),
      instances: found.length,
      ...(problem ? { problem, kind } : {}),
      ...(leftOut ? { leftOut } : {}),
    });
  });
  return { perTarget, reports, errors, failedApps };
}

/** The previous instances of target `index` in the orgs and spaces that could not be read now. */
function keptIn(
  scopes: readonly FailedScope[],
  index: number,
  previous: DiscoverySnapshot | undefined,
): DiscoveredInstance[] {
  if (!previous) return [];
  return previous.instances.filter(
    (i) =>
      i.targetIndex === index &&
      scopes.some(
        (s) => s.orgName === i.orgName && (s.spaceName === undefined || s.spaceName === i.spaceName),
      ),
  );
}

/** The failure of some apps of a target: each distinct cause once, at most three (summarise). */
function appsFailed(failures: readonly Error[]): Error {
  return new Error(summarise(distinctMessages(failures)), { cause: failures[0] });
}
