/**
 * Environment variables that set a key, in Spring Boot's relaxed form: upper case, `_` for `.`, dashes
 * dropped, list indices as `_<n>_` (`PROMREGATOR_TARGETS_0_ORGNAME`, `CF_PASSWORD`). Both spellings that the
 * Java documentation uses for compound names work (`OAUTH2XSUAABASIC` and `OAUTH2XSUAA_BASIC`), because
 * matching ignores where the underscores are. A variable name containing a dot is read as a property name.
 */

import { ConfigError } from "./errors.js";
import { loggerFromEnv, loggerProperty } from "./logging.js";
import { canonicalPath, envMatchForm, envVariable, pathMatchForm } from "./paths.js";
import { envNamesFor } from "./placeholders.js";
import type { Property } from "./properties.js";
import {
  ALIAS_CANONICAL,
  closestKey,
  findShapeProblem,
  IGNORED_CANONICAL,
  matchTemplate,
} from "./templates.js";

const PREFIXES = ["cf", "promregator", "server", "logging", "encrypt", "foundations"];

export function readEnvProperties(env: NodeJS.ProcessEnv, warnings: string[]): Map<string, Property> {
  const result = new Map<string, Property>();
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined) continue;
    const origin = { kind: "env", name } as const;
    const logger = name.includes(".")
      ? loggerProperty(canonicalPath(name), { key: name, value, origin })
      : loggerFromEnv(name, value);
    if (logger) {
      result.set(logger.canonical, logger.prop);
      continue;
    }
    const form = name.includes(".") ? pathMatchForm(canonicalPath(name)) : envMatchForm(name);
    if (!PREFIXES.some((p) => form.startsWith(p))) continue;
    const match = matchTemplate(form, "dotless");
    if (!match) {
      const shape = findShapeProblem(form, "dotless");
      if (shape) throw new ConfigError(shape.message, shape.key, origin);
      continue;
    }
    const earlier = result.get(match.canonical);
    if (earlier) {
      if (earlier.value !== value && earlier.origin.kind === "env") {
        warnings.push(
          `environment variables ${earlier.origin.name} and ${name} both set ${match.display}; using ${earlier.origin.name}`,
        );
      }
      continue;
    }
    result.set(match.canonical, { key: match.display, value, origin });
  }
  return result;
}

/**
 * `PROMREGATOR_*` variables that are no key but documented: read by Promregator or its tools themselves, or
 * (PROMREGATOR_PASSWORD, docs/ha.md) set for a `${...}` placeholder that not every file of a set-up has.
 */
const OWN_VARIABLES = new Set([
  "PROMREGATOR_CONFIG",
  "PROMREGATOR_CLI",
  "PROMREGATOR_BENCH_PROFILES",
  "PROMREGATOR_PASSWORD",
]);

/** The environment variables that `${...}` placeholders in `values` may read. */
export function placeholderVariables(values: Iterable<string | null>): Set<string> {
  const names = new Set<string>();
  for (const value of values) {
    for (const m of value?.matchAll(/\$\{([^}:]+)/g) ?? []) {
      for (const variable of envNamesFor(m[1].trim())) names.add(variable);
    }
  }
  return names;
}

/**
 * Warns about variables that look like settings but set none, which would otherwise be dropped silently:
 * every `PROMREGATOR_*` variable that names no key (except Promregator's own and those placeholders read), and
 * a `CF_*` variable only when it is a near miss of a `cf.*` key (`CF_APIHOTS`), because Cloud Foundry sets
 * `CF_INSTANCE_*`, `CF_STACK`, `CF_SYSTEM_CERT_PATH`... in every container. Old spellings and ignored keys say so.
 */
export function warnUnknownVariables(
  env: NodeJS.ProcessEnv,
  referenced: ReadonlySet<string>,
  warnings: string[],
): void {
  const serviceLink = kubernetesServiceLinks(env);
  for (const name of Object.keys(env).sort()) {
    if (env[name] === undefined || OWN_VARIABLES.has(name) || referenced.has(name) || serviceLink(name))
      continue;
    const ours = name.startsWith("PROMREGATOR_");
    if (!ours && !name.startsWith("CF_")) continue;
    const form = envMatchForm(name);
    if (matchTemplate(form, "dotless") || findShapeProblem(form, "dotless")) continue;
    const where = `environment variable ${name}`;
    const alias = ALIAS_CANONICAL.find((a) => pathMatchForm(a.canonical) === form);
    if (alias) {
      warnings.push(
        `${where} is ignored: ${alias.from} is an old spelling read only from the file; use ${envVariable(alias.to)}`,
      );
      continue;
    }
    const ignored = IGNORED_CANONICAL.find((k) => form.startsWith(pathMatchForm(k.canonical)));
    if (ignored) {
      warnings.push(`${where} (${ignored.path}) is ignored: ${ignored.reason}`);
      continue;
    }
    const near = closestKey(form, "dotless");
    if (near) {
      warnings.push(`${where} sets no known key and is ignored; did you mean ${envVariable(near)}?`);
    } else if (ours) {
      warnings.push(
        `${where} sets no known key and is ignored (docs/configuration.md names the variable of each key)`,
      );
    }
  }
}

/**
 * Whether a variable is one of those Kubernetes sets for every Service in the namespace (service links, on by
 * default): `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT[_<port name>]`, `<NAME>_PORT` and
 * `<NAME>_PORT_<port>_<TCP|UDP|SCTP>[_PROTO|_PORT|_ADDR]`, for each `<NAME>_SERVICE_HOST` present. A Service
 * named `promregator` would else draw a warning for each of its variables.
 */
function kubernetesServiceLinks(env: NodeJS.ProcessEnv): (name: string) => boolean {
  const services = Object.keys(env)
    .filter((name) => name.endsWith("_SERVICE_HOST"))
    .map((name) => name.slice(0, -"_SERVICE_HOST".length));
  return (name) =>
    services.some(
      (service) =>
        name.startsWith(`${service}_SERVICE_`) ||
        name === `${service}_PORT` ||
        new RegExp(`^${service}_PORT_\\d+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?$`).test(name),
    );
}
