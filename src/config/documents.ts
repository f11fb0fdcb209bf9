/**
 * The documents of a multi-document file (`---` in YAML, `#---` in .properties) and how Spring Boot applies
 * them: a document limited to profiles applies when they are active, one limited to a cloud platform applies
 * only on that platform, and later documents override earlier ones, a list as a whole.
 */
import { ConfigError } from "./errors.js";
import { canonicalPath, isUnder, splitPath } from "./paths.js";

export interface FileProperty {
  /** The key as written, joined: `promregator.targets[0].orgName`. */
  key: string;
  /** null for an empty value (`key:` or `~`), which counts as unset. */
  value: string | null;
  line: number;
  /** For an empty value: written as an empty mapping (`{}`) or list (`[]`) rather than as nothing or `~`. */
  shape?: "map" | "list";
}

export interface DocumentContext {
  /** The environment, for the cloud platform a document may be limited to (default: none). */
  env?: NodeJS.ProcessEnv;
}

/** Keys that limit a document to profiles: Spring Boot 2.4+ and the legacy `spring.profiles: X`. */
const ON_PROFILE = "spring.config.activate.onprofile";
const LEGACY_PROFILES = "spring.profiles";
/** Keys below `spring.profiles` that configure profiles rather than limit the document to one. */
const PROFILE_SETTINGS = ["active", "include", "default", "group"].map((k) => `${LEGACY_PROFILES}.${k}`);
const ON_CLOUD_PLATFORM = "spring.config.activate.oncloudplatform";
const ACTIVE = `${LEGACY_PROFILES}.active`;
const INCLUDE = `${LEGACY_PROFILES}.include`;
const DEFAULT = `${LEGACY_PROFILES}.default`;

/** Platforms whose detection rule was not checked against Spring Boot's source: applied only when forced. */
const UNDETECTED = "SPRING_MAIN_CLOUD_PLATFORM names it (Promregator does not detect this platform itself)";

/**
 * Spring Boot's CloudPlatform detection (org.springframework.boot.cloud.CloudPlatform), in the order of its enum,
 * which is the order getActive() tries them: the first detected platform is the active one.
 */
const CLOUD_PLATFORMS: readonly {
  name: string;
  detected: (env: NodeJS.ProcessEnv) => boolean;
  how: string;
}[] = [
  // Spring Boot: with no platform detected, the active platform is NONE (so `on-cloud-platform: none` applies).
  { name: "none", detected: () => false, how: "no other platform is detected" },
  {
    name: "cloud_foundry",
    detected: (env) => env.VCAP_APPLICATION !== undefined || env.VCAP_SERVICES !== undefined,
    how: "VCAP_APPLICATION or VCAP_SERVICES is set",
  },
  { name: "heroku", detected: (env) => env.DYNO !== undefined, how: "DYNO is set" },
  { name: "sap", detected: (env) => env.HC_LANDSCAPE !== undefined, how: "HC_LANDSCAPE is set" },
  { name: "nomad", detected: () => false, how: UNDETECTED },
  {
    name: "kubernetes",
    detected: isKubernetes,
    how: "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT (or another <NAME>_SERVICE_HOST and <NAME>_SERVICE_PORT pair) are set",
  },
  { name: "azure_app_service", detected: () => false, how: UNDETECTED },
];

/** As Spring Boot: the Kubernetes service variables, or any other `<NAME>_SERVICE_HOST` with its `_SERVICE_PORT`. */
function isKubernetes(env: NodeJS.ProcessEnv): boolean {
  if (env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_PORT !== undefined) return true;
  return Object.keys(env).some(
    (name) =>
      name.endsWith("_SERVICE_HOST") &&
      env[`${name.slice(0, -"_SERVICE_HOST".length)}_SERVICE_PORT`] !== undefined,
  );
}

