/**
 * The documents of a multi-document file (`---` in YAML, `#---` in .properties) and how Spring Boot applies
 * them: a document limited to a profile is skipped (Promregator activates no profile), one limited to a cloud
 * platform applies only on that platform, and later documents override earlier ones, a list as a whole.
 */
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
const PROFILE_SKIP = "a document limited to a Spring profile is ignored";
const PROFILE_VARIABLES = ["SPRING_PROFILES_ACTIVE", "SPRING_PROFILES_INCLUDE"];

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

/** Why a document does not apply, or undefined when it does. */
function skipReason(
  flat: readonly FileProperty[],
  fileLabel: string,
  env: NodeJS.ProcessEnv,
): string | undefined {
  for (const p of flat) {
    if (p.value === null) continue;
    const canonical = canonicalPath(p.key);
    const legacy =
      isUnder(canonical, LEGACY_PROFILES) && !PROFILE_SETTINGS.some((k) => isUnder(canonical, k));
    if (isUnder(canonical, ON_PROFILE) || legacy) {
      return `${fileLabel}:${p.line}: ${PROFILE_SKIP} (profiles are not supported)`;
    }
  }
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

/** The first `spring.profiles.active`/`include` of the applied documents, which Promregator does not act on. */
function profileActivation(flat: readonly FileProperty[]): FileProperty | undefined {
  return flat.find((p) => {
    const canonical = canonicalPath(p.key);
    return ["active", "include"].some((k) => isUnder(canonical, `${LEGACY_PROFILES}.${k}`));
  });
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
 * entire list"); documents limited to a profile, or to a cloud platform Promregator does not run on, are skipped
 * with a warning; empty documents were dropped by the reader.
 */
export function mergeDocuments(
  documents: readonly FileProperty[][],
  fileLabel: string,
  warnings: string[],
  context: DocumentContext = {},
): Map<string, FileProperty> {
  const env = context.env ?? {};
  const result = new Map<string, FileProperty>();
  let activation: FileProperty | undefined;
  let profileDocumentSkipped = false;
  for (const flat of documents) {
    const skip = skipReason(flat, fileLabel, env);
    if (skip) {
      warnings.push(skip);
      if (skip.includes(PROFILE_SKIP)) profileDocumentSkipped = true;
      continue;
    }
    activation ??= profileActivation(flat);
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
  }
  const variables = PROFILE_VARIABLES.filter((v) => env[v] !== undefined && env[v]?.trim() !== "");
  // Only worth a word when a document limited to a profile was skipped: else nothing depends on the profiles.
  if (profileDocumentSkipped && (activation || variables.length > 0)) {
    const where = activation ? `${fileLabel}:${activation.line}: ${activation.key}: ` : "";
    const vars = variables.map((v) => `${v}=${env[v]}`).join(" and ");
    const also = activation && vars ? `; the environment variable ${vars} has no effect either` : "";
    const what = activation ? "" : `the environment variable ${vars}: `;
    warnings.push(
      `${where}${what}Spring profiles are not activated by Promregator; documents limited to a profile are skipped whatever is active${also}`,
    );
  }
  return result;
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
