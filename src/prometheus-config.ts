/**
 * The Prometheus scrape job that goes with /discovery: the relabelling the Java documentation recommends, so that
 * series carry org_name, space_name, app_name, cf_instance_id, cf_instance_number and a distinct `instance`.
 */
export interface ScrapeJobOptions {
  jobName?: string;
  /** Base URL of Promregator, e.g. http://localhost:8080 */
  promregatorUrl: string;
  basicAuth?: { username: string; password: string };
  /** file_sd instead of http_sd */
  sdFile?: string;
  honorLabels?: boolean;
  /** http_sd refresh interval (Prometheus default 60s). */
  refreshInterval?: string;
  /**
   * Also relabel `__meta_promregator_target_foundation` to `cf_foundation`, for several foundations (`foundations:`).
   * Off by default: with one foundation the label adds nothing, and a new label would start new series.
   */
  foundationLabel?: boolean;
}

const RELABEL: [string, string][] = [
  ["instanceId", "instance"],
  ["instanceId", "cf_instance_id"],
  ["orgName", "org_name"],
  ["spaceName", "space_name"],
  ["applicationName", "app_name"],
  ["instanceNumber", "cf_instance_number"],
];

/** With several foundations, each series names its foundation. */
export const FOUNDATION_RELABEL: [string, string] = ["foundation", "cf_foundation"];

export function scrapeJobYaml(opts: ScrapeJobOptions): string {
  const indent = "    ";
  const auth = opts.basicAuth
    ? `\n${indent}basic_auth:\n${indent}  username: ${opts.basicAuth.username}\n${indent}  password: ${opts.basicAuth.password}`
    : "";
  const sd = opts.sdFile
    ? `${indent}file_sd_configs:\n${indent}  - files: [${JSON.stringify(opts.sdFile)}]`
    : `${indent}http_sd_configs:\n${indent}  - url: ${opts.promregatorUrl}/discovery${
        opts.refreshInterval ? `\n${indent}    refresh_interval: ${opts.refreshInterval}` : ""
      }${
        opts.basicAuth
          ? `\n${indent}    basic_auth:\n${indent}      username: ${opts.basicAuth.username}\n${indent}      password: ${opts.basicAuth.password}`
          : ""
      }`;
  const pairs: [string, string][] = opts.foundationLabel ? [...RELABEL, FOUNDATION_RELABEL] : RELABEL;
  const relabel = pairs
    .map(
      ([from, to]) =>
        `${indent}  - source_labels: [__meta_promregator_target_${from}]\n${indent}    target_label: ${to}`,
    )
    .join("\n");
  return [
    `  - job_name: ${opts.jobName ?? "promregator"}`,
    ...(opts.honorLabels ? [`${indent}honor_labels: true`] : []),
    sd + auth,
    `${indent}relabel_configs:`,
    relabel,
  ].join("\n");
}
