import type { Dispatcher } from "undici";
import type { PromregatorConfig } from "../config/index.js";
import type { DiscoveredInstance } from "../discovery/index.js";
import { type InboundRequest, type InboundResponse, OWN_ANSWER_HEADERS } from "../http-exchange.js";
import type { Logger } from "../log.js";
import { chooseExposition, contentTypeOf, PLAIN_TEXT_CONTENT_TYPE, SCRAPE_POLICY } from "../media-type.js";
import { reasonPhrase } from "../reason-phrase.js";
import { excerpt } from "../redact.js";
import type { AuthenticatorRegistry } from "./authenticators/registry.js";
import { SCRAPE_TIMEOUT_HEADER, ScrapeBudget, scrapeBudgetMs } from "./budget.js";
import { decodedBody, discardBody, isGzipEncoded } from "./decode.js";
import { describeFetchError, failureStatus, ScrapeFailure } from "./failure.js";
import { ScrapeFailureLog } from "./failure-log.js";
import { durationSeconds, renderFailureBody, renderOwnSamples } from "./merge.js";
import { relayBody } from "./relay.js";
import { checkUpstreamResponse, firstHeader } from "./response-check.js";
import type { ScrapeHandler, ScrapeReporter } from "./types.js";
import { fetchUpstream } from "./upstream.js";
import type { UpstreamBody } from "./upstream-body.js";
import { CommittingWriter } from "./writer.js";

/**
 * Bytes of the decoded body held back before the 200 status is committed (256 KiB). A body up to this size
 * is answered whole, with Content-Length, in one write with its head, and any failure while it comes in
 * (timeout, oversize, broken gzip, a connection closed early) still becomes a clean error answer. A larger
 * body streams on from here. What a scrape holds back is this plus one decoded piece: one socket read, or for
 * a gzip body the compressed bytes of one synchronous inflate and its output (up to SYNC_INFLATE_MAX_INPUT and
 * SYNC_INFLATE_MAX_OUTPUT, the same 256 KiB, see decode.ts) or one piece of a streamed inflate (124 KiB).
 */
export const COMMIT_THRESHOLD_BYTES = 256 * 1024;
/** Instances warned about a body passed through without own samples; bounded so a churning landscape cannot grow it forever. */
const MAX_WARNED_INSTANCES = 10_000;

export interface ScrapeHandlerContext {
  scraping: PromregatorConfig["scraping"];
  dispatcher: Dispatcher;
  /** Dispatchers of foundations whose `scraping.proxy` differs from promregator.scraping.proxy, by name. */
  foundationDispatchers?: ReadonlyMap<string, Dispatcher>;
  /** The proxy a foundation's instances are scraped through, named for error texts; undefined when none. */
  proxyOf?: (foundation: string) => string | undefined;
  authenticators: AuthenticatorRegistry;
  logger: Logger;
  metrics?: ScrapeReporter;
  processInstanceId: string;
}

export class ProxyScrapeHandler implements ScrapeHandler {
  /** `<what>:<instanceId>` of the warnings given once per instance. */
  private readonly warned = new Set<string>();

  private readonly failureLog: ScrapeFailureLog;

  constructor(private readonly ctx: ScrapeHandlerContext) {
    this.failureLog = new ScrapeFailureLog(ctx.logger);
  }

