/**
 * `SPRING_APPLICATION_JSON` (or `spring.application.json`): configuration as one JSON object in an environment
 * variable, how Cloud Foundry users configure Spring apps in a manifest. Flattened like the YAML file
 * (`{"cf":{"api_host":"x"}}` and `{"cf.api_host":"x"}` are the same); in Spring Boot's order it wins over
 * other environment variables and over the file.
 */

import { errorMessage } from "../errors.js";
import { ConfigError, type ValueOrigin } from "./errors.js";
import { canonicalPath } from "./paths.js";
import type { Property } from "./properties.js";

const VARIABLES = ["SPRING_APPLICATION_JSON", "spring.application.json"];

/** The flattened properties keyed by canonical path, or undefined when neither variable is set. */
export function readSpringApplicationJson(env: NodeJS.ProcessEnv): Map<string, Property> | undefined {
  const name = VARIABLES.find((v) => env[v] !== undefined && env[v]?.trim() !== "");
  if (name === undefined) return undefined;
  const origin: ValueOrigin = { kind: "env", name };
  let parsed: unknown;
  try {
    parsed = JSON.parse(env[name] ?? "");
  } catch (err) {
    // Only the position: newer parsers quote the text, which may hold a secret.
    const position = /position (\d+)/.exec(errorMessage(err))?.[1];
    throw new ConfigError(`${name} is not valid JSON${position ? ` (at character ${position})` : ""}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError(`${name} must be a JSON object, e.g. {"cf":{"api_host":"api.example.com"}}`);
  }
  const result = new Map<string, Property>();
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(item, `${path}[${i}]`);
    } else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) walk(value, path ? `${path}.${key}` : key);
    } else {
      const value = node === null ? null : String(node);
      result.set(canonicalPath(path), { key: path, value, origin });
    }
  };
  walk(parsed, "");
  return result;
}
