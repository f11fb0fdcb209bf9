import type {
  DiscoveredInstance,
  DiscoverySnapshot,
  FoundationHealth,
  NoInstancesKind,
} from "../discovery/index.js";
import { toError } from "../errors.js";
import type { InstanceIdentity } from "../metrics/index.js";
import { maskQueryValues, redactSecrets } from "../redact.js";
import type {
  CacheStatus,
  FoundationStatus,
  InstanceStatus,
  Moment,
  StatusDeps,
  StatusDocument,
  TargetStatus,
} from "./types.js";

/**
 * Collects the current state from the other modules into one plain, serialisable document. Error texts are
 * redacted once more here: they may quote CC, UAA, load balancer or target answers.
 */
export function buildStatusDocument(deps: StatusDeps, nowMs: number): StatusDocument {
  const errors: string[] = [];
  // One broken source must not take the whole page down: the page is what people open when things break.
  const read = <T>(what: string, fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (error) {
      errors.push(`${what} unavailable: ${toError(error).message}`);
      return fallback;
    }
  };
  const moment = (epochMs: number): Moment => toMoment(epochMs, nowMs);

  const snapshot = read<DiscoverySnapshot | undefined>("discovery snapshot", deps.snapshot, undefined);
  const several = deps.foundations !== undefined;
  const instances = (snapshot?.instances ?? []).map((instance) =>
    instanceStatus(
      instance,
      read(`last scrape of ${instance.instanceId}`, () => deps.lastScrape(instance.instanceId), undefined),
      moment,
      several,
    ),
  );
  const foundations = deps.foundations
    ? read("foundations", () => deps.foundations?.().map((f) => foundationStatus(f, moment)), [])
    : undefined;
  const lastOkAt = deps.lastRefresh
    ? read("last discovery refresh", () => deps.lastRefresh?.()?.lastOkAt, undefined)
    : undefined;
  const health = deps.cfHealth ? read("CF connection state", deps.cfHealth, undefined) : undefined;

  const doc: StatusDocument = {
    version: deps.version,
    generatedAt: new Date(nowMs).toISOString(),
    process: processSection(deps.identity),
    ready: read("readiness", deps.ready, false),
    cf: {
      ...shownFoundation(foundations, deps.cfApiUrl),
      ...(health && {
        health: {
          ok: health.ok,
          ...(health.lastError !== undefined && { lastError: redactSecrets(health.lastError) }),
          ...(health.lastSuccessAt !== undefined && { lastSuccess: moment(health.lastSuccessAt) }),
        },
      }),
    },
    ...(foundations && { foundations }),
    discovery: {
      ...(lastOkAt !== undefined && { lastRefresh: moment(lastOkAt) }),
      ...(snapshot && { lastChange: moment(snapshot.refreshedAt) }),
      targets: snapshot ? snapshot.targets.map(targetStatus) : pendingTargets(deps.configuredTargets ?? []),
    },
    summary: summarise(instances),
    instances,
    caches: read("cache statistics", () => deps.cacheStats().map(cacheStatus), []),
  };
  if (errors.length > 0) doc.errors = errors;
  return doc;
}

export function toMoment(epochMs: number, nowMs: number): Moment {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) return { at: "unknown", ageSeconds: 0 };
  return { at: date.toISOString(), ageSeconds: Math.round((nowMs - epochMs) / 100) / 10 };
}

function processSection(identity: InstanceIdentity): StatusDocument["process"] {
  const { processId, ...cf } = identity;
  const hasCf = Object.values(cf).some((value) => value !== undefined);
  return hasCf ? { id: processId, cf } : { id: processId };
}

function instanceStatus(
  instance: DiscoveredInstance,
  last: ReturnType<StatusDeps["lastScrape"]>,
  moment: (epochMs: number) => Moment,
  withFoundation: boolean,
): InstanceStatus {
  const status: InstanceStatus = {
    instanceId: instance.instanceId,
    orgName: instance.orgName,
    spaceName: instance.spaceName,
    appName: instance.appName,
    index: instance.index,
    url: maskQueryValues(withoutUserInfo(instance.url)),
    targetIndex: instance.targetIndex,
    ...(withFoundation && { foundation: instance.foundation }),
  };
  if (last) {
    status.lastScrape = {
      ok: last.ok,
      ...(last.reason !== undefined && { reason: redactSecrets(last.reason) }),
      latencySeconds: last.seconds,
      ...(last.bytes !== undefined && { bytes: last.bytes }),
      when: moment(last.at),
    };
  }
  return status;
}

