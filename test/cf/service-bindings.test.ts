import { describe, expect, it } from "vitest";
import { CfApiError } from "../../src/cf/index.js";
import { authorised, cfError, json, page, useFakeCf } from "./fake-cf.js";

const cf = useFakeCf();

/** A service instance as CC includes it (api_resources/_service_instances.erb), user-provided or managed. */
function serviceInstance(guid: string, type: "user-provided" | "managed"): Record<string, unknown> {
  const common = {
    guid,
    created_at: "2020-03-10T15:49:29Z",
    updated_at: "2020-03-10T15:49:29Z",
    name: "metrics-endpoint",
    tags: [],
    type,
    metadata: { labels: {}, annotations: {} },
  };
  return type === "managed"
    ? {
        ...common,
        maintenance_info: { version: "1.0.0" },
        upgrade_available: false,
        dashboard_url: null,
        last_operation: { type: "create", state: "succeeded", description: "" },
        relationships: { service_plan: { data: { guid: "plan-1" } }, space: { data: { guid: "space-1" } } },
      }
    : {
        ...common,
        syslog_drain_url: null,
        route_service_url: null,
        relationships: { space: { data: { guid: "space-1" } } },
      };
}

/** A list resource shaped like the CC v3 docs' app binding example. */
function appBinding(
  guid: string,
  appGuid: string,
  lastOperation: unknown = null,
  instanceGuid = "si-1",
): unknown {
  return {
    guid,
    created_at: "2020-03-10T15:49:29Z",
    updated_at: "2020-03-10T15:49:29Z",
    name: null,
    type: "app",
    last_operation: lastOperation,
    metadata: { labels: {}, annotations: {} },
    relationships: {
      app: { data: { guid: appGuid } },
      service_instance: { data: { guid: instanceGuid } },
    },
    links: { self: { href: `https://api.example.org/v3/service_credential_bindings/${guid}` } },
  };
}

describe("service credential bindings", () => {
  it("lists app bindings by service instance name, type=app, following pages", async () => {
    cf.fake.on("GET /v3/service_credential_bindings", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      const p = Number(req.query.get("page") ?? "1");
      const next = p < 2 ? `${f.url}/v3/service_credential_bindings?page=2&per_page=1000` : undefined;
      const op = { type: "create", state: "succeeded", created_at: "x", updated_at: "x" };
      json(res, 200, page([appBinding(`b${p}`, `app${p}`, p === 2 ? op : null)], next, 2));
    });
    const bindings = await cf.client().listAppBindings({ serviceInstanceNames: ["metrics, endpoint"] });
    expect(bindings).toEqual([
      { guid: "b1", appGuid: "app1", serviceInstanceGuid: "si-1" },
      {
        guid: "b2",
        appGuid: "app2",
        serviceInstanceGuid: "si-1",
        lastOperation: { type: "create", state: "succeeded" },
      },
    ]);
    const [first] = cf.fake.requestsTo("/v3/service_credential_bindings");
    expect(first.query.get("type")).toBe("app");
    // A comma inside a name reaches CC escaped, so that it is not read as two names.
    expect(first.rawQuery).toContain("service_instance_names=metrics%252C%20endpoint");
  });

  it("asks for include=service_instance and reads each binding's instance type from its page's included block", async () => {
    cf.fake.on("GET /v3/service_credential_bindings", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      const p = Number(req.query.get("page") ?? "1");
      const next = p < 2 ? `${f.url}/v3/service_credential_bindings?page=2&per_page=1000` : undefined;
      // Each page includes only the instances of its own bindings, each once.
      const body =
        p === 1
          ? page([appBinding("b1", "app1", null, "ups"), appBinding("b2", "app2", null, "ups")], next, 2)
          : page([appBinding("b3", "app3", null, "broker"), appBinding("b4", "app4", null, "gone")], next, 2);
      const included =
        p === 1 ? [serviceInstance("ups", "user-provided")] : [serviceInstance("broker", "managed")];
      json(res, 200, { ...(body as object), included: { service_instances: included } });
    });
    const bindings = await cf.client().listAppBindings({ serviceInstanceNames: ["metrics-endpoint"] });
    expect(bindings.map((b) => [b.guid, b.serviceInstanceType])).toEqual([
      ["b1", "user-provided"],
      ["b2", "user-provided"],
      ["b3", "managed"],
      ["b4", undefined],
    ]);
    const [first] = cf.fake.requestsTo("/v3/service_credential_bindings");
    expect(first.query.get("include")).toBe("service_instance");
  });

  it("fails a list whose included service instance has no type, naming where", async () => {
    cf.fake.on("GET /v3/service_credential_bindings", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      const instance = serviceInstance("si-1", "managed");
      delete instance.type;
      json(res, 200, {
        ...(page([appBinding("b1", "a")]) as object),
        included: { service_instances: [instance] },
      });
    });
    const error = await cf
      .client()
      .listAppBindings({ serviceInstanceNames: ["x"] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CfApiError);
    expect((error as Error).message).toContain(
      "included.service_instances[0].type should be a string but is missing",
    );
  });

  it("fails a list whose binding has no app relationship, naming where", async () => {
    cf.fake.on("GET /v3/service_credential_bindings", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      const broken = appBinding("b1", "a") as { relationships: Record<string, unknown> };
      delete broken.relationships.app;
      json(res, 200, page([broken]));
    });
    const error = await cf
      .client()
      .listAppBindings({ serviceInstanceNames: ["x"] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CfApiError);
    expect((error as Error).message).toContain("resources[0].relationships.app should be an object");
  });

  it("reads a binding's credentials from its details", async () => {
    cf.fake.on("GET /v3/service_credential_bindings/b1/details", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      json(res, 200, {
        credentials: { path: "/m", password: "p" },
        syslog_drain_url: null,
        volume_mounts: [],
      });
    });
    expect(await cf.client().getBindingDetails("b1")).toEqual({ credentials: { path: "/m", password: "p" } });
  });

  it("answers an auditor's 404 as a CfApiError with the status, asked once", async () => {
    cf.fake.on("GET /v3/service_credential_bindings/b1/details", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      cfError(res, 404, "CF-ResourceNotFound", 10010, "Service credential binding not found");
    });
    const error = await cf
      .client()
      .getBindingDetails("b1")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "http", status: 404, resource: "bindingDetails" });
    expect(cf.fake.requestsTo("/v3/service_credential_bindings/b1/details")).toHaveLength(1);
  });

  it("rejects details without credentials and never puts the body in the message", async () => {
    cf.fake.on("GET /v3/service_credential_bindings/b1/details", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      json(res, 200, { credential: { password: "hunter2-secret" } });
    });
    const error = await cf
      .client()
      .getBindingDetails("b1")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "malformed" });
    expect((error as Error).message).toContain("credentials is missing");
    expect((error as Error).message).not.toContain("hunter2");
  });
});
