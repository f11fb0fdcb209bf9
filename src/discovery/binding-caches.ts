import { CfApiError, type CfServiceBinding, type CloudControllerApi, settleList } from "../cf/index.js";
import type { BindingCredentialUse, CfConfig } from "../config/index.js";
import { toError } from "../errors.js";
import { type BindingAccess, readBindingCredentials } from "./binding-credentials.js";
import { type LoadSettled, RefreshAheadCache } from "./refresh-ahead-cache.js";

/** Details requests of one load in flight at the same time. */
export const DETAILS_CONCURRENCY = 4;

/**
 * Consecutive failures of the details endpoint itself (timeout, network, 5xx, 429) after which a load asks no
 * more: the endpoint is evidently down, and hundreds of requests (each up to a timeout and its retry) would only
 * hold up the resolution and load the Cloud Controller. The guids not asked fail with the same cause; they keep
 * their last good answer and are asked again at the next load.
 */
export const DETAILS_FAILURE_LIMIT = 3;

/**
 * What a binding's details give its app: the credentials read (path, Basic credentials), a problem with them,
 * or why they could not be read at all (`unreadable`: CC refused them to this user).
 */
export type BindingDetailsOutcome = BindingAccess | { ok: false; unreadable: true; problem: string };

/**
 * The two caches behind `serviceInstanceName` targets. Both refresh ahead at the resolver's pace
 * (`cf.cache.timeout.resolver`), since only the resolver reads them.
 * - `bindings`: key = service instance name, value = the usable app bindings to instances of that name; one
 *   list request (`type=app&service_instance_names=<name>`, paged) per name.
 * - `details`: key = binding guid, value = what its credentials say, parsed at load time so that the raw
 *   credentials are never kept; one request per binding of a selected app (a load stops early when the endpoint
 *   evidently fails, see DETAILS_FAILURE_LIMIT). An entry lives as long as its binding is listed: it is dropped
 *   when a binding list read anew no longer holds it (unbound, app deleted), never because it was not read for a
 *   while. Reads of the details wait for the binding lists' reload first, so with a hanging Cloud Controller
 *   they come a request timeout late: an idle time would drop the last good credentials of bindings still in use
 *   (docs/service-bindings.md: "a binding keeps its last good credentials for as long as its target asks for
 *   them, however long its reloads fail"). At most one entry per binding the list cache already holds.
 */
export interface BindingCaches {
  bindings: RefreshAheadCache<CfServiceBinding[]>;
  details: RefreshAheadCache<BindingDetailsOutcome>;
}

export function createBindingCaches(
  cf: CloudControllerApi,
  config: CfConfig,
  use: Exclude<BindingCredentialUse, "ignore">,
  options: { now?: () => number; onLoadSettled?: (cache: string, outcome: LoadSettled) => void } = {},
): BindingCaches {
  const periodMs = config.cache.timeout.resolver * 1000;
  const details = new RefreshAheadCache<BindingDetailsOutcome>({
    name: "bindingDetails",
    refreshAfterMs: periodMs,
    expireAfterMs: 0, // dropped with their binding instead (ListedBindings)
    now: options.now,
    onLoadSettled: (outcome) => options.onLoadSettled?.("bindingDetails", outcome),
    load: (guids) => loadDetails(cf, guids, use),
  });
  const listed = new ListedBindings();
  const bindings = new RefreshAheadCache<CfServiceBinding[]>({
    name: "serviceBinding",
    refreshAfterMs: periodMs,
    expireAfterMs: 0,
    now: options.now,
    onLoadSettled: (outcome) => options.onLoadSettled?.("serviceBinding", outcome),
    load: async (names) => {
      const lists = await loadBindings(cf, names);
      listed.update(lists);
      details.retain((guid) => listed.has(guid));
      return lists;
    },
  });
  return { bindings, details };
}

/**
 * The guids of the usable bindings in the last list read of each instance name. A name whose list failed keeps
 * its previous guids: a failed read says nothing about which bindings are gone.
 */
class ListedBindings {
  private readonly byName = new Map<string, ReadonlySet<string>>();

  update(lists: ReadonlyMap<string, CfServiceBinding[] | Error>): void {
    for (const [name, list] of lists) {
      if (!(list instanceof Error)) this.byName.set(name, new Set(list.map((binding) => binding.guid)));
    }
  }

