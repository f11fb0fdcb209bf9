import { randomBytes } from "node:crypto";
import { type Config, ConfigError, type KeyPath } from "../config/index.js";
import type { Credentials } from "./basic-auth.js";
import { AUTH_KEYS, basicGroups, protectedPaths } from "./routes.js";

const PASSWORD_KEY: KeyPath = "promregator.authentication.basic.password";
const PASSWORD_ENV = "PROMREGATOR_AUTHENTICATION_BASIC_PASSWORD";

/**
 * The inbound user of the endpoint groups switched to BASIC. A password is never generated for them: a printed
 * one ends up in log aggregators, and every instance of an HA pair would print another. Throws a ConfigError
 * naming the switches and how to set the password when one is BASIC and no password is configured.
 */
export function inboundCredentials(config: Config): Credentials {
  const p = config.promregator;
  const { username, password } = p.authentication.basic;
  if (password) return { username, password };
  const switched = basicGroups(p);
  if (switched.length > 0) {
    throw new ConfigError(
      `${switched.map((group) => `${AUTH_KEYS[group]} is BASIC`).join(", ")} (protecting ` +
        `${protectedPaths(p).join(", ")}), but no inbound password is set. Set ${PASSWORD_KEY} in the ` +
        `configuration file or the environment variable ${PASSWORD_ENV} (a '{cipher}...' value works too)`,
      PASSWORD_KEY,
    );
  }
  // No endpoint asks for it: a value nobody knows, so that nothing can authenticate with it.
  return { username, password: randomBytes(32).toString("base64url") };
}
