import { compileJavaRegex, type TargetConfig } from "../config/index.js";
import { errorMessage } from "../errors.js";

/** How one level (org, space or app) of a target selects by name. */
export type NameSelector =
  | { kind: "all" }
  | { kind: "name"; name: string; lower: string }
  | { kind: "regex"; source: string; regex: RegExp };

/**
 * Java semantics: the regex wins when both are set; names and regexes compare case-insensitively;
 * a regex must match the whole name.
 */
export function nameSelector(name: string | undefined, regex: string | undefined): NameSelector {
  if (regex !== undefined && regex !== "") {
    return { kind: "regex", source: regex, regex: wholeMatch(regex, "i") };
  }
  if (name !== undefined && name !== "") return { kind: "name", name, lower: name.toLowerCase() };
  return { kind: "all" };
}

export function selects(selector: NameSelector, candidate: string): boolean {
  switch (selector.kind) {
    case "all":
      return true;
    case "name":
      return candidate.toLowerCase() === selector.lower;
    case "regex":
      return selector.regex.test(candidate);
  }
}

/**
 * Compiles a Java pattern (translated, see config/java-regex.ts) that must match the whole string; flags "i"
 * means Java's CASE_INSENSITIVE.
 */
export function wholeMatch(pattern: string, flags = ""): RegExp {
  try {
    return compileJavaRegex(pattern, { caseInsensitive: flags.includes("i") });
  } catch (error) {
    throw new Error(`invalid regular expression /${pattern}/: ${errorMessage(error)}`);
  }
}

export interface TargetSelectors {
  org: NameSelector;
  space: NameSelector;
  app: NameSelector;
  /** preferredRouteRegex, compiled case-sensitively, in configured order; invalid ones skipped. */
  preferredRoutes: RegExp[];
  /** Why a pattern was skipped, for a warning. */
  invalidPatterns: string[];
}

/** Compiles a target's selectors; throws with a readable reason when an org/space/app regex is invalid. */
export function compileTarget(target: TargetConfig): TargetSelectors {
  const preferredRoutes: RegExp[] = [];
  const invalidPatterns: string[] = [];
  for (const pattern of target.preferredRouteRegex ?? []) {
    try {
      preferredRoutes.push(wholeMatch(pattern));
    } catch (error) {
      invalidPatterns.push(errorMessage(error));
    }
  }
  return {
    org: nameSelector(target.orgName, target.orgRegex),
    space: nameSelector(target.spaceName, target.spaceRegex),
    app: nameSelector(target.applicationName, target.applicationRegex),
    preferredRoutes,
    invalidPatterns,
  };
}

/**
 * e.g. "org=acme space=/dev.*\/ app=*", and "foundation=us org=acme ..." when the target names its foundation
 * (foundationView names it on every target when several foundations are configured).
 */
export function describeTarget(target: TargetConfig): string {
  const part = (name: string | undefined, regex: string | undefined) => {
    if (regex !== undefined && regex !== "") return `/${regex}/`;
    return name !== undefined && name !== "" ? name : "*";
  };
  let text =
    (target.foundation !== undefined ? `foundation=${target.foundation} ` : "") +
    `org=${part(target.orgName, target.orgRegex)} space=${part(target.spaceName, target.spaceRegex)} ` +
    `app=${part(target.applicationName, target.applicationRegex)}`;
  if (target.kubernetesAnnotations) text += " (annotated apps)";
  if (target.serviceInstanceName !== undefined) text += ` bound to "${target.serviceInstanceName}"`;
  return text;
}
