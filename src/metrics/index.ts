export type { CacheStatsSource } from "./families.js";
export { INFO_LABEL_NAMES, TARGET_LABEL_BASE_NAMES, targetLabelNames } from "./families.js";
export type { FoundationHealthSample, FoundationHealthSource } from "./foundation-families.js";
export { type ReadIdentityOptions, readInstanceIdentity } from "./identity.js";
export {
  chooseExpositionFormat,
  contentTypeOf,
  type ExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  TEXT_004_CONTENT_TYPE,
} from "./negotiate.js";
export { createOwnMetrics, type OwnMetrics, type OwnMetricsOptions } from "./own-metrics.js";
export { DROPPED_DEFAULT_METRICS } from "./process-metrics.js";
export type {
  CacheStats,
  InstanceIdentity,
  InstanceLabels,
  OwnMetricsRecorder,
  ScrapeOutcome,
} from "./types.js";
