/**
 * One resolution of the configured targets with the production Cloud Controller client and discovery code,
 * for `promregator check-config --resolve`: connect, log in, resolve once, then close everything again.
 */

import { type CloudControllerClient, createCloudControllerClient, UaaError } from "../cf/index.js";
import type { Config } from "../config/index.js";
import { createDiscoveryService, type DiscoverySnapshot } from "../discovery/index.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { redactSecrets } from "../redact.js";
import type { Progress } from "./progress.js";

/** Where a failed resolution stopped; every one of them is exit code 1. */
export type FailedPhase = "connect" | "login" | "resolve" | "timeout";

export type ResolveOutcome =
  | { ok: false; phase: FailedPhase; message: string; apiUrl: string }
  | {
      ok: true;
      apiUrl: string;
      /** CC v3 API version, when the root document states it. */
      apiVersion?: string;
      snapshot: DiscoverySnapshot;
      /** Set when the Cloud Controller failed for some targets (their problem says which). */
      error?: string;
      elapsedMs: number;
    };

export interface ResolveOptions {
  config: Config;
  logger: Logger;
  progress: Progress;
  /** Extra trusted CA (PEM) for the Cloud Controller and UAA. */
  cfCa?: string;
  /** Give up after this long, ms. */
  timeoutMs: number;
  /** Index in promregator.targets of each of `config`'s targets (a foundation's view); logs name these. */
  targetIndices?: readonly number[];
}

/**
 * The login check needs an authenticated request that is cheap on any foundation: an org list filtered by a name
 * no org is expected to have answers with one short page.
 */
const LOGIN_PROBE_ORG = "promregator-check-config-login-probe";

function loginIdentity(config: Config): string {
  const cf = config.cf;
  if (cf.client_id && cf.client_secret) return `client ${cf.client_id} (client credentials)`;
  if (cf.username) return `user ${cf.username}`;
  return "(no credentials configured)";
}

function messageOf(error: unknown): string {
  // Messages can carry excerpts of CC, UAA or load balancer answers.
  return redactSecrets(errorMessage(error));
}

export async function resolveOnce(options: ResolveOptions): Promise<ResolveOutcome> {
  const apiUrl = options.config.cf.apiUrl;
  const started = performance.now();
  let cf: CloudControllerClient;
  try {
    cf = createCloudControllerClient({ config: options.config.cf, logger: options.logger, ca: options.cfCa });
  } catch (error) {
    return { ok: false, phase: "connect", message: messageOf(error), apiUrl };
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ResolveOutcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          phase: "timeout",
          message: `no result within ${options.timeoutMs / 1000} s`,
          apiUrl,
        }),
      options.timeoutMs,
    );
    timer.unref();
  });
  const work = runPhases(cf, options, started).catch(
    (error: unknown): ResolveOutcome => ({ ok: false, phase: "resolve", message: messageOf(error), apiUrl }),
  );
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    // After a timeout the phases may still be waiting on the network; closing the client ends them.
    await Promise.race([cf.close().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

async function runPhases(
  cf: CloudControllerClient,
  options: ResolveOptions,
  started: number,
): Promise<ResolveOutcome> {
  const { config, logger, progress } = options;
  const apiUrl = config.cf.apiUrl;
  progress.phase(`connecting to the Cloud Controller at ${apiUrl}`);
  let apiVersion: string | undefined;
  try {
    apiVersion = await cf.checkApiVersion();
  } catch (error) {
    return { ok: false, phase: "connect", message: messageOf(error), apiUrl };
  }
  progress.phase(
    `Cloud Controller v3 API ${apiVersion ?? "(version not stated)"}; logging in as ${loginIdentity(config)}`,
  );
  try {
    await cf.listOrganizations({ names: [LOGIN_PROBE_ORG] });
  } catch (error) {
    return {
      ok: false,
      phase: error instanceof UaaError ? "login" : "connect",
      message: messageOf(error),
      apiUrl,
    };
  }
  const count = config.promregator.targets.length;
  progress.phase(`logged in; resolving ${count} configured target${count === 1 ? "" : "s"}`);
  const discovery = createDiscoveryService({ config, cf, logger, targetIndices: options.targetIndices });
  const stopWaiting = progress.waiting("resolving");
  let snapshot: DiscoverySnapshot;
  try {
    snapshot = await discovery.refresh();
  } catch (error) {
    return { ok: false, phase: "resolve", message: messageOf(error), apiUrl };
  } finally {
    stopWaiting();
    await discovery.stop();
  }
  const last = discovery.lastRefresh();
  const error = (last && !last.ok && last.error) || targetFailure(snapshot);
  const apps = new Set(snapshot.instances.map((i) => i.appGuid)).size;
  progress.phase(
    `resolved ${snapshot.instances.length} instance${snapshot.instances.length === 1 ? "" : "s"} of ${apps} app${apps === 1 ? "" : "s"}`,
  );
  return {
    ok: true,
    apiUrl,
    ...(apiVersion ? { apiVersion } : {}),
    snapshot,
    ...(error ? { error: redactSecrets(error) } : {}),
    elapsedMs: performance.now() - started,
  };
}

/**
 * The first target the Cloud Controller failed for although the refresh as a whole succeeded (e.g. binding
 * details it could not give for a selected app), as "target #i: problem"; undefined when none.
 */
export function targetFailure(snapshot: DiscoverySnapshot): string | undefined {
  const failed = snapshot.targets.find((t) => t.kind === "cc-error");
  return failed && `target #${failed.targetIndex}: ${failed.problem ?? "Cloud Controller error"}`;
}