/**
 * The top-level Cloud Controller: with several foundations the one whose error the overall health shows (the
 * first failing one), else the first used one, named; with one the configured one.
 */
function shownFoundation(
  foundations: readonly FoundationStatus[] | undefined,
  configured: string,
): Pick<StatusDocument["cf"], "apiUrl" | "foundation"> {
  const used = (foundations ?? []).filter((f) => !f.unused);
  const shown = used.find((f) => !f.ok) ?? used[0];
  if (!shown) return { apiUrl: withoutUserInfo(configured) };
  return { apiUrl: shown.apiUrl, foundation: shown.name };
}

function foundationStatus(health: FoundationHealth, moment: (epochMs: number) => Moment): FoundationStatus {
  const last = health.lastRefresh;
  if (health.unused) {
    return {
      name: health.name,
      apiUrl: withoutUserInfo(health.apiUrl),
      ok: false,
      unused: true,
      instances: 0,
      targets: 0,
    };
  }
  return {
    name: health.name,
    apiUrl: withoutUserInfo(health.apiUrl),
    ok: last?.ok ?? false,
    ...(last?.error !== undefined && { lastError: redactSecrets(last.error) }),
    ...(last?.lastOkAt !== undefined && { lastSuccess: moment(last.lastOkAt) }),
    instances: health.instances,
    targets: health.targets,
  };
}

/** Short phrases for the kinds of "no instances" (discovery/types.ts NoInstancesKind). */
const WHY: Record<NoInstancesKind, string> = {
  "cc-error": "Cloud Controller error",
  "no-matching-app": "no matching app",
  "no-route": "no route",
  "no-http-route": "no HTTP route",
  "no-web-process": "no single web process",
  "scaled-to-zero": "scaled to 0 instances",
  "service-binding": "service binding not usable as it is",
  "same-app-guid": "same app guid in two foundations",
  "selected-by-earlier-target": "served by an earlier target",
};

function targetStatus(report: DiscoverySnapshot["targets"][number]): TargetStatus {
  const problem = report.problem !== undefined ? redactSecrets(report.problem) : undefined;
  const kind = report.kind;
  return {
    targetIndex: report.targetIndex,
    description: report.description,
    instances: report.instances,
    ...(problem !== undefined && { problem }),
    ...(kind !== undefined && {
      why: { kind, text: kind === "cc-error" && problem ? `${WHY[kind]}: ${problem}` : WHY[kind] },
    }),
  };
}

/** Before the first discovery, the configured targets are all there is to show. */
function pendingTargets(descriptions: readonly string[]): TargetStatus[] {
  return descriptions.map((description, targetIndex) => ({
    targetIndex,
    description,
    instances: 0,
    pending: true,
  }));
}

function cacheStatus(stats: CacheStatus): CacheStatus {
  return {
    cache: stats.cache,
    entries: stats.entries,
    ...(stats.oldestAgeSeconds !== undefined && { oldestAgeSeconds: stats.oldestAgeSeconds }),
    ...(stats.loads !== undefined && { loads: stats.loads }),
    ...(stats.loadFailures !== undefined && { loadFailures: stats.loadFailures }),
  };
}

function summarise(instances: readonly InstanceStatus[]): StatusDocument["summary"] {
  let scrapeOk = 0;
  let scrapeFailed = 0;
  for (const instance of instances) {
    if (instance.lastScrape?.ok === true) scrapeOk++;
    else if (instance.lastScrape?.ok === false) scrapeFailed++;
  }
  return {
    instances: instances.length,
    scrapeOk,
    scrapeFailed,
    notScrapedYet: instances.length - scrapeOk - scrapeFailed,
  };
}

/** A user:password@ in the configured API URL must not reach the page. */
function withoutUserInfo(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.href;
  } catch {
    // Not a URL at all: show nothing that could be a credential.
    return url.includes("@") ? "(not shown: not a valid URL)" : url;
  }
}
