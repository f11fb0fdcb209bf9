/** `promregator check-config --resolve`: resolve the configured targets once and report what would be scraped. */
import type { Config } from "../config/index.js";
import { foundationView, isUsedFoundation } from "../foundation-discovery.js";
import type { Logger } from "../log.js";
import { EXIT_CF_FAILURE, EXIT_OK, EXIT_STRICT_EMPTY } from "./exit-codes.js";
import { createProgress } from "./progress.js";
import { renderFailure, renderTextReport, reportJson } from "./render.js";
import { type ResolveOutcome, resolveOnce } from "./run.js";
import { withSameAppGuids } from "./same-app-guid.js";

export { EXIT_CF_FAILURE, EXIT_OK, EXIT_STRICT_EMPTY } from "./exit-codes.js";
export { createProgress, type Progress, silentProgress } from "./progress.js";
export { type AppRow, appRows, formatTable, renderTextReport, reportJson } from "./render.js";
export { type FailedPhase, type ResolveOutcome, resolveOnce } from "./run.js";

export function exitCodeOf(outcome: ResolveOutcome, strict: boolean): number {
  if (!outcome.ok || outcome.error !== undefined) return EXIT_CF_FAILURE;
  const { snapshot } = outcome;
  if (strict && (snapshot.instances.length === 0 || snapshot.targets.some((t) => t.instances === 0))) {
    return EXIT_STRICT_EMPTY;
  }
  return EXIT_OK;
}

export interface ResolveCheckOptions {
  config: Config;
  logger: Logger;
  strict: boolean;
  json: boolean;
  timeoutMs: number;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress dots instead of lines). */
  tty: boolean;
  cfCa?: string;
}

/**
 * Runs the resolution, prints the report (stdout) and progress (stderr), and returns the exit code. With several
 * foundations each is resolved against its own Cloud Controller in turn and reported under its name (the JSON is
 * then `{"foundations":[{"name":...,...report}]}`); the exit code is the worst of them. A foundation that no
 * target names is left out, with a line on stderr.
 */
export async function runResolveCheck(options: ResolveCheckOptions): Promise<number> {
  const progress = createProgress({ write: options.stderr, tty: options.tty });
  const several = options.config.foundations.length > 1;
  const resolved: { name: string; outcome: ResolveOutcome }[] = [];
  for (const foundation of options.config.foundations) {
    // As the running process: a foundation that no target names is not contacted (nor reported).
    if (!isUsedFoundation(options.config, foundation)) {
      options.stderr(`foundation ${foundation.name}: no target names it; not contacted\n`);
      continue;
    }
    const view = several ? foundationView(options.config, foundation) : undefined;
    if (several) options.stderr(`foundation ${foundation.name}:\n`);
    const outcome = renumbered(
      await resolveOnce({
        config: view?.config ?? options.config,
        logger: options.logger,
        progress,
        timeoutMs: options.timeoutMs,
        cfCa: options.cfCa,
        targetIndices: view?.targetIndices,
      }),
      view?.targetIndices,
    );
    if (!outcome.ok) {
      options.stderr(
        `promregator: ${several ? `foundation ${foundation.name}: ` : ""}${renderFailure(outcome)}`,
      );
    }
    resolved.push({ name: foundation.name, outcome });
  }
  // Reported once every foundation is resolved: an app guid that two of them list is served from the first only.
  const outcomes = withSameAppGuids(resolved.map((r) => r.outcome));
  const reports: unknown[] = [];
  let worst = EXIT_OK;
  for (const [i, { name }] of resolved.entries()) {
    const outcome = outcomes[i];
    if (options.json)
      reports.push(several ? { name, ...(reportJson(outcome) as object) } : reportJson(outcome));
    else if (outcome.ok) {
      if (several) options.stdout(`\nFoundation ${name} (${outcome.apiUrl})\n`);
      options.stdout(renderTextReport(outcome));
    }
    const code = exitCodeOf(outcome, options.strict);
    if (code === EXIT_STRICT_EMPTY) {
      options.stderr("promregator: --strict: a configured target matched no app instance\n");
    }
    worst = worse(worst, code);
  }
  if (options.json) {
    options.stdout(`${JSON.stringify(several ? { foundations: reports } : reports[0], null, 2)}\n`);
  }
  return worst;
}

/** A CF failure outweighs an empty target. */
function worse(a: number, b: number): number {
  const rank = (code: number) => (code === EXIT_CF_FAILURE ? 2 : code === EXIT_STRICT_EMPTY ? 1 : 0);
  return rank(b) > rank(a) ? b : a;
}

/** A foundation's outcome with promregator.targets indices instead of its own. */
function renumbered(outcome: ResolveOutcome, targetIndices: readonly number[] | undefined): ResolveOutcome {
  if (!outcome.ok || !targetIndices) return outcome;
  const global = (local: number) => targetIndices[local] ?? local;
  const instances = outcome.snapshot.instances.map((i) => ({ ...i, targetIndex: global(i.targetIndex) }));
  return {
    ...outcome,
    snapshot: {
      ...outcome.snapshot,
      instances,
      byInstanceId: new Map(instances.map((i) => [i.instanceId, i])),
      targets: outcome.snapshot.targets.map((t) => ({ ...t, targetIndex: global(t.targetIndex) })),
    },
  };
}
