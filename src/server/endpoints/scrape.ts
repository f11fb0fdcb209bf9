import { PROMREGATOR_INSTANCE_HEADER } from "../../scrape/index.js";
import type { InboundContext } from "../endpoint.js";
import { sendText } from "../respond.js";

const APP_ID = /^[-0-9a-f]+$/;
const INSTANCE_NUMBER = /^[0-9]{1,9}$/;

/** GET /singleTargetMetrics/<appId>/<instanceNumber>: one instance through the scrape proxy. */
export async function serveScrape(ctx: InboundContext): Promise<void> {
  const { req, res, deps, scrapeSlots } = ctx;
  const parts = ctx.rest.split("/");
  if (parts.length !== 2)
    return sendText(req, res, 404, `No such endpoint: ${ctx.url.pathname.slice(0, 200)}`);
  const [appId, instanceNumber] = parts;
  if (req.headers[PROMREGATOR_INSTANCE_HEADER] === deps.processInstanceId) {
    deps.logger.warn({ appId, instanceNumber }, "refused a scrape that came back to this process (loop)");
    return sendText(req, res, 508, "Loop detected: this scrape request was sent by this Promregator itself");
  }
  if (!INSTANCE_NUMBER.test(instanceNumber))
    return sendText(req, res, 400, "Invalid Instance Number provided");
  if (!APP_ID.test(appId)) return sendText(req, res, 400, "Invalid Application Id provided");
  const snapshot = deps.discovery.current();
  // The raw text is the key, so "01" or "+1" never match (as in the Java version).
  const instance = snapshot?.byInstanceId.get(`${appId}:${instanceNumber}`);
  if (!instance) {
    if (!snapshot) {
      return sendText(
        req,
        res,
        503,
        `Instance ${appId}:${instanceNumber} cannot be checked: discovery has not completed yet`,
        { "retry-after": "5" },
      );
    }
    return sendText(
      req,
      res,
      404,
      `Instance ${appId}:${instanceNumber} is not among the discovered instances`,
    );
  }
  const max = deps.config.promregator.scraping.maxConcurrent;
  if (scrapeSlots.inFlight >= max) {
    return sendText(
      req,
      res,
      503,
      `Too many scrapes in flight (${max}): Promregator is saturated; retry later`,
      {
        "retry-after": "1",
      },
    );
  }
  scrapeSlots.inFlight++;
  try {
    await deps.scrape.handle(req, res, instance);
  } finally {
    scrapeSlots.inFlight--;
  }
}
