import { parseListFaults } from "../cc/list-faults.js";
import type { SimContext } from "../context.js";
import { OUTAGES, type Outage } from "../control/outage.js";
import type { RateLimitSpec } from "../control/ratelimit.js";
import { parseAppSpec, parseBehaviour } from "../landscape/load.js";
import type { AppSpec, CcListFaults, FailureSpec, InstanceBehaviour, SimulatorAdmin } from "../types.js";
import type { UaaPolicySpec } from "../uaa/policy.js";

/** The in-process admin: every mutation goes through the store so CC answers and the router agree. */
export function createAdmin(
  ctx: SimContext,
  initial: {
    latencyMs: number;
    rateLimit?: RateLimitSpec;
    tokenLifetimeSeconds: number;
    listFaults: CcListFaults;
  },
): SimulatorAdmin {
  return {
    scaleApp: (appGuid: string, instances: number) => ctx.store.scaleApp(appGuid, instances),
    setAppState: (appGuid: string, state: "STARTED" | "STOPPED") => ctx.store.setAppState(appGuid, state),
    setInstanceBehaviour: (appGuid: string, index: number, behaviour: InstanceBehaviour) =>
      ctx.store.setInstanceBehaviour(appGuid, index, parseBehaviour(behaviour)),
    addApp: (spaceGuid: string, app: AppSpec) => ctx.store.addApp(spaceGuid, parseAppSpec(app)).guid,
    removeApp: (appGuid: string) => ctx.store.removeApp(appGuid),
    revokeTokens: () => ctx.issuer.revokeAll(),
    setUaaPolicy: (spec: UaaPolicySpec) => ctx.accounts.policy.set(spec),
    uaaUser: (username: string) => ctx.accounts.policy.userState(username),
    setTokenLifetime: (seconds: number) => {
      if (!(seconds > 0))
        throw new Error(`token lifetime must be a positive number of seconds, got ${String(seconds)}`);
      ctx.tokenLifetimeSeconds = seconds;
    },
    injectFailures: (spec: FailureSpec) => ctx.failures.add(spec),
    setLatency: (ms: number) => {
      if (!(ms >= 0)) throw new Error(`latency must be a non-negative number of ms, got ${String(ms)}`);
      ctx.latencyMs = ms;
    },
    setRateLimit: (spec?: RateLimitSpec) => ctx.limiter.set(spec),
    setListFaults: (faults: CcListFaults) => {
      ctx.listFaults = parseListFaults(faults);
    },
    counters: () => ctx.counters.snapshot(),
    resetCounters: () => ctx.counters.reset(),
    findApp: (name: string) => {
      const app = ctx.store.findAppByName(name);
      return app ? { guid: app.guid, spaceGuid: app.spaceGuid } : undefined;
    },
    addServiceInstance: (spaceGuid, spec) => ctx.services.addInstance(spaceGuid, spec),
    bindService: (instanceGuid, appGuid, opts) => ctx.services.bind(instanceGuid, appGuid, opts),
    unbindService: (bindingGuid) => ctx.services.unbind(bindingGuid),
    findServiceInstance: (name) => [...ctx.services.instances.values()].find((i) => i.name === name)?.guid,
    setAuditors: (names) => {
      if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) {
        throw new Error("auditors must be a list of user names or client ids");
      }
      ctx.services.auditors = new Set(names);
    },
    setOutage: (outage?: Outage) => {
      if (outage !== undefined && !OUTAGES.includes(outage)) {
        throw new Error(`outage must be one of ${OUTAGES.join(", ")}, got ${String(outage)}`);
      }
      ctx.outage = outage;
    },
    reset: () => {
      ctx.outage = undefined;
      ctx.failures.clear();
      ctx.latencyMs = initial.latencyMs;
      ctx.tokenLifetimeSeconds = initial.tokenLifetimeSeconds;
      ctx.limiter.set(initial.rateLimit);
      ctx.listFaults = initial.listFaults;
      ctx.counters.reset();
      ctx.accounts.policy.clear();
    },
  };
}
