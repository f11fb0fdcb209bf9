import { randomUUID } from "node:crypto";
import type { InstanceIdentity } from "./types.js";

export interface ReadIdentityOptions {
  /** Told about ignored, malformed variables; the process keeps running without them. */
  onProblem?: (message: string) => void;
  /** Source of the process id; injectable for tests. */
  randomId?: () => string;
}

/**
 * Who we are, from the Cloud Foundry environment. CF_INSTANCE_INDEX / CF_INSTANCE_GUID win over the
 * VCAP_APPLICATION keys because the Docker launcher may not add instance_index/instance_id there.
 */
export function readInstanceIdentity(
  env: Readonly<Record<string, string | undefined>>,
  options: ReadIdentityOptions = {},
): InstanceIdentity {
  const problem = options.onProblem ?? (() => {});
  const identity: InstanceIdentity = { processId: (options.randomId ?? randomUUID)() };
  const vcap = parseVcapApplication(env.VCAP_APPLICATION, problem);

  setString(identity, "appName", vcap.application_name ?? vcap.name);
  setString(identity, "appId", vcap.application_id);
  setString(identity, "spaceName", vcap.space_name);
  setString(identity, "orgName", vcap.organization_name);

  const index =
    parseIndex(env.CF_INSTANCE_INDEX, "CF_INSTANCE_INDEX", problem) ??
    parseIndex(env.INSTANCE_INDEX, "INSTANCE_INDEX", problem) ??
    parseIndex(vcap.instance_index, "VCAP_APPLICATION.instance_index", problem);
  if (index !== undefined) identity.instanceIndex = index;

  setString(identity, "instanceGuid", env.CF_INSTANCE_GUID || env.INSTANCE_GUID || vcap.instance_id);
  return identity;
}

function parseVcapApplication(
  raw: string | undefined,
  problem: (message: string) => void,
): Record<string, unknown> {
  if (raw === undefined || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // The parser's message quotes the input; say only what is wrong.
    problem("VCAP_APPLICATION is not valid JSON; ignoring it");
    return {};
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    problem("VCAP_APPLICATION is not a JSON object; ignoring it");
    return {};
  }
  return parsed as Record<string, unknown>;
}

function parseIndex(value: unknown, name: string, problem: (message: string) => void): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = typeof value === "number" ? value : Number(String(value).trim());
  if (Number.isInteger(n) && n >= 0) return n;
  problem(`${name} is not a non-negative integer; ignoring it`);
  return undefined;
}

type StringKeys = "appName" | "appId" | "spaceName" | "orgName" | "instanceGuid";

function setString(identity: InstanceIdentity, key: StringKeys, value: unknown): void {
  if (typeof value === "string" && value !== "") identity[key] = value;
}
