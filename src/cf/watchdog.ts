import type { CfConfig } from "../config/index.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { CloudControllerApi } from "./types.js";

/** Exit code the Java version uses when the watchdog gives up; start scripts restart on it. */
export const WATCHDOG_EXIT_CODE = 161;

export interface WatchdogTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: WatchdogTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // The watchdog alone must not keep the process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface WatchdogOptions {
  config: CfConfig;
  client: Pick<CloudControllerApi, "getInfo">;
  logger: Logger;
  /** Called once with 161 when cumulative failures exceed cf.watchdog.restartCount. */
  onExit: (code: number) => void;
  /** Counts each failed probe (promregator_connection_watchdog_reconnect). */
  metrics?: { recordWatchdogReconnect?: () => unknown };
  /** Called after every failed probe with the cumulative count. */
  onFailure?: (failures: number) => void;
  timers?: WatchdogTimers;
}

export interface WatchdogHandle {
  stop(): void;
  /** Failed probes since start; successes do not reset it (as in the Java version). */
  readonly failures: number;
}

/**
 * cf.watchdog.*: probe GET /v3/info after initialDelay s, then every rate s (counted from the end of
 * the previous probe, so probes never overlap).
 */
export function startWatchdog(opts: WatchdogOptions): WatchdogHandle {
  const { config, client, logger, onExit } = opts;
  const timers = opts.timers ?? realTimers;
  const wd = config.watchdog;
  let failures = 0;
  let stopped = !wd.enabled;
  let handle: unknown;

  const schedule = (seconds: number): void => {
    if (!stopped) handle = timers.setTimeout(() => void probe(), Math.max(0, seconds) * 1000);
  };

  /** getInfo has its own timeout; this guard only covers a client that never settles. */
  const withDeadline = (promise: Promise<unknown>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const guard = timers.setTimeout(
        () => reject(new Error(`no answer within ${wd.timeout} ms`)),
        wd.timeout + 1000,
      );
      promise.then(
        (v) => {
          timers.clearTimeout(guard);
          resolve(v);
        },
        (err: unknown) => {
          timers.clearTimeout(guard);
          reject(err);
        },
      );
    });

  const probe = async (): Promise<void> => {
    if (stopped) return;
    try {
      await withDeadline(client.getInfo());
      logger.debug("CF watchdog probe succeeded");
    } catch (err) {
      if (stopped) return;
      failures++;
      const reason = errorMessage(err);
      logger.warn({ failures, reason }, "CF watchdog: GET /v3/info failed");
      opts.metrics?.recordWatchdogReconnect?.();
      opts.onFailure?.(failures);
      if (wd.restartCount !== undefined && failures > wd.restartCount) {
        logger.error(
          { failures, restartCount: wd.restartCount },
          `CF watchdog: more than ${wd.restartCount} failed probes, exiting with code ${WATCHDOG_EXIT_CODE}`,
        );
        stopped = true;
        onExit(WATCHDOG_EXIT_CODE);
        return;
      }
    }
    schedule(Math.max(1, wd.rate));
  };

  if (!stopped) {
    logger.info({ initialDelay: wd.initialDelay, rate: wd.rate }, "CF watchdog started");
    schedule(wd.initialDelay);
  }

  return {
    stop() {
      stopped = true;
      if (handle !== undefined) timers.clearTimeout(handle);
    },
    get failures() {
      return failures;
    },
  };
}
