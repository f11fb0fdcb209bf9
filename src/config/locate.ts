import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** Where the Docker image of the Java version mounts its configuration. */
export const DEFAULT_CONFIG_PATH = "/etc/promregator/promregator.yml";

/**
 * Finds the configuration file: `--config`, else `PROMREGATOR_CONFIG`, else the Docker location, else
 * `./promregator.yml`. An explicitly named file is returned even if missing, so that loading it reports the
 * problem; the two fallbacks are only used when they exist.
 */
export function locateConfigFile(
  cliPath: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
): string | undefined {
  if (cliPath) return cliPath;
  const fromEnv = env.PROMREGATOR_CONFIG;
  if (fromEnv) return fromEnv;
  if (existsSync(DEFAULT_CONFIG_PATH)) return DEFAULT_CONFIG_PATH;
  const local = resolve(cwd, "promregator.yml");
  return existsSync(local) ? local : undefined;
}
