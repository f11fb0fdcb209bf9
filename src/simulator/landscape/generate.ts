import { deriveGuid } from "../guid.js";
import type { AppSpec, LandscapeSpec, MetricsFormat, OrgSpec, SpaceSpec } from "../types.js";

export interface GeneratedLandscapeSpec {
  orgs: number;
  spacesPerOrg: number;
  appsPerSpace: number;
  instances: number;
  format?: MetricsFormat;
  sizeBytes?: number;
}

/** Shared domain of generated landscapes; apps get the route `<app name>.apps.example.org`. */
export const GENERATED_SHARED_DOMAIN = "apps.example.org";
export const GENERATED_INTERNAL_DOMAIN = "apps.internal";

/**
 * A landscape of orgs org-1..N, spaces space-<o>-<s> and apps app-<o>-<s>-<a>, all STARTED with the same
 * instance count. Guids are derived from the names, so two calls with the same numbers are identical.
 */
export function generateLandscape(spec: GeneratedLandscapeSpec): LandscapeSpec {
  for (const key of ["orgs", "spacesPerOrg", "appsPerSpace", "instances"] as const) {
    const value = spec[key];
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`generateLandscape: ${key} must be a non-negative integer, got ${String(value)}`);
    }
  }
  const behaviour = {
    ...(spec.format ? { format: spec.format } : {}),
    ...(spec.sizeBytes !== undefined ? { sizeBytes: spec.sizeBytes } : {}),
  };
  const orgs: OrgSpec[] = [];
  for (let o = 1; o <= spec.orgs; o++) {
    const orgName = `org-${o}`;
    const spaces: SpaceSpec[] = [];
    for (let s = 1; s <= spec.spacesPerOrg; s++) {
      const spaceName = `space-${o}-${s}`;
      const apps: AppSpec[] = [];
      for (let a = 1; a <= spec.appsPerSpace; a++) {
        const name = `app-${o}-${s}-${a}`;
        apps.push({
          name,
          guid: deriveGuid("app", `${orgName}/${spaceName}/${name}`),
          state: "STARTED",
          instances: spec.instances,
          routes: [`${name}.${GENERATED_SHARED_DOMAIN}`],
          behaviour: { ...behaviour },
        });
      }
      spaces.push({ name: spaceName, guid: deriveGuid("space", `${orgName}/${spaceName}`), apps });
    }
    orgs.push({ name: orgName, guid: deriveGuid("org", orgName), spaces });
  }
  return {
    domains: [
      { name: GENERATED_SHARED_DOMAIN, guid: deriveGuid("domain", GENERATED_SHARED_DOMAIN) },
      {
        name: GENERATED_INTERNAL_DOMAIN,
        guid: deriveGuid("domain", GENERATED_INTERNAL_DOMAIN),
        internal: true,
      },
    ],
    orgs,
  };
}
