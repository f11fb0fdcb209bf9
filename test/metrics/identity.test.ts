import { describe, expect, it } from "vitest";
import { readInstanceIdentity } from "../../src/metrics/index.js";

const VCAP_APPLICATION = JSON.stringify({
  application_id: "9f1c3b2a-1111-4a5b-9c8d-0123456789ab",
  application_name: "promregator",
  application_uris: ["promregator.apps.example.com"],
  cf_api: "https://api.sys.example.com",
  limits: { disk: 1024, fds: 16384, mem: 1024 },
  name: "promregator",
  organization_id: "0b5c1a44-2222-4a5b-9c8d-0123456789ab",
  organization_name: "monitoring",
  process_id: "6a901b7c-3333-4a5b-9c8d-0123456789ab",
  process_type: "web",
  space_id: "2f35885d-4444-4a5b-9c8d-0123456789ab",
  space_name: "prod",
  uris: ["promregator.apps.example.com"],
  users: null,
  instance_id: "41653aa4-3a3a-486a-4431-ef258b39f042",
  instance_index: 1,
  host: "0.0.0.0",
  port: 8080,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("readInstanceIdentity", () => {
  it("reads app, space, org and instance from VCAP_APPLICATION", () => {
    const identity = readInstanceIdentity({ VCAP_APPLICATION });
    expect(identity).toMatchObject({
      appName: "promregator",
      appId: "9f1c3b2a-1111-4a5b-9c8d-0123456789ab",
      spaceName: "prod",
      orgName: "monitoring",
      instanceIndex: 1,
      instanceGuid: "41653aa4-3a3a-486a-4431-ef258b39f042",
    });
    expect(identity.processId).toMatch(UUID);
  });

  it("prefers CF_INSTANCE_INDEX and CF_INSTANCE_GUID over the VCAP_APPLICATION keys", () => {
    const identity = readInstanceIdentity({
      VCAP_APPLICATION,
      CF_INSTANCE_INDEX: "3",
      CF_INSTANCE_GUID: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
    });
    expect(identity.instanceIndex).toBe(3);
    expect(identity.instanceGuid).toBe("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
    expect(identity.appName).toBe("promregator");
  });

  it("gives every process its own random id", () => {
    const a = readInstanceIdentity({});
    const b = readInstanceIdentity({});
    expect(a.processId).toMatch(UUID);
    expect(b.processId).toMatch(UUID);
    expect(a.processId).not.toBe(b.processId);
    expect(readInstanceIdentity({}, { randomId: () => "fixed" }).processId).toBe("fixed");
  });

  it("outside Cloud Foundry has only the process id", () => {
    const identity = readInstanceIdentity({});
    expect(Object.keys(identity)).toEqual(["processId"]);
  });

  it("reports and ignores malformed variables without quoting them", () => {
    const problems: string[] = [];
    const identity = readInstanceIdentity(
      { VCAP_APPLICATION: "{not json secret-ish", CF_INSTANCE_INDEX: "-1" },
      { onProblem: (m) => problems.push(m) },
    );
    expect(identity.appName).toBeUndefined();
    expect(identity.instanceIndex).toBeUndefined();
    expect(problems).toEqual([
      "VCAP_APPLICATION is not valid JSON; ignoring it",
      "CF_INSTANCE_INDEX is not a non-negative integer; ignoring it",
    ]);
    expect(problems.join(" ")).not.toContain("secret-ish");

    const arrayProblems: string[] = [];
    readInstanceIdentity({ VCAP_APPLICATION: "[1,2]" }, { onProblem: (m) => arrayProblems.push(m) });
    expect(arrayProblems).toEqual(["VCAP_APPLICATION is not a JSON object; ignoring it"]);
  });
});