  async handle(req: InboundRequest, res: InboundResponse, instance: DiscoveredInstance): Promise<void> {
    const started = performance.now();
    const { scraping } = this.ctx;
    const budget = new ScrapeBudget(
      scrapeBudgetMs(scraping.maxProcessingTime, req.headers[SCRAPE_TIMEOUT_HEADER]),
    );
    const onClose = () => {
      if (!res.writableFinished)
        budget.abort(new ScrapeFailure("client", "the caller closed the connection"));
    };
    res.on("close", onClose);
    let body: UpstreamBody | undefined;
    let writer: CommittingWriter | undefined;
    try {
      const upstream = await fetchUpstream({
        dispatcher: this.ctx.foundationDispatchers?.get(instance.foundation) ?? this.ctx.dispatcher,
        instance,
        callerAccept: firstHeader(req.headers.accept),
        processInstanceId: this.ctx.processInstanceId,
        authenticator: this.ctx.authenticators.forInstance(instance),
        signal: budget.signal,
        readTimeoutMs: scraping.socketReadTimeout,
      });
      body = upstream.body;
      const type = checkUpstreamResponse(upstream, instance.url, scraping.maxBodySize);
      const encoding = firstHeader(upstream.headers["content-encoding"]);
      const undecoded =
        encoding !== undefined && !isGzipEncoded(encoding) && encoding.trim().toLowerCase() !== "identity";
      if (undecoded) {
        this.warnOnce(
          instance,
          "encoding",
          `the target labels its body Content-Encoding "${excerpt(encoding, 100)}", which Prometheus does not decode (only exactly "gzip"); passing the body on undecoded, as Prometheus would read it from the target (a compressed body then fails in Prometheus' parser: make the app answer exactly "gzip" or uncompressed)`,
        );
      }
      writer = new CommittingWriter(
        res,
        { "content-type": type.contentType },
        COMMIT_THRESHOLD_BYTES,
        budget.signal,
      );
      const result = await relayBody({
        source: decodedBody(upstream.body, encoding),
        format: type.format,
        writer,
        maxBodySize: scraping.maxBodySize,
        ownSamples: (format) => renderOwnSamples(format, true, durationSeconds(performance.now() - started)),
      });
      // For an undecoded body the encoding warning says why; "no final newline" about its bytes would mislead.
      if (result.leftOut !== undefined && !undecoded) {
        this.warnOnce(
          instance,
          "leftOut",
          `${result.leftOut}; passing it through unchanged, without promregator_up and promregator_scrape_duration_seconds`,
        );
      }
      const seconds = (performance.now() - started) / 1000;
      this.ctx.metrics?.recordScrape({ instance, ok: true, bytes: result.bytes, seconds });
      // Checked first: the log object would else be built for every scrape and dropped.
      if (this.ctx.logger.isLevelEnabled("debug")) {
        this.ctx.logger.debug({ instanceId: instance.instanceId, bytes: result.bytes, seconds }, "scraped");
      }
      this.failureLog.succeeded(instance);
    } catch (err) {
      // Once the budget is spent (or the caller left) every later error is a consequence of that.
      const failure =
        budget.failure ??
        describeFetchError(err, {
          what: `target ${hostOf(instance.url)}`,
          proxy: this.ctx.proxyOf?.(instance.foundation),
          connectTimeoutMs: scraping.connectionTimeout,
          readTimeoutMs: scraping.socketReadTimeout,
        });
      try {
        this.fail(req, res, instance, failure, started, writer?.committed ?? false);
      } catch {
        // Writing the failure answer itself failed (connection gone mid-write): nothing left to tell.
        res.destroy();
      }
    } finally {
      budget.dispose();
      res.off("close", onClose);
      // Whatever was not read is not needed; this also ends a fetch cut short by a failure.
      if (body) discardBody(body);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([
      this.ctx.dispatcher.close(),
      ...[...(this.ctx.foundationDispatchers?.values() ?? [])].map((d) => d.close()),
      this.ctx.authenticators.close(),
    ]);
  }

  private fail(
    req: InboundRequest,
    res: InboundResponse,
    instance: DiscoveredInstance,
    failure: ScrapeFailure,
    started: number,
    committed: boolean,
  ): void {
    const elapsedMs = performance.now() - started;
    this.ctx.metrics?.recordScrape({
      instance,
      ok: false,
      seconds: elapsedMs / 1000,
      reason: failure.reason,
    });
    this.failureLog.failed(instance, failure.reason);
    if (failure.kind === "client" || res.destroyed) return;
    if (committed || res.headersSent) {
      // The 200 is already on the wire: cutting the connection leaves the caller with an incomplete
      // (chunked) body, which Prometheus counts as a failed scrape. Nothing else can reach it now.
      res.destroy();
      return;
    }
    let status: number;
    let contentType: string;
    let text: string;
    if (this.ctx.scraping.failureMode === "compatible") {
      const format = chooseExposition(firstHeader(req.headers.accept), SCRAPE_POLICY);
      status = 200;
      contentType = contentTypeOf(format);
      text = renderFailureBody(format, durationSeconds(elapsedMs));
    } else {
      status = failureStatus(failure.kind);
      contentType = PLAIN_TEXT_CONTENT_TYPE;
      text = `scrape of ${instance.instanceId} failed: ${failure.reason}\n`;
    }
    const payload = Buffer.from(text, "utf8");
    const headers = { "content-type": contentType, ...OWN_ANSWER_HEADERS, "content-length": payload.length };
    // The reason phrase carries the cause to Prometheus, which shows the status line as the target's error.
    if (status === 200) res.writeHead(status, headers);
    else res.writeHead(status, reasonPhrase(failure.reason, status), headers);
    res.end(payload);
  }

  /** Logs a warning of kind `what` once per instance (e.g. why a body went through without own samples). */
  private warnOnce(instance: DiscoveredInstance, what: string, message: string): void {
    const key = `${what}:${instance.instanceId}`;
    if (this.warned.has(key)) return;
    if (this.warned.size >= MAX_WARNED_INSTANCES) this.warned.clear();
    this.warned.add(key);
    this.ctx.logger.warn({ instanceId: instance.instanceId, app: instance.appName }, message);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid URL)";
  }
}
