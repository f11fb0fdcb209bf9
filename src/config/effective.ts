/**
 * The effective configuration as a promregator.yml document (`promregator check-config`): every key under the
 * name a file gives it, defaults filled in, so that any part can be pasted back into a file and means the same.
 */
import { placeholderSecretValues } from "./mask.js";
import type { CfConfig, Config, FoundationConfig, LoggingConfig } from "./types.js";

/**
 * `{cf, foundations?, promregator, server, logging}` with each secret replaced by the placeholder of its
 * environment variable (`${CF_PASSWORD}`, see placeholderSecretValues). Left out: keys accepted from Java files that have no effect, what a file does not set
 * (`cf.apiUrl` is derived from `cf.api_host`, `server.webConfigFile` comes from `--web.config.file`, the source
 * path) and `foundations` when only the `cf:` block is configured. Loading the document again gives the same
 * `Config` when those variables hold the secrets.
 */
export function effectiveConfigDocument(config: Config): unknown {
  const [first, ...others] = config.foundations;
  const { webConfigFile: _flag, ...server } = config.server;
  const document = {
    cf: { name: first.name, ...fileCf(config.cf) },
    ...(others.length > 0 && { foundations: others.map(foundationEntry) }),
    promregator: { ...config.promregator, scraping: scrapingKeys(config.promregator.scraping) },
    server,
    logging: loggingKeys(config.logging),
  };
  return placeholderSecretValues(document);
}

/** `cf.cache.aggregator.*` is accepted for Java files and has no effect: printed, it would only warn. */
function fileCf(cf: CfConfig) {
  const { apiUrl: _derived, cache, ...keys } = cf;
  const { aggregator: _inert, ...fileCache } = cache;
  return { ...keys, cache: fileCache };
}

/** `promregator.scraping.threads` has no effect (scrapes are not bound to threads): left out like the aggregator. */
function scrapingKeys(scraping: Config["promregator"]["scraping"]) {
  const { threads: _inert, ...keys } = scraping;
  return keys;
}

/** An entry of `foundations:`: the keys of `cf:` without the prefix, and its own scrape settings. */
function foundationEntry(f: FoundationConfig) {
  return {
    name: f.name,
    ...fileCf(f.cf),
    ...(f.scrapingProxy && { scraping: { proxy: f.scrapingProxy } }),
    defaultInternalRoutePort: f.defaultInternalRoutePort,
  };
}

/** `logging.level.<logger>`: Spring Boot's map; `root` for everything, a module's name for that module. */
function loggingKeys(logging: LoggingConfig) {
  const spring = (level: string) => (level === "silent" ? "off" : level);
  const level: Record<string, string> = { root: spring(logging.level) };
  for (const [module, value] of Object.entries(logging.modules)) level[module] = spring(value);
  return { level };
}