/** Spring's lenient enum conversion: case, `-` and `_` do not matter (`cloud-foundry`, `CLOUD_FOUNDRY`). */
function platformForm(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * The platform Spring Boot would see as active: `SPRING_MAIN_CLOUD_PLATFORM` forces one (as the property
 * `spring.main.cloud-platform` does), else the first detected one.
 */
export function activeCloudPlatform(env: NodeJS.ProcessEnv): string | undefined {
  const forced = env.SPRING_MAIN_CLOUD_PLATFORM;
  if (forced !== undefined && forced.trim() !== "") {
    return CLOUD_PLATFORMS.find((p) => platformForm(p.name) === platformForm(forced))?.name;
  }
  return CLOUD_PLATFORMS.find((p) => p.detected(env))?.name ?? "none";
}

/**
 * The profile condition of a document (`spring.config.activate.on-profile`, or the legacy `spring.profiles`):
 * its expressions (a list, or one value with commas) and where it was written; undefined when it has none.
 */
function profileCondition(
  flat: readonly FileProperty[],
): { expressions: string[]; where: FileProperty } | undefined {
  const found = flat.filter((p) => {
    if (p.value === null) return false;
    const canonical = canonicalPath(p.key);
    const legacy =
      isUnder(canonical, LEGACY_PROFILES) && !PROFILE_SETTINGS.some((k) => isUnder(canonical, k));
    return isUnder(canonical, ON_PROFILE) || legacy;
  });
  if (found.length === 0) return undefined;
  return { expressions: found.flatMap((p) => commaList(p.value ?? "")), where: found[0] };
}

/** Spring's conversion of one value to a list: split at commas, items trimmed, empty ones dropped. */
function commaList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/**
 * Whether a Spring profile expression matches the active profiles, read as spring-core's ProfilesParser reads
 * it: tokens split at `(`, `)`, `&`, `|` and `!`, each trimmed (so a name may hold a space), empty ones skipped;
 * `!` applies to the next name or parenthesis; `&` and `|` may not be mixed at one level; a missing `)` or a
 * trailing operator is let pass, as there. Throws Error for what it refuses (no name at a level, mixed
 * operators), which also stops the Java version.
 */
export function profileExpressionMatches(expression: string, active: ReadonlySet<string>): boolean {
  const malformed = (): never => {
    throw new Error(`malformed profile expression "${expression}"`);
  };
  const tokens = (expression.match(/[()&|!]|[^()&|!]+/g) ?? []).map((t) => t.trim()).filter((t) => t !== "");
  if (tokens.length === 0) malformed();
  let at = 0;
  type Context = "none" | "invert" | "bracket";
  const merge = (elements: boolean[], operator: "&" | "|" | undefined): boolean => {
    if (elements.length === 0) malformed();
    return operator === "&" ? elements.every(Boolean) : elements.some(Boolean);
  };
  const parse = (context: Context): boolean => {
    let elements: boolean[] = [];
    let operator: "&" | "|" | undefined;
    while (at < tokens.length) {
      const token = tokens[at++];
      if (token === "(") {
        const contents = parse("bracket");
        if (context === "invert") return contents;
        elements.push(contents);
      } else if (token === "&" || token === "|") {
        if (operator !== undefined && operator !== token) malformed();
        operator = token;
      } else if (token === "!") {
        elements.push(!parse("invert"));
      } else if (token === ")") {
        const merged = merge(elements, operator);
        if (context === "bracket") return merged;
        elements = [merged];
        operator = undefined;
      } else {
        if (context === "invert") return active.has(token);
        elements.push(active.has(token));
      }
    }
    return merge(elements, operator);
  };
  return parse("none");
}

/** The values of a profile setting in one document: `key: a, b`, or a list `key[0]`, `key[1]`. */
function settingValues(flat: readonly FileProperty[], setting: string): FileProperty[] {
  return flat.filter((p) => {
    const canonical = canonicalPath(p.key);
    return (
      canonical === setting ||
      (isUnder(canonical, setting) && canonical.slice(setting.length).startsWith("["))
    );
  });
}

/**
 * The active profiles as Spring Boot computes them for one file: `SPRING_PROFILES_ACTIVE` over the last
 * `spring.profiles.active` of the documents that are not limited to a profile, plus every
 * `spring.profiles.include` and `SPRING_PROFILES_INCLUDE`; with none of them, `spring.profiles.default`
 * (`default` when unset).
 */
function activeProfiles(
  unconditional: readonly (readonly FileProperty[])[],
  env: NodeJS.ProcessEnv,
): { profiles: Set<string>; from: string } {
  const last = (setting: string): FileProperty[] => {
    let values: FileProperty[] = [];
    for (const flat of unconditional) {
      const found = settingValues(flat, setting);
      if (found.length > 0) values = found;
    }
    return values;
  };
  const listOf = (props: readonly FileProperty[]) => props.flatMap((p) => commaList(p.value ?? ""));
  const fromEnv = commaList(env.SPRING_PROFILES_ACTIVE ?? "");
  const activeProps = last(ACTIVE);
  const active = fromEnv.length > 0 ? fromEnv : listOf(activeProps);
  const includeProps = unconditional.flatMap((flat) => settingValues(flat, INCLUDE));
  const fromEnvInclude = commaList(env.SPRING_PROFILES_INCLUDE ?? "");
  const included = [...listOf(includeProps), ...fromEnvInclude];
  const sources = [
    fromEnv.length > 0
      ? "SPRING_PROFILES_ACTIVE"
      : activeProps.length > 0
        ? `${activeProps[0].key} at line ${activeProps[0].line}`
        : undefined,
    includeProps.length > 0 ? `${includeProps[0].key} at line ${includeProps[0].line}` : undefined,
    fromEnvInclude.length > 0 ? "SPRING_PROFILES_INCLUDE" : undefined,
  ].filter((source): source is string => source !== undefined);
  if (active.length + included.length > 0) {
    return { profiles: new Set([...active, ...included]), from: sources.join(", plus ") };
  }
  const defaults = listOf(last(DEFAULT));
  return {
    profiles: new Set(defaults.length > 0 ? defaults : ["default"]),
    from: "no profile is activated, so the default profile is active",
  };
}

/** Why a document does not apply on this cloud platform, or undefined when it does. */
function platformSkipReason(
  flat: readonly FileProperty[],
  fileLabel: string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const platform = flat.find((p) => p.value !== null && canonicalPath(p.key) === ON_CLOUD_PLATFORM);
  if (platform?.value != null) {
    const wanted = CLOUD_PLATFORMS.find((p) => platformForm(p.name) === platformForm(platform.value ?? ""));
    const where = `${fileLabel}:${platform.line}: ${platform.key}`;
    if (!wanted) {
      const known = CLOUD_PLATFORMS.map((p) => p.name).join(", ");
      return `${where} is "${platform.value}", not a cloud platform Spring Boot knows (${known}): the document is ignored`;
    }
    const active = activeCloudPlatform(env);
    if (active !== wanted.name) {
      const forced = env.SPRING_MAIN_CLOUD_PLATFORM;
      const seen = forced?.trim()
        ? `SPRING_MAIN_CLOUD_PLATFORM is "${forced}"`
        : `${wanted.name} is detected when ${wanted.how}${active ? `; the detected platform is ${active}` : "; no platform is detected"}`;
      return `${where} is "${platform.value}", which is not the platform Promregator runs on (${seen}): the document is ignored`;
    }
  }
  return undefined;
}

/** The canonical paths of the lists `canonical` lies in: `a.b[0].c[1]` -> `a.b`, `a.b[0].c`. */
function listRoots(canonical: string): string[] {
  const segments = splitPath(canonical);
  const roots: string[] = [];
  let path = "";
  for (const segment of segments) {
    if (segment.startsWith("[")) roots.push(path);
    path = segment.startsWith("[") ? `${path}${segment}` : path ? `${path}.${segment}` : segment;
  }
  return roots;
}

/**
 * The properties of a multi-document file: later documents override earlier ones, as in Spring; a list a later
 * document sets replaces the earlier document's list entirely (Spring Boot: "overriding works by replacing the
 * entire list"); documents limited to profiles that are not active, or to a cloud platform Promregator does not
 * run on, are skipped with a warning; empty documents were dropped by the reader. Throws ConfigError for a
 * malformed profile expression.
 */
export function mergeDocuments(
  documents: readonly FileProperty[][],
  fileLabel: string,
  warnings: string[],
  context: DocumentContext = {},
): Map<string, FileProperty> {
  const env = context.env ?? {};
  const applying = documents.map((flat) => {
    const skip = platformSkipReason(flat, fileLabel, env);
    if (skip) warnings.push(skip);
    return skip === undefined;
  });
  const conditions = documents.map(profileCondition);
  // As Spring Boot: profiles are activated by the documents that are not limited to one.
  const active = activeProfiles(
    documents.filter((_, i) => applying[i] && conditions[i] === undefined),
    env,
  );
  const result = new Map<string, FileProperty>();
  documents.forEach((flat, i) => {
    if (!applying[i]) return;
    const condition = conditions[i];
    if (condition) refuseActivation(flat, fileLabel);
    if (condition && !matchesActive(condition, active.profiles, fileLabel)) {
      const { where, expressions } = condition;
      const profiles = [...active.profiles].join(", ");
      warnings.push(
        `${fileLabel}:${where.line}: a document limited to the Spring profile ${expressions.join(", ")} is skipped: the active profiles are ${profiles} (${active.from})`,
      );
      return;
    }
    replaceLists(result, flat);
    for (const property of flat) {
      const canonical = canonicalPath(property.key);
      const earlier = result.get(canonical);
      if (earlier && earlier.key !== property.key) {
        warnings.push(
          `${fileLabel}:${property.line}: ${property.key} and ${earlier.key} (line ${earlier.line}) name the same setting; the later one is used`,
        );
      }
      result.set(canonical, property);
    }
  });
  return result;
}

/**
 * Spring Boot reads the profile settings before it knows which profiles are active, and stops when a document
 * limited to a profile holds one of them (InactiveConfigDataAccessException: "cannot contain property
 * 'spring.profiles.active'"), whether or not the document would apply: refused the same way.
 */
function refuseActivation(flat: readonly FileProperty[], fileLabel: string): void {
  for (const setting of [ACTIVE, INCLUDE, DEFAULT]) {
    const [found] = settingValues(flat, setting);
    if (found)
      throw new ConfigError(
        "cannot be set in a document limited to a Spring profile (Spring Boot refuses to start with it); move it to a document without spring.config.activate.on-profile",
        found.key,
        { kind: "file", file: fileLabel, line: found.line },
      );
  }
}

/** Whether one of a document's profile expressions matches; ConfigError (with file:line) for a malformed one. */
function matchesActive(
  condition: { expressions: string[]; where: FileProperty },
  active: ReadonlySet<string>,
  fileLabel: string,
): boolean {
  try {
    return condition.expressions.some((expression) => profileExpressionMatches(expression, active));
  } catch (error) {
    const { where } = condition;
    throw new ConfigError((error as Error).message, where.key, {
      kind: "file",
      file: fileLabel,
      line: where.line,
    });
  }
}

/**
 * Removes from `result` every earlier entry of a list that `flat` sets (as items or as one value), and an
 * earlier single value where `flat` writes a list.
 */
function replaceLists(result: Map<string, FileProperty>, flat: readonly FileProperty[]): void {
  const written = new Set<string>();
  const lists = new Set<string>();
  for (const property of flat) {
    const canonical = canonicalPath(property.key);
    written.add(canonical);
    for (const root of listRoots(canonical)) lists.add(root);
  }
  for (const key of [...result.keys()]) {
    if (lists.has(key) || listRoots(key).some((root) => lists.has(root) || written.has(root))) {
      result.delete(key);
    }
  }
}
