/** `promregator.targets[]`: defaults, path normalisation and the checks the Java version makes at start-up. */
import { ConfigError } from "./errors.js";
import { checkTargetFoundation } from "./foundations.js";
import { checkJavaRegex } from "./java-regex.js";
import type { PropertySource } from "./properties.js";
import { TREES } from "./schema.js";
import { type TreeItem, treeItems } from "./tree-items.js";
import type { TargetConfig } from "./types.js";

const DEFAULT_PATH = "/metrics";
const NAME_REGEXES = ["orgRegex", "spaceRegex", "applicationRegex"] as const;

/**
 * `authenticatorIds`: every `targetAuthenticators[].id`, which each `authenticatorId` must name;
 * `foundations`: the names of the configured foundations, which each `foundation` must be one of.
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
    const target = bindTarget(item, authenticatorIds);
    const foundation = item.str("foundation");
    if (foundation !== undefined) {
      checkTargetFoundation(foundation, foundations, item.key("foundation"), item.origin("foundation"));
      target.foundation = foundation;
    }
    return target;
  });
}

function bindTarget(item: TreeItem, authenticatorIds: ReadonlySet<string>): TargetConfig {
  // Org, space and application names are compared case-insensitively by the Java version.
  for (const field of NAME_REGEXES) checkRegex(item, field, item.str(field), "i");
  const preferredRouteRegex = item.list("preferredRouteRegex");
  for (const entry of preferredRouteRegex) {
    // Route preference is case-sensitive in the Java version.
    const problem = checkJavaRegex(entry.value, "");
    if (problem) throw new ConfigError(problem, entry.key, entry.origin);
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
      "must name a service instance (CC compares names exactly)",
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
