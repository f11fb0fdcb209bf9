/**
 * `logging.level.<logger>`: Spring Boot's per-logger levels. `root` and `org.cloudfoundry.promregator` set the
 * level of everything; a Java package below it (`org.cloudfoundry.promregator.cfaccessor`) sets the level of the
 * module that does its job here; any other logger is accepted with a warning that it has no effect.
 * Environment variables follow Spring Boot: `LOGGING_LEVEL_ORG_CLOUDFOUNDRY_PROMREGATOR_CFACCESSOR=DEBUG`
 * (underscores become dots, so a logger name with an underscore cannot be set this way, as in Spring).
 */
import { ConfigError, describeKey } from "./errors.js";
import { canonicalPath } from "./paths.js";
import type { Property, PropertySource } from "./properties.js";
import { LOG_LEVELS, LOG_MODULES, type LoggingConfig, type LogModule } from "./types.js";
import { parseScalar, ValueError } from "./values.js";

const PREFIX = "logging.level.";
const PROMREGATOR = "org.cloudfoundry.promregator";

/** Java packages of the Java version (canonical, below org.cloudfoundry.promregator) and our module for them. */
const JAVA_PACKAGES: Readonly<Record<string, LogModule>> = {
  cfaccessor: "cf",
  scanner: "discovery",
  discovery: "discovery",
  cache: "discovery",
  fetcher: "scrape",
  auth: "scrape",
  rewrite: "scrape",
  endpoint: "server",
  websecurity: "server",
};

/** The description of the mapping for the configuration reference. */
export const JAVA_LOGGER_MODULES: readonly { logger: string; module: LogModule }[] = Object.entries(
  JAVA_PACKAGES,
).map(([pkg, module]) => ({ logger: `${PROMREGATOR}.${pkg}`, module }));

/**
 * A `logging.level.*` property of a structured source (file or SPRING_APPLICATION_JSON), or undefined for any
 * other key. `logging.level` with a plain value is fatal, as in Spring Boot (it is a map).
 */
export function loggerProperty(
  canonical: string,
  prop: Property,
): { canonical: string; prop: Property } | undefined {
  if (canonical === "logging.level" && prop.value !== null) {
    throw new ConfigError(
      "must map logger names to levels, e.g. logging.level.root: DEBUG",
      prop.key,
      prop.origin,
    );
  }
  if (!canonical.startsWith(PREFIX)) return undefined;
  return { canonical, prop };
}

/** `LOGGING_LEVEL_ORG_CLOUDFOUNDRY_PROMREGATOR` -> the property `logging.level.org.cloudfoundry.promregator`. */
export function loggerFromEnv(
  name: string,
  value: string,
): { canonical: string; prop: Property } | undefined {
  const m = /^LOGGING_LEVEL_(.+)$/i.exec(name);
  if (!m) return undefined;
  const logger = m[1].toLowerCase().split("_").filter(Boolean).join(".");
  const key = `${PREFIX}${logger}`;
  return { canonical: canonicalPath(key), prop: { key, value, origin: { kind: "env", name } } };
}

const LEVEL_KIND = { type: "enum", values: LOG_LEVELS } as const;

/** Our module for a canonical logger name, "all" for the whole application, or undefined when none matches. */
function moduleOf(logger: string): LogModule | "all" | undefined {
  if (logger === "root" || logger === PROMREGATOR) return "all";
  const own = LOG_MODULES.find((m) => m === logger);
  if (own !== undefined) return own;
  if (!logger.startsWith(`${PROMREGATOR}.`)) return undefined;
  return JAVA_PACKAGES[logger.slice(PROMREGATOR.length + 1).split(".")[0]];
}

export function bindLogging(source: PropertySource, warnings: string[]): LoggingConfig {
  const modules: LoggingConfig["modules"] = {};
  /** The logger that set each module, so that the broader (package) setting wins over a class-level one. */
  const setBy = new Map<LogModule, { logger: string; prop: Property }>();
  let root: string | undefined;
  let promregator: string | undefined;
  const entries = [...source.props].filter(([canonical]) => canonical.startsWith(PREFIX)).sort();
  for (const [canonical, prop] of entries) {
    const text = source.text(prop, "strict");
    if (text === undefined) continue;
    let level: string;
    try {
      level = String(parseScalar(LEVEL_KIND, text));
    } catch (err) {
      if (err instanceof ValueError) throw new ConfigError(err.message, prop.key, prop.origin);
      throw err;
    }
    const logger = canonical.slice(PREFIX.length);
    const module = moduleOf(logger);
    if (logger === "root") root = level;
    else if (logger === PROMREGATOR) promregator = level;
    else if (module === undefined) {
      warnings.push(
        `${describeKey(prop.key, prop.origin)} has no effect: it names no part of Promregator (${describeMapping()})`,
      );
    } else if (module !== "all") {
      const earlier = setBy.get(module);
      if (earlier === undefined || logger.length < earlier.logger.length) {
        modules[module] = level;
        setBy.set(module, { logger, prop });
      }
    }
  }
  for (const [module, { logger, prop }] of setBy) {
    if (logger.split(".").length > 4) {
      warnings.push(
        `${describeKey(prop.key, prop.origin)} sets the level of the whole ${module} module (loggers here are per module, not per class)`,
      );
    }
  }
  return { level: promregator ?? root ?? "info", modules };
}

function describeMapping(): string {
  return `levels apply to root, ${PROMREGATOR} and its packages ${Object.keys(JAVA_PACKAGES).join(", ")}`;
}
