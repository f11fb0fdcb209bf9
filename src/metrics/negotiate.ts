import {
  chooseExposition,
  contentTypeOf,
  type ExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  OWN_METRICS_POLICY,
  TEXT_004_CONTENT_TYPE,
} from "../media-type.js";

export { contentTypeOf, type ExpositionFormat, OPENMETRICS_CONTENT_TYPE, TEXT_004_CONTENT_TYPE };

/**
 * The format of `/promregatorMetrics`: OpenMetrics only when the caller ranks it above text 0.0.4; no Accept
 * header, `*\/*` and anything we cannot produce get text 0.0.4 (unlike the Java version, never 400).
 */
export function chooseExpositionFormat(accept: string | undefined): ExpositionFormat {
  return chooseExposition(accept, OWN_METRICS_POLICY);
}
