import type { Logger } from "../log.js";

/**
 * One warn line per failure class (e.g. "org:timeout", "route:http:503") while it persists; repeats
 * go to debug, so an unreachable CC does not flood the log. The next success logs the recovery once.
 */
export class FailureLog {
  private readonly active = new Set<string>();

  constructor(private readonly logger: Logger) {}

  failure(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.active.has(key)) {
      this.logger.debug(fields, message);
      return;
    }
    this.active.add(key);
    this.logger.warn(fields, message);
  }

  success(): void {
    if (this.active.size === 0) return;
    this.logger.info({ recovered: [...this.active] }, "Cloud Controller requests succeed again");
    this.active.clear();
  }
}
