/**
 * One Cloud Controller client and one discovery service per configured foundation, composed into the one
 * discovery service the server reads (see composeFoundations for isolation and readiness).
 */
import { type CloudControllerClient, createCloudControllerClient } from "./cf/index.js";
import type { Config, FoundationConfig } from "./config/index.js";
import {
  composeFoundations,
  createDiscoveryService,
  describeTarget,
  type FoundationsDiscovery,
} from "./discovery/index.js";
import { createLandscapeLog } from "./landscape-log.js";
import type { Logger } from "./log.js";
import type { OwnMetrics } from "./metrics/index.js";

export interface FoundationRuntime {
  foundation: FoundationConfig;
  cf: CloudControllerClient;
}

/**
 * The configuration one foundation's discovery sees: its connection, its own targets (renumbered from 0;
 * `targetIndices` maps them back) and its internal-route port.
 */
export function foundationView(
  config: Config,
  foundation: FoundationConfig,
): { config: Config; targetIndices: number[] } {
  const fallback = config.foundations[0]?.name;
  const targets = withFoundations(config);
  const targetIndices = targets.flatMap((target, index) =>
    (target.foundation ?? fallback) === foundation.name ? [index] : [],
  );
  return {
    targetIndices,
    config: {
      ...config,
      cf: foundation.cf,
      promregator: {
        ...config.promregator,
        targets: targetIndices.map((index) => targets[index]),
        defaultInternalRoutePort: foundation.defaultInternalRoutePort,
      },
    },
  };
}

/**
 * promregator.targets with, when several foundations are configured, each one's foundation named (the default
 * one where the target names none), so that every description of a target says which Cloud Controller it asks.
 * With one foundation the targets as configured.
 */
function withFoundations(config: Config): Config["promregator"]["targets"] {
  const fallback = config.foundations[0]?.name;
  if (config.foundations.length <= 1 || fallback === undefined) return config.promregator.targets;
  return config.promregator.targets.map((t) =>
    t.foundation === undefined ? { ...t, foundation: fallback } : t,
  );
}

/** One description per entry of promregator.targets, naming its foundation when several are configured. */
export function describeConfiguredTargets(config: Config): string[] {
  return withFoundations(config).map(describeTarget);
}

/**
 * Whether `foundation` takes part in discovery: with several foundations configured, one that no target names
 * (typically the `cf:` block, required even when every target names a `foundations[]` entry) does not.
 */
export function isUsedFoundation(config: Config, foundation: FoundationConfig): boolean {
  if (config.foundations.length <= 1 || config.promregator.targets.length === 0) return true;
  return foundationView(config, foundation).targetIndices.length > 0;
}

/**
 * The discovery over all configured foundations, and a CF client for each one some target names (a foundation
 * that none names gets no client: it is never contacted). Each foundation's landscape changes are logged, with
 * its `foundation` when several are configured.
 */
export function createFoundationDiscovery(opts: {
  config: Config;
  logger: Logger;
  metrics: OwnMetrics;
  cfCa?: string;
  tickMs?: number;
}): { discovery: FoundationsDiscovery; runtimes: FoundationRuntime[] } {
  const { config, logger } = opts;
  const several = config.foundations.length > 1;
  let composition: FoundationsDiscovery | undefined;
  const runtimes: FoundationRuntime[] = [];
  const parts = config.foundations.map((foundation, index) => {
    // With one foundation the log lines stay as they were; with several each names its foundation.
    const bind = several ? { foundation: foundation.name } : {};
    const view = foundationView(config, foundation);
    const described = {
      name: foundation.name,
      apiUrl: foundation.cf.apiUrl,
      targetIndices: view.targetIndices,
      targetDescriptions: view.config.promregator.targets.map(describeTarget),
    };
    if (!isUsedFoundation(config, foundation)) {
      logger.warn(
        { foundation: foundation.name },
        "no target names this foundation: it is not contacted and nothing is discovered there",
      );
      return described;
    }
    const cf = createCloudControllerClient({
      config: foundation.cf,
      logger: logger.child({ module: "cf", ...bind }),
      metrics: opts.metrics,
      ca: opts.cfCa,
    });
    runtimes.push({ foundation, cf });
    const service = createDiscoveryService({
      config: view.config,
      cf,
      logger: logger.child({ module: "discovery", ...bind }),
      tickMs: opts.tickMs,
      foundation: foundation.name,
      targetIndices: view.targetIndices,
      onRefreshed: () => composition?.refreshed(index),
    });
    // Before the merge, so that each line counts one foundation's instances and names it.
    service.onSnapshot(createLandscapeLog(several ? logger.child(bind) : logger));
    return { ...described, service };
  });
  const discovery = composeFoundations(parts, logger.child({ module: "discovery" }));
  composition = discovery;
  return { discovery, runtimes };
}
