import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";
import { AuthenticatorRegistry } from "./authenticators/registry.js";
import { createScrapeDispatcher, type ScrapeDispatcherOptions } from "./dispatcher.js";
import { ProxyScrapeHandler } from "./handler.js";
import type { ScrapeHandler, ScrapeReporter } from "./types.js";

export type { ScrapeDispatcherOptions } from "./dispatcher.js";
export {
  PROMREGATOR_INSTANCE_HEADER,
  type ScrapeHandler,
  type ScrapeReport,
  type ScrapeReporter,
} from "./types.js";

export interface ScrapeHandlerDeps {
  config: Config;
  logger: Logger;
  metrics?: ScrapeReporter;
  /** This process's random id, sent on every scrape so the server can spot a request that looped back. */
  processInstanceId: string;
  /** TLS trust for targets and token services (tests, private CAs). */
  dispatcherOptions?: ScrapeDispatcherOptions;
  /** epoch ms, for token expiry; defaults to Date.now. */
  clock?: () => number;
}

/** The scrape proxy: fetches one instance per call and answers the caller (see ProxyScrapeHandler). */
export function createScrapeHandler(deps: ScrapeHandlerDeps): ScrapeHandler {
  const scraping = deps.config.promregator.scraping;
  const logger = deps.logger.child({ module: "scrape" });
  const authenticators = new AuthenticatorRegistry(deps.config.promregator, {
    scraping,
    logger,
    clock: deps.clock ?? Date.now,
    ca: deps.dispatcherOptions?.ca,
  });
  // A foundation behind its own scrape proxy gets its own pools; the others share the process-wide one, which
  // is the default foundation's (the `cf:` block) by definition.
  const foundationDispatchers = new Map(
    deps.config.foundations
      .filter((f, index) => index > 0 && !sameProxy(f.scrapingProxy, scraping.proxy))
      .map((f) => [
        f.name,
        createScrapeDispatcher({ ...scraping, proxy: f.scrapingProxy }, deps.dispatcherOptions),
      ]),
  );
  return new ProxyScrapeHandler({
    scraping,
    dispatcher: createScrapeDispatcher(scraping, deps.dispatcherOptions),
    ...(foundationDispatchers.size > 0 && { foundationDispatchers }),
    proxyOf: proxyNames(deps.config),
    authenticators,
    logger,
    metrics: deps.metrics,
    processInstanceId: deps.processInstanceId,
  });
}

type Proxy = { host: string; port: number } | undefined;

/**
 * Per foundation, the scrape proxy its instances go through, as error texts name it ("scraping proxy host:port",
 * with "of foundation <name>" when several are configured); undefined without one. Mirrors the choice of
 * dispatcher above: a foundation's own `scraping.proxy`, else promregator.scraping.proxy.
 */
function proxyNames(config: Config): (foundation: string) => string | undefined {
  const global = config.promregator.scraping.proxy;
  const several = config.foundations.length > 1;
  const own = new Map(config.foundations.map((f, index) => [f.name, index > 0 ? f.scrapingProxy : global]));
  return (foundation) => {
    const proxy = own.has(foundation) ? own.get(foundation) : global;
    if (!proxy?.host || !proxy.port) return undefined;
    return `scraping proxy ${proxy.host}:${proxy.port}${several ? ` of foundation ${foundation}` : ""}`;
  };
}

function sameProxy(a: Proxy, b: Proxy): boolean {
  return a?.host === b?.host && a?.port === b?.port;
}
