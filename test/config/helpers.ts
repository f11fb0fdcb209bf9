import { type LoadConfigOptions, loadConfig } from "../../src/config/index.js";

/** The smallest file that satisfies the mandatory CF keys. */
export const MINIMAL_CF = [
  "cf:",
  "  api_host: api.example.com",
  "  username: user",
  "  password: pw",
  "",
].join("\n");

/** Loads YAML text with an empty environment unless one is given. */
export function load(text: string, options: Omit<LoadConfigOptions, "text"> = {}) {
  return loadConfig({ file: "promregator.yml", env: {}, ...options, text });
}

/** The ConfigError message thrown for `text`, or fails the test when nothing is thrown. */
export function errorOf(text: string, options: Omit<LoadConfigOptions, "text"> = {}): string {
  try {
    load(text, options);
  } catch (err) {
    if ((err as Error).name !== "ConfigError") throw err;
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError, but the configuration loaded");
}
