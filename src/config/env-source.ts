/**
 * Environment variables that set a key, in Spring Boot's relaxed form: upper case, `_` for `.`, dashes
 * dropped, list indices as `_<n>_` (`PROMREGATOR_TARGETS_0_ORGNAME`, `CF_PASSWORD`). Both spellings that the
 * Java documentation uses for compound names work (`OAUTH2XSUAABASIC` and `OAUTH2XSUAA_BASIC`), because
 * matching ignores where the underscores are. A variable name containing a dot is read as a property name.
 */

import { ConfigError } from "./errors.js";
import { loggerFromEnv, loggerProperty } from "./logging.js";
import { canonicalPath, envMatchForm, pathMatchForm } from "./paths.js";
import type { Property } from "./properties.js";
import { findShapeProblem, matchTemplate } from "./templates.js";

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
