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

  /**
   * A request for `resource` succeeded: its failure classes (and a failed login) are over. Other resources
   * keep theirs, so one endpoint failing while the rest work is still reported once, not on every cycle.
   */
  success(resource: string): void {
    if (this.active.size === 0) return;
    const recovered = [...this.active].filter((key) => key === "login" || key.startsWith(`${resource}:`));
    if (recovered.length === 0) return;
    for (const key of recovered) this.active.delete(key);
    this.logger.info({ recovered }, "Cloud Controller requests succeed again");
  }
}
