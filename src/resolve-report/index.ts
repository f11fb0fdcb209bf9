/** `promregator check-config --resolve`: resolve the configured targets once and report what would be scraped. */
import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";
import { EXIT_CF_FAILURE, EXIT_OK, EXIT_STRICT_EMPTY } from "./exit-codes.js";
import { createProgress } from "./progress.js";
import { renderFailure, renderTextReport, reportJson } from "./render.js";
import { type ResolveOutcome, resolveOnce } from "./run.js";

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

/** Runs the resolution, prints the report (stdout) and progress (stderr), and returns the exit code. */
export async function runResolveCheck(options: ResolveCheckOptions): Promise<number> {
  const progress = createProgress({ write: options.stderr, tty: options.tty });
  const outcome = await resolveOnce({
    config: options.config,
    logger: options.logger,
    progress,
    timeoutMs: options.timeoutMs,
    cfCa: options.cfCa,
  });
  if (options.json) options.stdout(`${JSON.stringify(reportJson(outcome), null, 2)}\n`);
  else if (outcome.ok) options.stdout(renderTextReport(outcome));
  if (!outcome.ok) options.stderr(`promregator: ${renderFailure(outcome)}`);
  const code = exitCodeOf(outcome, options.strict);
  if (code === EXIT_STRICT_EMPTY) {
    options.stderr("promregator: --strict: a configured target matched no app instance\n");
  }
  return code;
}
