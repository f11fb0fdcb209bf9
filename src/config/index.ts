/**
 * The configuration, the only door into `config/`: promregator.yml (the Java version's keys) or .properties,
 * environment overrides, placeholders and `{cipher}` values, validated into the typed `Config`.
 */
export { DEFAULT_SECRETS_DIR, decryptValue, encryptValue } from "./cipher.js";
export { effectiveConfigDocument } from "./effective.js";
export { ConfigError } from "./errors.js";
export { foundationsWithoutTargets } from "./foundations.js";
export { HOST_NAME } from "./hosts.js";
export { compileJavaRegex } from "./java-regex.js";
export {
  type ConfigFormat,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
  loadStartupConfig,
} from "./load.js";
export { DEFAULT_CONFIG_PATH, locateConfigFile } from "./locate.js";
export { maskSecrets } from "./mask.js";
export { MAX_CONFIG_BYTES, readGuardedFile } from "./read-file.js";
export { DEFAULT_FOUNDATION, type KeyPath } from "./schema.js";
export type * from "./types.js";
export {
  BINDING_CREDENTIAL_USES,
  CACHE_LAYERS,
  FAILURE_MODES,
  INBOUND_AUTH,
  LOG_LEVELS,
} from "./types.js";
