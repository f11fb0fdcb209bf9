import { hostname } from "node:os";
import { startWatchdog } from "./cf/index.js";
import type { Config } from "./config/index.js";
import {
  type DiscoveryDiagnostics,
  type DiscoveryReader,
  discoveryScheme,
  followDiscoveryFile,
} from "./discovery/index.js";
import { createFoundationDiscovery, describeConfiguredTargets } from "./foundation-discovery.js";
import type { Logger } from "./log.js";
import { createOwnMetrics, readInstanceIdentity } from "./metrics/index.js";
import { createScrapeHandler, type ScrapeReport } from "./scrape/index.js";
import {
  type Credentials,
  createRequestHandler,
  inboundCredentials,
  type ListeningServer,
  listen,
  loadWebConfig,
  type WebConfig,
  WebUsers,
} from "./server/index.js";
import { logStartup } from "./startup-log.js";
import { createStatusView, ScrapeLog } from "./status/index.js";
import { VERSION } from "./version.js";

export interface StartOptions {
  config: Config;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Extra CA (PEM) trusted for the Cloud Controller and UAA, e.g. the simulator's self-signed certificate. */
  cfCa?: string;
  /** Called instead of process.exit when the watchdog asks for a restart (exit code 161). */
  onExit?: (code: number) => void;
  /** Discovery loop period; tests shorten it. */
  discoveryTickMs?: number;
  /** `config.server.webConfigFile` as the command line already read it; read here when not given. */
  web?: WebConfig;
}

export interface RunningPromregator {
  url: string;
  port: number;
  processInstanceId: string;
  inboundCredentials: Credentials;
  whenReady(): Promise<void>;
  close(): Promise<void>;
}

/** Writes the discovery document for file_sd users; targets name the configured host/port, or ours. */
function startDiscoveryFile(config: Config, discovery: DiscoveryReader, port: number, logger: Logger) {
  const d = config.promregator.discovery;
  if (!d.file) return undefined;
  return followDiscoveryFile({
    service: discovery,
    path: d.file,
    document: {
      host: d.hostname ?? hostname(),
      port: d.port > 0 ? d.port : port,
      scheme: discoveryScheme(d, config.server.tls ? "https" : "http"),
      ownMetricsEndpoint: d.ownMetricsEndpoint,
    },
    logger,
  });
}

/** CF health for the status page: the outcome of the latest discovery refresh, and when one last succeeded. */
function cfHealthOf(discovery: DiscoveryDiagnostics) {
  return () => {
    const last = discovery.lastRefresh();
    return { ok: last?.ok ?? false, lastError: last?.error, lastSuccessAt: last?.lastOkAt };
  };
}

/** How long close() waits for a discovery run to notice that the CF client is closed. */
const SHUTDOWN_GRACE_MS = 1000;

function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => resolve(),
      () => resolve(),
    );
  });
}

