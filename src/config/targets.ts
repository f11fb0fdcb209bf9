/** `promregator.targets[]`: defaults, path normalisation and the checks the Java version makes at start-up. */
import { ConfigError } from "./errors.js";
import { targetFoundationName } from "./foundations.js";
import { checkJavaRegex } from "./java-regex.js";
import type { PropertySource } from "./properties.js";
import { TREES } from "./schema.js";
import { type TreeItem, treeItems } from "./tree-items.js";
import type { TargetConfig } from "./types.js";

const DEFAULT_PATH = "/metrics";
const NAME_REGEXES = ["orgRegex", "spaceRegex", "applicationRegex"] as const;

/**
 * Target keys whose empty value must not pass as "not set". Read as unset, each would widen the target or
 * change its meaning without a word: an empty name or regex would select every org, space or app (the Java
 * version instead asks for an empty name or matches an empty regex, selecting nothing), an empty
 * serviceInstanceName every app whatever its bindings, an empty foundation would move the target to the default
 * foundation, an empty authenticatorId to the global authenticator (the Java version refuses one that names no
 * authenticator), an empty protocol, path or switch would fall back to its default. So each is an error that
 * names the key and where it was set. The two keys whose emptiness the Java version reads as unset stay
 * unchecked: `overrideRouteAndPath` (only a non-empty one overrides) and `preferredRouteRegex` entries (an empty
 * pattern matches no route, which ends at the first route, as no preference does).
 */
const NOT_EMPTY: Record<string, string> = {
  orgName: "an empty name would select every org; remove the key to mean every org, or give a name",
  orgRegex: "an empty regex would select every org; remove the key to mean every org, or give a pattern",
  spaceName: "an empty name would select every space; remove the key to mean every space, or give a name",
  spaceRegex:
    "an empty regex would select every space; remove the key to mean every space, or give a pattern",
  applicationName: "an empty name would select every app; remove the key to mean every app, or give a name",
  applicationRegex:
    "an empty regex would select every app; remove the key to mean every app, or give a pattern",
  serviceInstanceName:
    "an empty name would select every app whatever its bindings; give the service instance's name or remove the key",
  foundation:
    "an empty name would move the target to the default foundation (cf.name); give a foundation's name or remove the key",
  authenticatorId:
    "must name a promregator.targetAuthenticators entry; remove the key to use the global authenticator",
  protocol: 'must be "http" or "https"; remove the key for the default "https"',
  path: 'an empty path would fall back to "/metrics"; write "/" for the route\'s root, or remove the key',
  internalRoutePort: "must be a port number; remove the key for promregator.defaultInternalRoutePort",
  kubernetesAnnotations: 'must be "true" or "false"; remove the key for the default false',
};

/**
 * `authenticatorIds`: every `targetAuthenticators[].id`, which each `authenticatorId` must name;
 * `foundations`: the names of the configured foundations, which each `foundation` must name (case aside).
 */
export function bindTargets(
  source: PropertySource,
  authenticatorIds: ReadonlySet<string>,
  warnings: string[],
  foundations: readonly string[] = [],
): TargetConfig[] {
  const tree = TREES.find((t) => t.path === "promregator.targets");
  if (!tree) throw new Error("internal: targets tree missing");
  return treeItems(source, tree, warnings).map((item) => {
    checkNotEmpty(item);
    const target = bindTarget(item, authenticatorIds);
    const foundation = item.str("foundation");
    if (foundation !== undefined) {
      // The configured spelling, which the rest compares exactly (`US` names the foundation `us`).
      target.foundation = targetFoundationName(
        foundation,
        foundations,
        item.key("foundation"),
        item.origin("foundation"),
      );
    }
    return target;
  });
}

