import type { CfApp, CfOrganization, CfSpace } from "../cf/index.js";
import type { TargetConfig } from "../config/index.js";
import { errorMessage } from "../errors.js";
import { ALL } from "./cf-caches.js";
import { keyFailure, keysPerFailure, layerError } from "./layer-error.js";
import { compileTarget, type NameSelector, selects, type TargetSelectors } from "./matching.js";
import type { CacheReader } from "./refresh-ahead-cache.js";
import type { ScrapeCredential } from "./types.js";

export const SCRAPE_ANNOTATION = "prometheus.io/scrape";
export const PATH_ANNOTATION = "prometheus.io/path";

/** An app chosen by a configured target, before instances and URLs are known. */
export interface ResolvedApp {
  targetIndex: number;
  orgName: string;
  spaceName: string;
  spaceGuid: string;
  appGuid: string;
  appName: string;
  /** Metrics path: the target's, the app's prometheus.io/path annotation, or its service binding's `path`. */
  path: string;
  /** HTTP Basic credentials from the app's service binding (see binding-resolver.ts). */
  bindingCredential?: ScrapeCredential;
}

export interface TargetResolution {
  apps: ResolvedApp[];
  /** Why nothing was selected; undefined when apps were found. */
  problem?: string;
  /** Service bindings of selected apps that could not be used as they are (see binding-resolver.ts). */
  notes?: string[];
  /**
   * Part of it could not be read for now (a binding's details failed and no earlier answer is kept, or an org's
   * spaces or a space's apps failed to load): resolve the target again soon (BINDING_RETRY_MS), not after a
   * whole `cf.cache.timeout.resolver`.
   */
  retrySoon?: boolean;
  /**
   * Orgs whose spaces, and spaces whose apps, could not be loaded while others of the target could: the target
   * is resolved without them, and keeps the instances it had there (refresh-step.ts).
   */
  failedScopes?: FailedScope[];
}

/** An org (every space of it) or a space of a target that could not be read. */
export interface FailedScope {
  orgName: string;
  /** Undefined: the whole org. */
  spaceName?: string;
  error: Error;
}

interface Pending {
  index: number;
  config: TargetConfig;
  selectors: TargetSelectors;
  /** Reasons collected level by level, reported only when nothing is left. */
  reasons: string[];
  orgs: CfOrganization[];
  spaces: { org: CfOrganization; space: CfSpace }[];
  /** Orgs and spaces whose layer failed to load (one failing key fails only itself). */
  failures: FailedScope[];
}

/**
 * Resolves several targets together, one Cloud Controller layer at a time, so that each layer costs one
 * (batched) cache access for all targets. An org whose spaces, or a space whose apps, failed to load is left
 * out of its target (`failedScopes`) while the rest resolves; a target none of whose orgs or spaces could be
 * read, or whose org list failed, gets an Error, and the caller's cache then keeps serving its previous
 * resolution.
 */
