import { type Config, ConfigError } from "./config/index.js";
import { describeConfiguredTargets, isUsedFoundation } from "./foundation-discovery.js";
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

/** The user or client id a Cloud Controller is read as. */
function cfUserOf(cf: Config["cf"]): string {
  return cf.client_id && cf.client_secret ? `client ${cf.client_id}` : (cf.username ?? "(none)");
}

/**
 * Which Cloud Controllers are read: with one foundation `cfApi` and `cfUser`; with several, `foundations`
 * (`foundation`, `cfApi`, `cfUser` of each one some target names) and `unusedFoundations` (names of those none
 * names, which are not contacted), if any.
 */
function cloudControllers(config: Config): Record<string, unknown> {
  if (config.foundations.length <= 1) {
    return { cfApi: withoutUserInfo(config.cf.apiUrl), cfUser: cfUserOf(config.cf) };
  }
  const used = config.foundations.filter((f) => isUsedFoundation(config, f));
  const unused = config.foundations.filter((f) => !used.includes(f)).map((f) => f.name);
  return {
    foundations: used.map((f) => ({
      foundation: f.name,
      cfApi: withoutUserInfo(f.cf.apiUrl),
      cfUser: cfUserOf(f.cf),
    })),
    ...(unused.length > 0 && { unusedFoundations: unused }),
  };
}

/**
 * The one info line at start-up: what this process is about to do, with no secret in it.
 * Fields: version, configFile, the Cloud Controllers (see cloudControllers), targets (descriptions), listen
 * (URL), processInstanceId.
 */
export function logStartup(
  logger: Logger,
  config: Config,
  listenUrl: string,
  processInstanceId: string,
): void {
  logger.info(
    {
      version: VERSION,
      configFile: config.source ?? "(none)",
      ...cloudControllers(config),
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
