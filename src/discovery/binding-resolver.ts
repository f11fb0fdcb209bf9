import type { CfServiceBinding } from "../cf/index.js";
import type { TargetConfig } from "../config/index.js";
import type { BindingDetailsOutcome } from "./binding-caches.js";
import type { CacheReader } from "./refresh-ahead-cache.js";
import { type ResolvedApp, summarise, type TargetResolution } from "./target-resolver.js";

/**
 * How soon a target is resolved again when a binding's details could not be read and no earlier answer was
 * kept (a cold start during a Cloud Controller hiccup), ms; at most the resolver period.
 */
export const BINDING_RETRY_MS = 30_000;

export interface BindingReaders {
  /** Key: service instance name. */
  bindings: CacheReader<CfServiceBinding[]>;
  /** Key: binding guid; absent when the credentials are not read (`promregator.serviceBindings.credentials: ignore`). */
  details?: CacheReader<BindingDetailsOutcome>;
}

/**
 * Narrows each target with `serviceInstanceName` to its apps that are bound to a user-provided service instance
 * of that name (the org/space/app selection and the other keys apply as before), and applies what the binding's
 * credentials say: their `path` replaces the target's (and a `prometheus.io/path` annotation), their Basic
 * credentials are attached to the app. An app bound only to a managed instance of that name is left out with a
 * note, its credentials not read. A binding whose credentials are invalid leaves its app out with a note;
 * credentials CC does not show this user leave the app in, scraped as the target says, with a note. Details that
 * fail (5xx, timeout) use the binding's last good answer (the details cache keeps it); without one the app is
 * left out with a note and the target is marked `retrySoon`. Failing to list the bindings fails the target (its
 * previous instances are kept). Updates `resolutions` in place.
 */
export async function applyServiceBindings(
  resolutions: Map<number, TargetResolution | Error>,
  targets: readonly { index: number; config: TargetConfig }[],
  readers: BindingReaders,
): Promise<void> {
  const bound = targets.flatMap(({ index, config }) => {
    const name = config.serviceInstanceName;
    const resolution = resolutions.get(index);
    if (name === undefined || !resolution || resolution instanceof Error || resolution.apps.length === 0) {
      return [];
    }
    return [{ index, name, resolution }];
  });
  if (bound.length === 0) return;

  const lists = await readers.bindings.getMany(bound.map((t) => t.name));
  const chosen: { index: number; name: string; apps: { app: ResolvedApp; binding: CfServiceBinding }[] }[] =
    [];
  for (const { index, name, resolution } of bound) {
    const list = lists.values.get(name);
    if (!list) {
      const cause = lists.errors.get(name);
      resolutions.set(
        index,
        new Error(`could not load the bindings of service instances named "${name}": ${cause?.message}`, {
          cause,
        }),
      );
      continue;
    }
    const byApp = new Map<string, CfServiceBinding>();
    // CC order is creation order: an app bound twice (two spaces' instances of that name) keeps its first binding
    // to a user-provided instance, and a binding to another instance only when it has none.
    for (const binding of list) {
      const seen = byApp.get(binding.appGuid);
      if (!seen || (!userProvided(seen) && userProvided(binding))) byApp.set(binding.appGuid, binding);
    }
    const apps = resolution.apps.flatMap((app) => {
      const binding = byApp.get(app.appGuid);
      return binding ? [{ app, binding }] : [];
    });
    if (apps.length === 0) {
      const n = resolution.apps.length;
      resolutions.set(index, {
        apps: [],
        problem: `${n === 1 ? "the selected application is not" : `none of the ${n} selected applications is`} bound to a service instance named "${name}"`,
      });
      continue;
    }
    chosen.push({ index, name, apps });
  }
  if (chosen.length === 0) return;

  // The credentials of a managed instance's binding are never read.
  const details = readers.details
    ? await readers.details.getMany(
        chosen.flatMap((t) => t.apps.filter((a) => userProvided(a.binding)).map((a) => a.binding.guid)),
      )
    : undefined;
  for (const { index, name, apps } of chosen) {
    const kept: ResolvedApp[] = [];
    const notes: string[] = [];
    let retrySoon = false;
    for (const { app, binding } of apps) {
      const where = `${app.orgName}/${app.spaceName}/${app.appName} (binding ${binding.guid} to "${name}")`;
      if (!userProvided(binding)) {
        notes.push(`${where}: left out, ${notUserProvided(binding.serviceInstanceType)}`);
        continue;
      }
      if (!details) {
        kept.push(app);
        continue;
      }
      const outcome = details.values.get(binding.guid);
      if (!outcome) {
        const cause = details.errors.get(binding.guid)?.message ?? "unknown error";
        notes.push(`${where}: left out for now, its credentials could not be read: ${cause}`);
        retrySoon = true;
      } else if (outcome.ok) {
        kept.push({
          ...app,
          ...(outcome.path !== undefined ? { path: outcome.path } : {}),
          ...(outcome.credential ? { bindingCredential: outcome.credential } : {}),
        });
      } else if ("unreadable" in outcome) {
        kept.push(app);
        notes.push(`${where}: scraped as the target says, credentials not read: ${outcome.problem}`);
      } else {
        notes.push(`${where}: left out, ${outcome.problem}`);
      }
    }
    const resolution: TargetResolution = { apps: kept };
    if (notes.length > 0) resolution.notes = notes;
    if (kept.length === 0) resolution.problem = summarise(notes);
    if (retrySoon) resolution.retrySoon = true;
    resolutions.set(index, resolution);
  }
}

/**
 * Only a binding to a user-provided instance opts an app in: that is what a team creates for it. A managed
 * instance of the same name is a service broker's (a database, a message queue), and its binding's credentials
 * (`username`, `password`, ...) are the broker's, not meant for scraping.
 */
function userProvided(binding: CfServiceBinding): boolean {
  return binding.serviceInstanceType === "user-provided";
}

function notUserProvided(type: string | undefined): string {
  if (type === "managed") {
    return "its service instance is a managed one (created by a service broker): only bindings to user-provided service instances count";
  }
  return type === undefined
    ? "the Cloud Controller did not include its service instance, so it is not known to be user-provided: only bindings to user-provided service instances count"
    : `its service instance is of type "${type}": only bindings to user-provided service instances count`;
}
