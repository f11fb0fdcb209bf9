import { loadConfig } from "../../src/config/index.js";
import type { Config } from "../../src/config/types.js";

/** The effective configuration of a minimal file, i.e. every default, from the loader itself (so tests cannot drift). */
export function defaultConfig(): Config {
  return loadConfig({ text: "cf:\n  api_host: api.example.org\n", env: {}, requireCf: false }).config;
}
