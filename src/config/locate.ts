import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "./errors.js";

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

/** The environment form of Java's `-Dspring.config.location=`, and the property name Spring also reads there. */
const SPRING_LOCATION_VARIABLES = ["SPRING_CONFIG_LOCATION", "spring.config.location"];

/**
 * Finds the configuration file: `--config`, else `PROMREGATOR_CONFIG`, else `SPRING_CONFIG_LOCATION` (as the
 * Java version's `-Dspring.config.location=`), else the Docker location (promregator.yml, then
 * promregator.properties), else `./promregator.yml`, else `./promregator.properties`. A file named by `--config`
 * or `PROMREGATOR_CONFIG` is returned even if missing, so that loading it reports the problem; the fallbacks
 * are only used when they exist. Undefined when there is none (the environment alone configures). `warnings`
 * receives a word about a SPRING_CONFIG_LOCATION that a stronger choice overrides.
 */
export function locateConfigFile(
  cliPath: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
  warnings: string[] = [],
): string | undefined {
  const springVariable = SPRING_LOCATION_VARIABLES.find((v) => env[v] !== undefined && env[v]?.trim() !== "");
  const explicit = cliPath ? "--config" : env.PROMREGATOR_CONFIG ? "PROMREGATOR_CONFIG" : undefined;
  if (explicit) {
    if (springVariable) {
      warnings.push(
        `${springVariable} ("${env[springVariable]}") is ignored: ${explicit} names the configuration file`,
      );
    }
    return cliPath || env.PROMREGATOR_CONFIG;
  }
  // As in Spring, spring.config.location replaces the usual places: they are not searched after it.
  if (springVariable) return springConfigLocation(springVariable, env[springVariable] ?? "", cwd, warnings);
  const candidates = [
    DEFAULT_CONFIG_PATH,
    DEFAULT_PROPERTIES_PATH,
    ...LOCAL_NAMES.map((n) => resolve(cwd, n)),
  ];
  return candidates.find((path) => existsSync(path));
}

/**
 * The file a Spring `spring.config.location` names, as the Java version read it: one location, `file:` and
 * `optional:` prefixes allowed; a directory (ending in `/`) is searched for promregator.yml, then
 * promregator.properties (the Java image's `spring.config.name`). Promregator reads one file, so a comma list of
 * several locations is refused rather than read in part; `classpath:` has no meaning without a jar. Undefined,
 * with a warning, for an `optional:` location that does not exist: then no file is read. Throws ConfigError
 * naming the variable otherwise.
 */
function springConfigLocation(
  variable: string,
  value: string,
  cwd: string,
  warnings: string[],
): string | undefined {
  const locations = value
    .split(",")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (locations.length > 1) {
    throw new ConfigError(
      `${variable} names ${locations.length} locations ("${value}"), but Promregator reads one configuration ` +
        "file: merge them into one file and name it alone in SPRING_CONFIG_LOCATION, --config or PROMREGATOR_CONFIG",
    );
  }
  let location = locations[0] ?? "";
  const optional = /^optional:/i.test(location);
  if (optional) location = location.slice("optional:".length);
  if (/^classpath\*?:/i.test(location)) {
    throw new ConfigError(
      `${variable} is "${value}": a classpath: location has no meaning here (there is no jar); name the file with file: or a plain path`,
    );
  }
  const path = resolve(cwd, location.replace(/^file:/i, ""));
  const isDirectory = location.endsWith("/") || (existsSync(path) && statSync(path).isDirectory());
  if (isDirectory) {
    const present = LOCAL_NAMES.map((n) => join(path, n)).filter((p) => existsSync(p));
    if (present.length > 1) {
      warnings.push(
        `${variable}: ${present[1]} is not read: Promregator reads one file, ${present[0]} (merge the two into it)`,
      );
    }
    if (present.length > 0) return present[0];
    if (optional) {
      warnings.push(noOptionalFile(variable, value));
      return undefined;
    }
    throw new ConfigError(
      `${variable} is "${value}", a directory that holds neither ${LOCAL_NAMES.join(" nor ")}`,
    );
  }
  if (existsSync(path)) return path;
  if (optional) {
    warnings.push(noOptionalFile(variable, value));
    return undefined;
  }
  throw new ConfigError(`${variable} is "${value}", but ${path} does not exist`);
}

function noOptionalFile(variable: string, value: string): string {
  return (
    `${variable} ("${value}") names no existing file; it is optional, so no file is read and the environment ` +
    "alone configures Promregator (as in Spring, the usual places are not searched instead)"
  );
}
