import type { BudgetSignal } from "../budget.js";
/** An outbound authenticator: adds credentials to the request Promregator sends to a target. */
export interface OutboundAuthenticator {
  /** Short description for messages, never containing a secret, e.g. `basic "team-a"`. */
  readonly label: string;
  /**
   * The Authorization header value, or undefined for none: at once when it is known (a fixed or cached
   * credential, so that the common scrape waits for nothing), else a promise of it. Throws, or rejects, with a
   * ScrapeFailure when no credential can be had, so a scrape never goes out silently unauthenticated; gives up
   * when `signal` aborts.
   */
  authorization(signal: BudgetSignal): string | undefined | Promise<string | undefined>;
  /**
   * The target answered 401 to `sentHeader`. Forgets that credential; true when asking again may give a
   * different one (worth one retry).
   */
  rejected(sentHeader: string | undefined): boolean;
  close(): Promise<void>;
}
