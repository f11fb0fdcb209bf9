/**
 * Loading promregator.yml the way the Java version's Spring Boot does: environment over file over defaults,
 * relaxed names, `${...}` placeholders and `{cipher}` values; then validation into the typed Config.
 */
import { readFileSync } from "node:fs";
import { buildConfig } from "./build.js";
import { DEFAULT_SECRETS_DIR } from "./cipher.js";
import { readEnvProperties } from "./env-source.js";
import { ConfigError } from "./errors.js";
import { prepareFileProperties } from "./file-keys.js";
import { canonicalPath } from "./paths.js";
import { type Property, PropertySource } from "./properties.js";
import type { Config } from "./types.js";
import { type FileProperty, readYamlProperties } from "./yaml-source.js";

export { DEFAULT_SECRETS_DIR, decryptValue, encryptValue } from "./cipher.js";
export { ConfigError } from "./errors.js";
export { DEFAULT_CONFIG_PATH, locateConfigFile } from "./locate.js";
export { maskSecrets } from "./mask.js";

export interface LoadConfigOptions {
  /** Path of promregator.yml; read unless `text` is given (then only used in messages). */
  file?: string;
  /** YAML content, instead of reading `file`. */
  text?: string;
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
 * value from the file, `file:line`, and never contains a secret.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const warnings: string[] = [];
  const env = options.env ?? process.env;
  const fileLabel = options.file ?? "configuration";
  let text = options.text;
  if (text === undefined && options.file !== undefined) {
    try {
      text = readFileSync(options.file, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "read error";
      throw new ConfigError(`cannot read the configuration file ${options.file} (${code})`);
    }
  }
  const raw =
    text === undefined ? new Map<string, FileProperty>() : readYamlProperties(text, fileLabel, warnings);
  const allFileProps = new Map<string, Property>();
  for (const [canonical, fp] of raw) {
    allFileProps.set(canonical, {
      key: fp.key,
      value: fp.value,
      origin: { kind: "file", file: fileLabel, line: fp.line },
    });
  }
  // The environment overrides the file, key by key (also single fields of list items).
  const merged = new Map([
    ...prepareFileProperties(raw, fileLabel, warnings),
    ...readEnvProperties(env, warnings),
  ]);
  // Cloud Foundry and container platforms tell an app its port in PORT; an explicit server.port still wins.
  const serverPort = canonicalPath("server.port");
  if (!merged.has(serverPort) && env.PORT) {
    merged.set(serverPort, { key: "server.port", value: env.PORT, origin: { kind: "env", name: "PORT" } });
  }
  const secretsDir = options.secretsDir ?? DEFAULT_SECRETS_DIR;
  const source = new PropertySource(merged, allFileProps, env, secretsDir, warnings);
  const config = buildConfig(source, options.requireCf ?? true, warnings);
  if (options.file !== undefined) config.source = options.file;
  // A value read twice (e.g. to test and to use it) must not warn twice.
  return { config, warnings: [...new Set(warnings)] };
}
