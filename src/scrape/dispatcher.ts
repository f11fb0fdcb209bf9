import { Agent, type Dispatcher, ProxyAgent } from "undici";
import type { PromregatorConfig } from "../config/types.js";

export interface ScrapeDispatcherOptions {
  /** Trusted CAs for targets and token services; replaces the default trust store (tests, private CAs). */
  ca?: string | string[];
}

type Scraping = PromregatorConfig["scraping"];

/** Idle keep-alive per pooled connection: scrapes of many instances share the router's origin. */
const KEEP_ALIVE_MS = 30_000;

/**
 * One dispatcher for all scrapes: an Agent keeps a keep-alive pool per origin; with
 * promregator.scraping.proxy (host and non-zero port) every scrape goes through that HTTP proxy instead.
 */
export function createScrapeDispatcher(
  scraping: Scraping,
  options: ScrapeDispatcherOptions = {},
): Dispatcher {
  const tls = {
    timeout: scraping.connectionTimeout,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  };
  const pool = { keepAliveTimeout: KEEP_ALIVE_MS, keepAliveMaxTimeout: 4 * KEEP_ALIVE_MS };
  const proxy = scraping.proxy;
  if (proxy?.host && proxy.port) {
    return new ProxyAgent({
      uri: `http://${proxy.host}:${proxy.port}`,
      ...pool,
      proxyTls: { timeout: scraping.connectionTimeout },
      requestTls: tls,
    });
  }
  return new Agent({ ...pool, connect: tls });
}
