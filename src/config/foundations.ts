/**
 * Several Cloud Foundry foundations in one process: the `cf:` block is the default foundation (named by
 * `cf.name`), and each item of `foundations[]` is one more, with a `name` and the keys of `cf:` written
 * relative to the item (`foundations[0].api_host`, `foundations[0].request.rateLimit`), plus its own
 * `scraping.proxy` and `defaultInternalRoutePort`. A key a foundation does not set takes the key table's
 * default, not the `cf:` block's value, so that no credential or limit leaks from one foundation to another;
 * only the two scrape settings fall back to the `promregator.*` ones, which are process-wide already.
 */
import { ConfigError, describeKey, describeOrigin, type ValueOrigin } from "./errors.js";
import { canonicalPath, envVariable } from "./paths.js";
import type { PropertySource } from "./properties.js";
import { DEFAULT_FOUNDATION, FOUNDATION_KEYS, type KeyPath, TREES } from "./schema.js";
import { Settings } from "./settings.js";
import { type TreeItem, treeItems } from "./tree-items.js";
import type { CfConfig, FoundationConfig } from "./types.js";

/** A foundation name is a label value and part of log lines and the status page: kept to a tame alphabet. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const NAME_RULE = "must be 1 to 63 letters, digits, `_`, `.` or `-`, starting with a letter or digit";

export interface FoundationBuilders {
  /** Builds the connection settings from a Settings that reads `cf.*` (see buildCf). */
  cf: (s: Settings) => CfConfig;
  /** The proxy of `promregator.scraping.proxy`, read through `s` (see readProxy). */
  scrapingProxy: (s: Settings) => { host: string; port: number } | undefined;
}

/**
 * Every foundation, the default one first. `defaultFoundation` is the one of the `cf:` block, already built;
 * throws ConfigError for a missing or invalid name, a name used twice, or a bad key of an item, and for any item
 * when `simulation` (where `promregator.simulation.enabled` was set to true) is given: simulation mode plays one
 * simulated landscape in place of every Cloud Controller, so a foundation pointing at a real one would be
 * ignored without a word.
 */
export function bindFoundations(
  source: PropertySource,
  defaultFoundation: FoundationConfig,
  defaultNameOrigin: ValueOrigin | undefined,
  build: FoundationBuilders,
  warnings: string[],
  simulation?: { origin: ValueOrigin | undefined },
): FoundationConfig[] {
  const nameProp = source.props.get(canonicalPath("cf.name"));
  if (nameProp && source.text(nameProp, "strict") === undefined) {
    // Read as unset, an empty name would silently become "default" (a label value, and what targets name).
    throw new ConfigError(
      `is empty: give the foundation of the cf block a name, or remove the key for "${DEFAULT_FOUNDATION}"`,
      "cf.name",
      nameProp.origin,
    );
  }
  checkName(defaultFoundation.name, "cf.name", defaultNameOrigin);
  const tree = TREES.find((t) => t.path === "foundations");
  if (!tree) throw new Error("internal: foundations tree missing");
  // Keyed by the lower-cased name: names that differ only in case are the same name (sameFoundationName).
  const seen = new Map<string, { key: string; name: string }>([
    [defaultFoundation.name.toLowerCase(), { key: "cf.name", name: defaultFoundation.name }],
  ]);
  const result = [defaultFoundation];
  for (const item of treeItems(source, tree, warnings)) {
    if (simulation) {
      throw new ConfigError(
        `cannot be used with ${describeKey("promregator.simulation.enabled", simulation.origin)}: simulation mode ` +
          "replaces every Cloud Controller with one simulated landscape, so this foundation would not be asked; " +
          "remove foundations to simulate, or switch simulation off to discover the configured foundations",
        item.base,
        item.origin("name"),
      );
    }
    const name = item.str("name");
    if (name === undefined) throw missingName(item);
    checkName(name, item.key("name"), item.origin("name"));
    checkNotRenamed(source, item, name);
    // Names that differ only in case are one name to a reader of labels and logs: refused as the same name.
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) {
      const as =
        earlier.name === name ? "" : ` as "${earlier.name}" (names differing only in case count as the same)`;
      throw new ConfigError(
        `names the foundation "${name}", which ${earlier.key} names already${as}; each foundation needs its own name`,
        item.key("name"),
        item.origin("name"),
      );
    }
    seen.set(name.toLowerCase(), { key: item.key("name"), name });
    const s = new Settings(source, foundationKeyOf(item.base));
    result.push({
      name,
      cf: build.cf(s),
      ...optionalProxy(build.scrapingProxy(s) ?? defaultFoundation.scrapingProxy),
      defaultInternalRoutePort: s.isSet("promregator.defaultInternalRoutePort")
        ? s.int("promregator.defaultInternalRoutePort")
        : defaultFoundation.defaultInternalRoutePort,
    });
  }
  if (result.length > 1) checkWatchdogRestarts(source, result);
  warnSameApiHost(result, warnings);
  return result;
}

