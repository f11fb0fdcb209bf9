import { deriveGuid } from "../guid.js";
import type { LandscapeSpec } from "../types.js";

/**
 * The landscape as another foundation has it: the guid of every domain, org, space and app that has none is
 * derived from the foundation's name too, so that two simulators of one landscape (two foundations with the same
 * org and app names) share no guid, as two real Cloud Controllers do not. Everything else derives from these
 * (processes, instances, service instances, bindings). Explicit guids are kept. `foundation` is any non-empty name.
 */
export function inFoundation(spec: LandscapeSpec, foundation: string): LandscapeSpec {
  if (foundation === "") throw new Error("inFoundation: the foundation name must not be empty");
  const key = (name: string) => `${foundation}\u0000${name}`;
  return {
    ...spec,
    domains: spec.domains.map((d) => ({ ...d, guid: d.guid ?? deriveGuid("domain", key(d.name)) })),
    orgs: spec.orgs.map((o) => ({
      ...o,
      guid: o.guid ?? deriveGuid("org", key(o.name)),
      spaces: o.spaces.map((s) => ({
        ...s,
        guid: s.guid ?? deriveGuid("space", key(`${o.name}/${s.name}`)),
        apps: s.apps.map((a) => ({
          ...a,
          guid: a.guid ?? deriveGuid("app", key(`${o.name}/${s.name}/${a.name}`)),
        })),
      })),
    })),
  };
}
