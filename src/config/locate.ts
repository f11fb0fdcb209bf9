import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** Where the Docker image of the Java version mounts its configuration. */
export const DEFAULT_CONFIG_PATH = "/etc/promregator/promregator.yml";

/** The Java image also reads promregator.properties from the same directory. */
const DEFAULT_PROPERTIES_PATH = "/etc/promregator/promregator.properties";

const LOCAL_NAMES = ["promregator.yml", "promregator.properties"];

/** The fallback locations, in the order they are tried, for messages. */
export const SEARCHED_LOCATIONS: readonly string[] = [
  DEFAULT_CONFIG_PATH,
  DEFAULT_PROPERTIES_PATH,
  ...LOCAL_NAMES.map((n) => `./${n}`),
];

/**
 * Finds the configuration file: `--config`, else `PROMREGATOR_CONFIG`, else the Docker location
 * (promregator.yml, then promregator.properties), else `./promregator.yml`, else `./promregator.properties`.
 * An explicitly named file is returned even if missing, so that loading it reports the problem; the
 * fallbacks are only used when they exist. Undefined when there is none (the environment alone configures).
 */
export function locateConfigFile(
  cliPath: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
): string | undefined {
  if (cliPath) return cliPath;
  const fromEnv = env.PROMREGATOR_CONFIG;
  if (fromEnv) return fromEnv;
  const candidates = [
    DEFAULT_CONFIG_PATH,
    DEFAULT_PROPERTIES_PATH,
    ...LOCAL_NAMES.map((n) => resolve(cwd, n)),
  ];
  return candidates.find((path) => existsSync(path));
}