  has(guid: string): boolean {
    for (const guids of this.byName.values()) if (guids.has(guid)) return true;
    return false;
  }
}

/**
 * Bindings per instance name, one list per name: a binding names its instance by guid only, so a list over
 * several names could not be split by name again. A name whose list failed gets its own error.
 */
async function loadBindings(
  cf: CloudControllerApi,
  names: string[],
): Promise<Map<string, CfServiceBinding[] | Error>> {
  const lists = await Promise.all(
    names.map((name) =>
      settleList(cf.listAppBindings({ serviceInstanceNames: [name] })).then(
        ({ items, failed }) => failed.get(name) ?? items.filter(usable),
        (error: unknown) => toError(error),
      ),
    ),
  );
  return new Map(names.map((name, i) => [name, lists[i]] as const));
}

/**
 * Whether a binding exists with its credentials, by its `last_operation` (CC v3 service credential binding:
 * type `create` | `delete`, state `initial` | `in progress` | `succeeded` | `failed`):
 * - none (CC writes null), or `create` `succeeded`: complete;
 * - `delete` `failed`: the broker refused to unbind, so the binding and its credentials are still there;
 * - `create` not yet succeeded (no credentials, CC answers its details 404), `create` `failed` (never bound),
 *   `delete` under way (going away): not used.
 */
function usable(binding: CfServiceBinding): boolean {
  const op = binding.lastOperation;
  if (op === undefined) return true;
  if (op.type === "delete") return op.state === "failed";
  return op.state === "succeeded";
}

async function loadDetails(
  cf: CloudControllerApi,
  guids: string[],
  use: Exclude<BindingCredentialUse, "ignore">,
): Promise<Map<string, BindingDetailsOutcome | Error>> {
  const result = new Map<string, BindingDetailsOutcome | Error>();
  let next = 0;
  let failuresInARow = 0;
  let givenUp: Error | undefined;
  const worker = async (): Promise<void> => {
    while (next < guids.length && !givenUp) {
      const guid = guids[next++];
      const outcome = await detailsOf(cf, guid, use);
      result.set(guid, outcome);
      if (!endpointFailure(outcome)) {
        failuresInARow = 0;
      } else if (++failuresInARow >= DETAILS_FAILURE_LIMIT && !givenUp) {
        givenUp = new Error(
          `not requested, since the last ${DETAILS_FAILURE_LIMIT} details requests failed: ${outcome.message}`,
          { cause: outcome },
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DETAILS_CONCURRENCY, guids.length) }, worker));
  for (const guid of guids) if (!result.has(guid) && givenUp) result.set(guid, givenUp);
  return result;
}

/**
 * Whether a details answer says the endpoint itself fails (it would fail for the next binding too), rather than
 * something about this binding: a 403/404 refusal or an odd document is an answer.
 */
function endpointFailure(outcome: BindingDetailsOutcome | Error): outcome is Error {
  if (!(outcome instanceof Error)) return false;
  if (!(outcome instanceof CfApiError)) return true; // login failed, client closed, ...
  if (outcome.kind === "malformed" || outcome.kind === "size") return false;
  if (outcome.kind !== "http" || outcome.status === undefined) return true;
  return outcome.status >= 500 || outcome.status === 429 || outcome.status === 401;
}

async function detailsOf(
  cf: CloudControllerApi,
  guid: string,
  use: Exclude<BindingCredentialUse, "ignore">,
): Promise<BindingDetailsOutcome | Error> {
  try {
    const { credentials } = await cf.getBindingDetails(guid);
    return readBindingCredentials(credentials, use, `service binding ${guid}`);
  } catch (error) {
    // A refusal is an answer, cached like one: asking again every refresh would not change it.
    if (
      error instanceof CfApiError &&
      error.kind === "http" &&
      (error.status === 403 || error.status === 404)
    ) {
      return { ok: false, unreadable: true, problem: refusal(error.status) };
    }
    return toError(error);
  }
}

function refusal(status: number): string {
  return status === 403
    ? "the Cloud Controller refused them (403): Promregator's user may not read credentials in that space"
    : "the Cloud Controller does not show them (404): Promregator's user may not read credentials in that space (only Admin, Admin Read-Only and Space Developer may), or the binding is being created or deleted";
}