/** Wires config, CF client, discovery, scrape proxy, own metrics and the HTTP server together, and starts them. */
export async function startPromregator(opts: StartOptions): Promise<RunningPromregator> {
  const { config, logger } = opts;
  // Before anything is opened: a refusal leaves nothing to close.
  const credentials = inboundCredentials(config);
  const web =
    opts.web ?? (config.server.webConfigFile ? loadWebConfig(config.server.webConfigFile) : undefined);
  for (const key of web?.ignored ?? [])
    logger.warn({ file: web?.file }, `web configuration: ${key} has no effect here`);
  const identity = readInstanceIdentity(opts.env ?? process.env);
  const metrics = createOwnMetrics({
    labelNamePrefix: config.promregator.metrics.labelNamePrefix,
    requestLatency: config.promregator.metrics.requestLatency,
    internal: config.promregator.metrics.internal,
    discovererTimeoutSeconds: config.promregator.discoverer.timeout,
    identity,
  });
  const { discovery, runtimes } = createFoundationDiscovery({
    config,
    logger,
    metrics,
    cfCa: opts.cfCa,
    tickMs: opts.discoveryTickMs,
  });
  const closeCf = () => Promise.allSettled(runtimes.map((r) => r.cf.close()));
  // Per-foundation health is new; a configuration with the `cf:` block alone keeps exactly the former families.
  const several = config.foundations.length > 1;
  if (several) {
    metrics.setFoundationHealth(() =>
      // A foundation that no target names has no health to tell: it has no series at all.
      discovery.foundations().flatMap((f) =>
        f.unused
          ? []
          : [
              {
                foundation: f.name,
                up: f.lastRefresh?.ok ?? false,
                ...(f.lastRefresh?.lastOkAt !== undefined && {
                  lastSuccessSeconds: f.lastRefresh.lastOkAt / 1000,
                }),
                instances: f.instances,
              },
            ],
      ),
    );
  }
  metrics.setCacheStats(() => discovery.cacheStats());
  metrics.setRefreshStats(() => discovery.refreshStats());
  // The Java-compatible lifecycle of per-instance series: an instance counts as seen at every refresh.
  const stopSeen = discovery.onRefresh((snapshot) => metrics.markSeen(snapshot.instances));
  // The status page's last scrape per instance; it forgets instances that discovery no longer knows.
  const scrapeLog = new ScrapeLog();
  const stopScrapeLog = discovery.onSnapshot((snapshot) => scrapeLog.retain(snapshot));
  const scrapeReporter = {
    recordScrape(report: ScrapeReport) {
      metrics.recordScrape(report);
      scrapeLog.recordScrape(report);
    },
  };
  const scrape = createScrapeHandler({
    config,
    logger,
    metrics: scrapeReporter,
    processInstanceId: identity.processId,
  });
  const handler = createRequestHandler({
    config,
    logger: logger.child({ module: "server" }),
    discovery,
    scrape,
    metrics,
    processInstanceId: identity.processId,
    inboundCredentials: credentials,
    ...(web && { web: { users: new WebUsers(web.basicAuthUsers), headers: web.headers } }),
    status: createStatusView({
      snapshot: () => discovery.current(),
      ready: () => discovery.ready(),
      lastScrape: (id) => scrapeLog.lastScrape(id),
      cacheStats: () => discovery.cacheStats(),
      identity,
      version: VERSION,
      cfApiUrl: config.cf.apiUrl,
      cfHealth: cfHealthOf(discovery),
      lastRefresh: () => discovery.lastRefresh(),
      configuredTargets: describeConfiguredTargets(config),
      ...(several && { foundations: () => discovery.foundations() }),
    }),
  });
  let server: ListeningServer;
  try {
    server = await listen(config.server, handler, web?.tls);
  } catch (error) {
    await Promise.allSettled([scrape.close(), closeCf()]);
    throw error;
  }
  discovery.start();
  const stopDiscoveryFile = startDiscoveryFile(config, discovery, server.port, logger);
  metrics.startSweeper();
  const watchdogs = runtimes
    .filter((r) => r.foundation.cf.watchdog.enabled)
    .map((r) =>
      startWatchdog({
        config: r.foundation.cf,
        client: r.cf,
        logger: several ? logger.child({ foundation: r.foundation.name }) : logger,
        metrics,
        onExit: opts.onExit ?? ((code) => process.exit(code)),
      }),
    );
  logStartup(logger, config, server.url, identity.processId);

  return {
    url: server.url,
    port: server.port,
    processInstanceId: identity.processId,
    inboundCredentials: credentials,
    whenReady: () => discovery.whenReady(),
    async close() {
      for (const watchdog of watchdogs) watchdog.stop();
      metrics.stop();
      // The refresh loop ends first and the CF client aborts what is in flight, so that no CF request
      // outlives the signal; a run still settling (a back-off) is not waited for beyond a moment.
      const discoveryStopped = discovery.stop();
      await closeCf();
      await Promise.all([server.close(), settledWithin(discoveryStopped, SHUTDOWN_GRACE_MS)]);
      stopSeen();
      stopScrapeLog();
      await stopDiscoveryFile?.();
      await Promise.allSettled([scrape.close()]);
    },
  };
}
