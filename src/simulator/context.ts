import type { Presenter } from "./cc/presenters.js";
import type { Counters } from "./control/counters.js";
import type { FailureInjector } from "./control/faults.js";
import type { Outage } from "./control/outage.js";
import type { RateLimiter } from "./control/ratelimit.js";
import type { Delays } from "./http/util.js";
import type { ServiceStore } from "./model/services.js";
import type { LandscapeStore } from "./model/store.js";
import type { CcListFaults } from "./types.js";
import type { UaaAccounts } from "./uaa/handler.js";
import type { TokenIssuer } from "./uaa/tokens.js";

/** Everything the API listener, the router and the admin share for one running simulator. */
export interface SimContext {
  store: LandscapeStore;
  /** Service instances, app bindings and who may not read credentials. */
  services: ServiceStore;
  issuer: TokenIssuer;
  accounts: UaaAccounts;
  limiter: RateLimiter;
  failures: FailureInjector;
  counters: Counters;
  delays: Delays;
  presenter: Presenter;
  /** Current CC latency in ms (admin can change it). */
  latencyMs: number;
  /** Access-token lifetime for new tokens (admin can change it). */
  tokenLifetimeSeconds: number;
  apiUrl: string;
  uaaUrl: string;
  apiVersion: string;
  /** Faults of list answers (admin can change them). */
  listFaults: CcListFaults;
  /** The whole API (CC and UAA) down, until the admin ends it. */
  outage?: Outage;
}