function bindTarget(item: TreeItem, authenticatorIds: ReadonlySet<string>): TargetConfig {
  // Org, space and application names are compared case-insensitively by the Java version.
  for (const field of NAME_REGEXES) checkRegex(item, field, item.str(field), "i");
  // The only list of strings the Java version declares as a List (Target.preferredRouteRegex: List<String>), so
  // one string is split at commas as Spring does. (The authenticators' `scopes` is a String there, split at
  // commas and blanks by its setter, which the authenticators do here too.)
  const preferredRouteRegex = item.list("preferredRouteRegex", { commaDelimited: true });
  for (const entry of preferredRouteRegex) {
    // Route preference is case-sensitive in the Java version.
    const problem = checkJavaRegex(entry.value, "");
    if (problem) {
      const split =
        entry.split !== undefined && entry.split > 1
          ? ` (in "${entry.value}", one of the ${entry.split} patterns the value gives when split at its commas, as ` +
            "Spring splits a string given for a list; write a pattern that contains a comma, like a{1,3}, as a YAML list item)"
          : "";
      throw new ConfigError(`${problem}${split}`, entry.key, entry.origin);
    }
  }

  const protocol = item.str("protocol") ?? "https";
  if (protocol !== "http" && protocol !== "https") {
    throw new ConfigError(
      `must be exactly "http" or "https" (lower case), got "${protocol}"`,
      item.key("protocol"),
      item.origin("protocol"),
    );
  }

  const override = item.str("overrideRouteAndPath");
  if (override !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(override)) {
    throw new ConfigError(
      "must be host[/path] without a scheme (the scheme comes from protocol)",
      item.key("overrideRouteAndPath"),
      item.origin("overrideRouteAndPath"),
    );
  }

  const serviceInstance = item.str("serviceInstanceName");
  if (serviceInstance !== undefined && serviceInstance.trim() === "") {
    throw new ConfigError(
      "is blank: must name a service instance (CC compares names exactly)",
      item.key("serviceInstanceName"),
      item.origin("serviceInstanceName"),
    );
  }

  const authenticatorId = item.str("authenticatorId");
  if (authenticatorId !== undefined && !authenticatorIds.has(authenticatorId)) {
    const known = [...authenticatorIds].map((k) => `"${k}"`).join(", ") || "none";
    throw new ConfigError(
      `At least one target refers to an authenticator which does not exist: no promregator.targetAuthenticators entry has the id "${authenticatorId}" (known ids: ${known})`,
      item.key("authenticatorId"),
      item.origin("authenticatorId"),
    );
  }

  const target: TargetConfig = {
    path: normalisePath(item.str("path")),
    protocol,
    preferredRouteRegex: preferredRouteRegex.map((e) => e.value),
    internalRoutePort: Number(item.typed("internalRoutePort", { type: "int", min: 0, max: 65535 }) ?? 0),
    kubernetesAnnotations: Boolean(item.typed("kubernetesAnnotations", { type: "bool" }) ?? false),
  };
  const optional = [
    "orgName",
    "orgRegex",
    "spaceName",
    "spaceRegex",
    "applicationName",
    "applicationRegex",
    "authenticatorId",
    "serviceInstanceName",
  ] as const;
  for (const field of optional) {
    const value = item.str(field);
    if (value !== undefined) target[field] = value;
  }
  if (override !== undefined) target.overrideRouteAndPath = override;
  return target;
}

/** Throws ConfigError for the first key of NOT_EMPTY that the item sets to an empty value. */
function checkNotEmpty(item: TreeItem): void {
  for (const [field, hint] of Object.entries(NOT_EMPTY)) {
    if (item.has(field) && item.str(field) === undefined) {
      throw new ConfigError(`is empty: ${hint}`, item.key(field), item.origin(field));
    }
  }
}

function checkRegex(item: TreeItem, field: string, source: string | undefined, flags: string): void {
  if (source === undefined) return;
  const problem = checkJavaRegex(source, flags);
  if (problem) throw new ConfigError(problem, item.key(field), item.origin(field));
}

/** Exactly one leading slash: `metrics` and `//metrics` both become `/metrics`. */
export function normalisePath(path: string | undefined): string {
  if (path === undefined) return DEFAULT_PATH;
  return `/${path.replace(/^\/+/, "")}`;
}
