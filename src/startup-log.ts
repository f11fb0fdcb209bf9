import { type Config, ConfigError } from "./config/index.js";
import { describeConfiguredTargets } from "./foundation-discovery.js";
import type { Logger } from "./log.js";
import { ListenError } from "./server/index.js";
import { VERSION } from "./version.js";

/** Exit code for configuration errors and bad command lines (the watchdog uses 161 for "restart me"). */
export const EXIT_CONFIG = 2;

/** Origin and path of the CF API: a user:password@ in a configured URL must not reach the log. */
function withoutUserInfo(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(not a valid URL)";
  }
}

/**
 * The one info line at start-up: what this process is about to do, with no secret in it.
 * Fields: version, configFile, cfApi, cfUser (user or client id), targets (descriptions), listen (URL),
 * processInstanceId.
 */
export function logStartup(
  logger: Logger,
  config: Config,
  listenUrl: string,
  processInstanceId: string,
): void {
  const cf = config.cf;
  logger.info(
    {
      version: VERSION,
      configFile: config.source ?? "(none)",
      cfApi: withoutUserInfo(cf.apiUrl),
      cfUser: cf.client_id && cf.client_secret ? `client ${cf.client_id}` : (cf.username ?? "(none)"),
      targets: describeConfiguredTargets(config),
      listen: listenUrl,
      processInstanceId,
    },
    `Promregator ${VERSION} listening on ${listenUrl}, ${config.promregator.targets.length} targets`,
  );
}

/** Logs why the process could not start, as one JSON line with a hint where there is one; returns the exit code. */
export function logStartupFailure(logger: Logger, error: unknown): number {
  if (error instanceof ListenError) {
    logger.fatal({ code: error.code, hint: error.hint }, error.message);
    return 1;
  }
  if (error instanceof ConfigError) {
    logger.fatal({ key: error.key }, `configuration error: ${error.message}`);
    return EXIT_CONFIG;
  }
  logger.fatal({ err: error }, "Promregator could not start");
  return 1;
}
