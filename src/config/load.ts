/**
 * Loading the configuration the way the Java version's Spring Boot does: SPRING_APPLICATION_JSON over
 * environment variables over the file (YAML or .properties) over defaults, relaxed names, `${...}`
 * placeholders and `{cipher}` values; then validation into the typed Config.
 */
import { buildConfig } from "./build.js";
import { DEFAULT_SECRETS_DIR } from "./cipher.js";
import { placeholderVariables, readEnvProperties, warnUnknownVariables } from "./env-source.js";
import { ConfigError, describeKey, emptyOverride, isEmptyValue } from "./errors.js";
import { prepareProperties } from "./file-keys.js";
import { readSpringApplicationJson } from "./json-source.js";
import { locateConfigFile, SEARCHED_LOCATIONS } from "./locate.js";
import { isSecretKey, MASK } from "./mask.js";
import { canonicalPath, envVariable } from "./paths.js";
import { type Property, PropertySource } from "./properties.js";
import { decodePropertiesFile, readPropertiesFile } from "./properties-source.js";
import { readConfigFile } from "./read-file.js";
import type { Config } from "./types.js";
import { type FileProperty, readYamlProperties } from "./yaml-source.js";

export type ConfigFormat = "yaml" | "properties";

export interface LoadConfigOptions {
  /** Path of the configuration file; read unless `text` is given (then only used in messages). */
  file?: string;
  /** File content, instead of reading `file`. */
  text?: string;
  /** Default: `properties` for a file named `*.properties`, else `yaml`. */
  format?: ConfigFormat;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Whether cf.api_host and credentials are mandatory (default true; never in simulation mode). */
  requireCf?: boolean;
  /** Where `ENCRYPT_KEY_FILE` is looked up (default /run/secrets). */
  secretsDir?: string;
}

export interface LoadedConfig {
  config: Config;
  /** Non-fatal findings for the log: deprecated or ignored keys, unknown keys, clamped values. */
  warnings: string[];
}

/**
 * Loads and validates the configuration synchronously. With neither `file` nor `text`, only the environment
 * and the defaults apply. Throws ConfigError for every fatal problem; its message names the key and, for a
 * value from the file, `file:line`, and never contains a secret; its `warnings` are those found before it.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const warnings: string[] = [];
  try {
    const config = load(options, warnings);
    // A value read twice (e.g. to test and to use it) must not warn twice.
    return { config, warnings: [...new Set(warnings)] };
  } catch (err) {
    if (err instanceof ConfigError) err.warnings = [...new Set(warnings)];
    throw err;
  }
}

/**
 * The configuration of `promregator` and `check-config`: the file named on the command line or found in the
 * usual places, else the environment alone (`CF_API_HOST=... PROMREGATOR_TARGETS_0_ORGNAME=...`, or
 * `SPRING_APPLICATION_JSON`). Throws ConfigError when there is neither.
 */
export function loadStartupConfig(cliPath: string | undefined, env: NodeJS.ProcessEnv): LoadedConfig {
  const locating: string[] = [];
  const file = locateConfigFile(cliPath, env, process.cwd(), locating);
  if (file === undefined && readEnvProperties(env, []).size === 0 && !readSpringApplicationJson(env)) {
    const error = new ConfigError(
      `no configuration found: no file (tried --config, $PROMREGATOR_CONFIG, $SPRING_CONFIG_LOCATION, ${SEARCHED_LOCATIONS.join(", ")}) ` +
        "and no settings in the environment (e.g. CF_API_HOST, PROMREGATOR_TARGETS_0_ORGNAME or SPRING_APPLICATION_JSON). " +
        "Run `promregator demo` to try it against a simulated Cloud Foundry.",
    );
    error.warnings = locating;
    throw error;
  }
  try {
    const loaded = loadConfig({ file, env });
    return { ...loaded, warnings: [...locating, ...loaded.warnings] };
  } catch (err) {
    if (err instanceof ConfigError) err.warnings = [...locating, ...err.warnings];
    throw err;
  }
}