/**
 * Two foundations on one Cloud Controller discover the same apps twice: every app guid is then served from the
 * first foundation only (the `same-app-guid` problem of the status page).
 */
function warnSameApiHost(foundations: readonly FoundationConfig[], warnings: string[]): void {
  const keyOf = (i: number) => (i === 0 ? "cf.api_host" : `foundations[${i - 1}].api_host`);
  for (const [i, f] of foundations.entries()) {
    if (f.cf.apiUrl === "") continue;
    const j = foundations.findIndex((g) => g.cf.apiUrl.toLowerCase() === f.cf.apiUrl.toLowerCase());
    if (j === i) continue;
    warnings.push(
      `${keyOf(i)} of "${f.name}" is the Cloud Controller of "${foundations[j].name}" (${keyOf(j)}) too: both ` +
        `discover the same apps, and each app is served only from "${foundations[j].name}"; give each foundation ` +
        "its own api_host, and tell apps apart with targets instead",
    );
  }
}

/**
 * With several foundations, a watchdog that exits (code 161 after `restartCount` failed probes) would end the
 * serving and the last good discovery of every foundation because one of them is unreachable; refused. A
 * watchdog without `restartCount` only probes and counts, per foundation, and stays allowed.
 */
function checkWatchdogRestarts(source: PropertySource, foundations: readonly FoundationConfig[]): void {
  for (const [i, foundation] of foundations.entries()) {
    const { enabled, restartCount } = foundation.cf.watchdog;
    if (!enabled || restartCount === undefined) continue;
    const key = i === 0 ? "cf.watchdog.restartCount" : `foundations[${i - 1}].watchdog.restartCount`;
    throw new ConfigError(
      `cannot be used with several foundations: the watchdog of "${foundation.name}" would exit the whole ` +
        "process (code 161) and stop serving every other foundation while that one is unreachable; remove " +
        "restartCount (the watchdog then only probes and counts failures, in " +
        "promregator_connection_watchdog_reconnect_total), or run one process per foundation",
      key,
      source.get(canonicalPath(key))?.origin,
    );
  }
}

/**
 * The error for an item without a name. An item that only environment variables make up is most often a
 * leftover (`FOUNDATIONS_1_PASSWORD` from another setup, beside a file with fewer foundations): the message
 * names those variables, so that the user knows what to unset.
 */
function missingName(item: TreeItem): ConfigError {
  const variables = item.envOnly();
  if (variables) {
    const list = variables.join(", ");
    const [one] = variables;
    return new ConfigError(
      `is required: this foundation exists only because of the environment variable${variables.length > 1 ? "s" : ""} ` +
        `${list}, and no foundation of the file has this index; unset ${variables.length > 1 ? "them" : one} ` +
        `if ${variables.length > 1 ? "they are" : "it is"} left over, or give the foundation a name ` +
        `(${item.key("name")}, or ${envVariable(item.key("name"))})`,
      item.key("name"),
    );
  }
  return new ConfigError(
    "is required: each foundation needs a name, which targets give as `foundation`",
    item.key("name"),
    item.fileOrigin(),
  );
}

/**
 * Refuses an item whose name another source changes (`FOUNDATIONS_0_NAME=ap` over the file's `- name: us`):
 * lists are merged index by index, so the renamed foundation would keep every other key of the weaker source's
 * entry, its login included, and send one foundation's secret to another's UAA.
 */
