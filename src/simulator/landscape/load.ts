import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { readGuardedFile } from "../../config/index.js";
import { errorMessage } from "../../errors.js";
import type { AppSpec, InstanceBehaviour, LandscapeSpec } from "../types.js";

const guid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be a lowercase UUID");

const behaviour = z.strictObject({
  upstream: z.url().optional(),
  format: z.enum(["text", "openmetrics"]).optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
  auth: z
    .strictObject({
      basic: z.strictObject({ username: z.string(), password: z.string() }).optional(),
      bearer: z.strictObject({ clientId: z.string().min(1) }).optional(),
    })
    .optional(),
  latencyMs: z.number().nonnegative().optional(),
  state: z.enum(["RUNNING", "CRASHED", "STARTING"]).optional(),
});

const stringMap = z.record(z.string(), z.string());

const app = z.strictObject({
  name: z.string().min(1),
  guid: guid.optional(),
  state: z.enum(["STARTED", "STOPPED"]).optional(),
  instances: z.number().int().nonnegative().optional(),
  routes: z.array(z.string().min(1)).optional(),
  routeMappings: z
    .array(
      z.strictObject({
        url: z.string().min(1),
        process: z.string().min(1).optional(),
        port: z.number().int().min(1).max(65535).optional(),
      }),
    )
    .optional(),
  processes: z
    .array(z.strictObject({ type: z.string().min(1), instances: z.number().int().nonnegative().optional() }))
    .optional(),
  annotations: stringMap.optional(),
  labels: stringMap.optional(),
  metricsPath: z.string().startsWith("/").optional(),
  behaviour: behaviour.optional(),
  instanceBehaviour: z.record(z.string().regex(/^\d+$/, "must be an instance index"), behaviour).optional(),
});

const uaaPolicy = z.strictObject({
  clientAuth: z.enum(["client_secret_basic", "client_secret_post", "both"]).optional(),
  lockout: z
    .strictObject({
      lockoutAfterFailures: z.number().int().min(1),
      countFailuresWithinSeconds: z.number().positive(),
      lockoutPeriodSeconds: z.number().positive(),
    })
    .optional(),
});

const landscapeSchema = z.strictObject({
  domains: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        guid: guid.optional(),
        internal: z.boolean().optional(),
        tcp: z.boolean().optional(),
      }),
    )
    .min(1),
  orgs: z.array(
    z.strictObject({
      name: z.string().min(1),
      guid: guid.optional(),
      spaces: z.array(
        z.strictObject({ name: z.string().min(1), guid: guid.optional(), apps: z.array(app).default([]) }),
      ),
    }),
  ),
  listFaults: z
    .strictObject({
      endlessNext: z.boolean().optional(),
      linkOrigin: z
        .string()
        .regex(/^https?:\/\/[^/]+$/, "must be an origin such as https://localhost:8443")
        .optional(),
      pageDelayMsPerItem: z.number().nonnegative().optional(),
      endlessBodyPaths: z.array(z.string().startsWith("/")).optional(),
      failKeys: z.array(z.string()).optional(),
    })
    .optional(),
  uaa: uaaPolicy.optional(),
  serviceInstances: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        guid: guid.optional(),
        type: z.enum(["user-provided", "managed"]).optional(),
        space: z.string().regex(/^[^/]+\/[^/]+$/, 'must be "org/space"'),
        credentials: z.unknown().optional(),
        bindings: z
          .array(
            z.union([
              z.string().min(1),
              z.strictObject({
                app: z.string().min(1),
                name: z.string().min(1).optional(),
                guid: guid.optional(),
                credentials: z.unknown().optional(),
                lastOperation: z
                  .strictObject({
                    type: z.enum(["create", "delete"]),
                    state: z.enum(["initial", "in progress", "succeeded", "failed"]),
                  })
                  .optional(),
              }),
            ]),
          )
          .optional(),
      }),
    )
    .optional(),
  auditors: z.array(z.string().min(1)).optional(),
});

function check<T>(schema: z.ZodType<T>, input: unknown, source: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    throw new Error(`${source}: ${where}: ${issue.message}`);
  }
  return result.data;
}

/** Validates one app definition (admin addApp). */
export function parseAppSpec(input: unknown): AppSpec {
  return check(app, input, "app") as AppSpec;
}

/** Validates an instance behaviour (admin setInstanceBehaviour). */
export function parseBehaviour(input: unknown): InstanceBehaviour {
  return check(behaviour, input, "behaviour") as InstanceBehaviour;
}

/** Checks the shape of a landscape (from YAML or code) and names the first bad field. */
export function parseLandscape(input: unknown, source = "landscape"): LandscapeSpec {
  return check(landscapeSchema, input, source) as LandscapeSpec;
}

/** Reads a landscape YAML file (same structure as LandscapeSpec). */
export function loadLandscapeFile(path: string): LandscapeSpec {
  const text = readGuardedFile(path, { what: "the landscape file" }).toString("utf8");
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new Error(`landscape file ${path} is not valid YAML: ${errorMessage(err)}`);
  }
  return parseLandscape(data, `landscape file ${path}`);
}