function load(options: LoadConfigOptions, warnings: string[]): Config {
  const env = options.env ?? process.env;
  const fileLabel = options.file ?? "configuration";
  const format = options.format ?? (/\.properties$/i.test(options.file ?? "") ? "properties" : "yaml");
  let text = options.text;
  if (text === undefined && options.file !== undefined) {
    const bytes = readConfigFile(options.file);
    text = format === "properties" ? decodePropertiesFile(bytes) : bytes.toString("utf8");
  }
  const fileProps = new Map<string, Property>();
  if (text !== undefined) {
    const read = format === "properties" ? readPropertiesFile : readYamlProperties;
    for (const [canonical, fp] of read(text, fileLabel, warnings, { env })) {
      fileProps.set(canonical, fromFile(fp, fileLabel));
    }
  }
  const jsonProps = readSpringApplicationJson(env) ?? new Map<string, Property>();
  // Spring Boot's property-source order, weakest first: the file, environment variables,
  // SPRING_APPLICATION_JSON. A stronger source overrides key by key (also single fields of list items).
  const merged = new Map<string, Property>();
  // The values a stronger source overrode, weakest first: a foundation renamed by another source is refused
  // (see bindFoundations), which needs the name it had before.
  const shadowed = new Map<string, Property[]>();
  for (const layer of [
    prepareProperties(fileProps, warnings),
    readEnvProperties(env, warnings),
    prepareProperties(jsonProps, warnings),
  ]) {
    for (const [canonical, prop] of layer) {
      const weaker = merged.get(canonical);
      if (weaker) shadowed.set(canonical, [...(shadowed.get(canonical) ?? []), weaker]);
      // An empty value counts as unset, so the weaker source's value is lost, not used: say so, for any key.
      if (weaker && isEmptyValue(prop) && !isEmptyValue(weaker)) {
        warnings.push(`${emptyOverride(prop, weaker)}; ${prop.key} counts as not set`);
      }
      merged.set(canonical, prop);
    }
  }
  warnUnknownVariables(
    env,
    placeholderVariables([...fileProps.values(), ...jsonProps.values()].map((p) => p.value)),
    warnings,
  );
  // Cloud Foundry and container platforms tell an app its port in PORT; an explicit server.port still wins.
  const serverPort = canonicalPath("server.port");
  if (!merged.has(serverPort) && env.PORT) {
    merged.set(serverPort, { key: "server.port", value: env.PORT, origin: { kind: "env", name: "PORT" } });
  }
  warnMaskedSecrets(merged, warnings);
  const secretsDir = options.secretsDir ?? DEFAULT_SECRETS_DIR;
  const everything = new Map([...fileProps, ...jsonProps]);
  const source = new PropertySource(merged, everything, env, secretsDir, warnings, shadowed);
  const config = buildConfig(source, options.requireCf ?? true, warnings);
  if (options.file !== undefined) config.source = options.file;
  return config;
}

/**
 * A secret that is exactly the mask of older `check-config` output was most likely pasted from it: taken
 * literally, it would fail the login far from its cause.
 */
function warnMaskedSecrets(props: Map<string, Property>, warnings: string[]) {
  for (const prop of props.values()) {
    if (prop.value === MASK && isSecretKey(prop.key)) {
      warnings.push(
        `${describeKey(prop.key, prop.origin)} is "${MASK}", the mask check-config once printed for secrets; ` +
          `write the secret or a placeholder of the variable holding it (\${${envVariable(prop.key)}})`,
      );
    }
  }
}

function fromFile(fp: FileProperty, file: string): Property {
  const prop: Property = { key: fp.key, value: fp.value, origin: { kind: "file", file, line: fp.line } };
  if (fp.shape) prop.shape = fp.shape;
  return prop;
}