export async function resolveTargets(
  targets: { index: number; config: TargetConfig }[],
  caches: {
    org: CacheReader<CfOrganization[]>;
    space: CacheReader<CfSpace[]>;
    application: CacheReader<CfApp[]>;
  },
): Promise<Map<number, TargetResolution | Error>> {
  const results = new Map<number, TargetResolution | Error>();
  let live: Pending[] = [];
  for (const { index, config } of targets) {
    try {
      live.push({
        index,
        config,
        selectors: compileTarget(config),
        reasons: [],
        orgs: [],
        spaces: [],
        failures: [],
      });
    } catch (error) {
      results.set(index, { apps: [], problem: errorMessage(error) });
    }
  }
  const fail = (t: Pending, error: Error) => results.set(t.index, error);
  const finishEmpty = (t: Pending) => results.set(t.index, { apps: [], problem: summarise(t.reasons) });

  // Orgs: one list of all orgs when any target needs more than a name, else one list filtered by names.
  const needAll = live.some((t) => t.selectors.org.kind !== "name");
  const orgKey = (t: Pending) => (!needAll && t.selectors.org.kind === "name" ? t.selectors.org.lower : ALL);
  const orgs = await caches.org.getMany(live.map(orgKey));
  live = live.filter((t) => {
    const key = orgKey(t);
    const list = orgs.values.get(key);
    if (!list) {
      fail(t, layerError("organizations", orgs.errors.get(key)));
      return false;
    }
    t.orgs = pick(t.selectors.org, list);
    if (t.orgs.length > 0) return true;
    t.reasons.push(noMatch("organization", t.selectors.org));
    finishEmpty(t);
    return false;
  });

  const spaces = await caches.space.getMany(live.flatMap((t) => t.orgs.map((o) => o.guid)));
  const spaceFailures = keysPerFailure(
    live.flatMap((t) => t.orgs.map((o) => [o.guid, o.name] as const)),
    spaces.errors,
  );
  live = live.filter((t) => {
    for (const org of t.orgs) {
      const list = spaces.values.get(org.guid);
      if (!list) {
        const error = keyFailure("spaces", "org", org.name, spaces.errors.get(org.guid), spaceFailures);
        t.failures.push({ orgName: org.name, error });
        continue;
      }
      const chosen = pick(t.selectors.space, list);
      if (chosen.length === 0) t.reasons.push(`${noMatch("space", t.selectors.space)} in org ${org.name}`);
      for (const space of chosen) t.spaces.push({ org, space });
    }
    if (t.spaces.length > 0) return true;
    if (t.failures.length > 0) fail(t, t.failures[0].error);
    else finishEmpty(t);
    return false;
  });

  const apps = await caches.application.getMany(live.flatMap((t) => t.spaces.map((s) => s.space.guid)));
  const appFailures = keysPerFailure(
    live.flatMap((t) => t.spaces.map(({ org, space }) => [space.guid, `${org.name}/${space.name}`] as const)),
    apps.errors,
  );
  for (const t of live) {
    const chosen: ResolvedApp[] = [];
    for (const { org, space } of t.spaces) {
      const list = apps.values.get(space.guid);
      if (!list) {
        const name = `${org.name}/${space.name}`;
        const error = keyFailure("apps", "space", name, apps.errors.get(space.guid), appFailures);
        t.failures.push({ orgName: org.name, spaceName: space.name, error });
        continue;
      }
      for (const app of selectApps(t, list, `${org.name}/${space.name}`)) {
        chosen.push({
          targetIndex: t.index,
          orgName: org.name,
          spaceName: space.name,
          spaceGuid: space.guid,
          appGuid: app.guid,
          appName: app.name,
          path: (t.config.kubernetesAnnotations && app.annotations?.[PATH_ANNOTATION]) || t.config.path,
        });
      }
    }
    if (chosen.length > 0) {
      const partial = t.failures.length > 0 ? { failedScopes: t.failures, retrySoon: true } : {};
      results.set(t.index, { apps: chosen, ...partial });
    } else if (t.failures.length > 0) fail(t, t.failures[0].error);
    else finishEmpty(t);
  }
  return results;
}

/** App rules: a name must match exactly one app; only STARTED apps; optional annotation opt-in. */
function selectApps(t: Pending, list: CfApp[], where: string): CfApp[] {
  const selector = t.selectors.app;
  const matching = list.filter((app) => selects(selector, app.name));
  if (matching.length === 0) {
    t.reasons.push(`${noMatch("application", selector)} in ${where}`);
    return [];
  }
  if (selector.kind === "name" && matching.length > 1) {
    t.reasons.push(`${matching.length} applications named ${selector.name} in ${where}`);
    return [];
  }
  const started = matching.filter((app) => app.state === "STARTED");
  if (started.length === 0) {
    t.reasons.push(
      selector.kind === "name"
        ? `application ${matching[0].name} in ${where} is ${matching[0].state}`
        : `none of the ${matching.length} matching applications in ${where} is started`,
    );
    return [];
  }
  if (!t.config.kubernetesAnnotations) return started;
  const annotated = started.filter((app) => app.annotations?.[SCRAPE_ANNOTATION] === "true");
  if (annotated.length === 0) {
    t.reasons.push(`no started application in ${where} has the annotation ${SCRAPE_ANNOTATION}: "true"`);
  }
  return annotated;
}

/** A name picks the first match (Cloud Controller order), a regex or "all" every match. */
function pick<T extends { name: string }>(selector: NameSelector, list: T[]): T[] {
  if (selector.kind === "name") {
    const first = list.find((item) => selects(selector, item.name));
    return first ? [first] : [];
  }
  return list.filter((item) => selects(selector, item.name));
}

function noMatch(level: string, selector: NameSelector): string {
  switch (selector.kind) {
    case "name":
      return `${level} ${selector.name} not found`;
    case "regex":
      return `no ${level} matches /${selector.source}/`;
    case "all":
      return `no ${level} visible`;
  }
}

/** At most three reasons, so that a broad target over many orgs stays readable. */
export function summarise(reasons: string[]): string {
  if (reasons.length === 0) return "nothing matched";
  const shown = reasons.slice(0, 3).join("; ");
  return reasons.length > 3 ? `${shown} (and ${reasons.length - 3} more)` : shown;
}