function checkNotRenamed(source: PropertySource, item: TreeItem, name: string): void {
  for (const weaker of source.shadowed.get(canonicalPath(item.key("name"))) ?? []) {
    const before = source.text(weaker, "lenient");
    if (before === undefined || before === name) continue;
    throw new ConfigError(
      `renames the foundation "${before}" of ${describeOrigin(weaker.origin)} to "${name}": lists are merged ` +
        `index by index, so "${name}" would keep every other key written for "${before}" at this index ` +
        `(its login, proxy and limits); give "${name}" an index of its own, or set every key of ` +
        "this foundation in one source",
      item.key("name"),
      item.origin("name"),
    );
  }
}

function optionalProxy(proxy: { host: string; port: number } | undefined) {
  return proxy ? { scrapingProxy: proxy } : {};
}

function checkName(name: string, key: string, origin: ValueOrigin | undefined): void {
  if (NAME_PATTERN.test(name)) return;
  // A value with `@` may be a credential pasted into the wrong key: never quoted.
  throw new ConfigError(name.includes("@") ? NAME_RULE : `${NAME_RULE}, got "${name}"`, key, origin);
}

/** Where a foundation item keeps a table key: `cf.request.rateLimit` -> `foundations[1].request.rateLimit`. */
function foundationKeyOf(base: string): (path: KeyPath) => string {
  const fields = new Map<string, string>(FOUNDATION_KEYS.map(({ field, key }) => [key, field]));
  return (path) => {
    const field = fields.get(path);
    return field === undefined ? path : `${base}.${field}`;
  };
}

/**
 * The configured name a target's `foundation` (at `key`) names, compared without regard to case, as bindFoundations
 * compares names for their uniqueness ("names differing only in case count as the same"): `US` names the
 * foundation `us`, and the target then carries `us`, the spelling of the label values and log lines. Throws
 * ConfigError naming the target's key and the unknown foundation.
 */
export function targetFoundationName(
  foundation: string,
  names: readonly string[],
  key: string,
  origin: ValueOrigin | undefined,
): string {
  const configured = names.find((name) => sameFoundationName(name, foundation));
  if (configured !== undefined) return configured;
  const known = names.map((n) => `"${n}"`).join(", ");
  throw new ConfigError(
    `names the foundation "${foundation}", which is not configured (known foundations: ${known}; ` +
      "cf.name names the `cf:` block, `name` each item of `foundations`)",
    key,
    origin,
  );
}

/** Foundation names that differ only in case are the same name (see bindFoundations). */
function sameFoundationName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** The foundation a target belongs to: the one it names, else the default one (the `cf:` block). */
export function foundationOf(
  target: { foundation?: string },
  foundations: readonly FoundationConfig[],
): FoundationConfig {
  const named = target.foundation;
  if (named === undefined) return foundations[0];
  return foundations.find((f) => sameFoundationName(f.name, named)) ?? foundations[0];
}

/**
 * Warnings for the foundations that no target names (only when several are configured): nothing would be
 * discovered there, which is most often a missing `foundation:` on a target. The server logs the same at
 * start-up; `check-config` says it before that.
 */
export function foundationsWithoutTargets(config: {
  foundations: readonly FoundationConfig[];
  promregator: { targets: readonly { foundation?: string }[] };
}): string[] {
  const { foundations } = config;
  // As the server decides whom to contact: without any target, no foundation is singled out.
  if (foundations.length < 2 || config.promregator.targets.length === 0) return [];
  const named = new Set(config.promregator.targets.map((t) => foundationOf(t, foundations).name));
  const fix = (i: number, name: string) =>
    i === 0
      ? "a target without `foundation` belongs to it (the `cf:` block is required even when unused)"
      : `give a target \`foundation: ${name}\`, or remove the foundation`;
  return foundations.flatMap((f, i) =>
    named.has(f.name)
      ? []
      : [
          `${i === 0 ? "cf.name" : `foundations[${i - 1}]`} "${f.name}": no target names this foundation, so it is ` +
            `not contacted and nothing is discovered there; ${fix(i, f.name)}`,
        ],
  );
}
