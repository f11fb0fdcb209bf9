import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CfApiError, createCloudControllerClient } from "../../src/cf/index.js";
import { silentLogger } from "../../src/log.js";
import { type LandscapeSpec, parseLandscape, type RunningSimulator } from "../../src/simulator/index.js";
import { testConfig } from "../cf/fake-cf.js";
import { type Http, startAuthorised, stopAuthorised } from "./helpers.js";

const landscape: LandscapeSpec = {
  domains: [{ name: "apps.example.com" }],
  orgs: [
    {
      name: "acme",
      spaces: [{ name: "prod", apps: [{ name: "shop" }, { name: "cart" }, { name: "quiet" }] }],
    },
  ],
  serviceInstances: [
    {
      name: "metrics-endpoint",
      space: "acme/prod",
      credentials: { path: "/custom" },
      bindings: ["shop", { app: "cart", name: "cart-binding", credentials: "not an object" }],
    },
    { name: "db", space: "acme/prod", bindings: ["quiet"] },
  ],
  auditors: ["auditor"],
};

let sim: RunningSimulator;
let http: Http;
let auth: Record<string, string>;

beforeAll(async () => {
  ({ sim, http, auth } = await startAuthorised({
    landscape,
    users: [
      { username: "admin", password: "admin" },
      { username: "auditor", password: "auditor" },
    ],
  }));
});

afterAll(async () => {
  await stopAuthorised(sim, http);
});

const client = (username = "admin") =>
  createCloudControllerClient({
    config: testConfig(sim.apiUrl, { username, password: username }),
    logger: silentLogger,
    ca: sim.caPem,
  });

describe("simulated service instances and bindings", () => {
  it("lists app bindings by instance name with the documented shape and includes", async () => {
    const answer = await http.get(
      `${sim.apiUrl}/v3/service_credential_bindings?type=app&service_instance_names=metrics-endpoint&include=app,service_instance`,
      auth,
    );
    expect(answer.status).toBe(200);
    const shop = sim.admin.findApp("shop")?.guid;
    expect(answer.json.resources).toHaveLength(2);
    expect(answer.json.resources[0]).toMatchObject({
      type: "app",
      name: null,
      last_operation: { type: "create", state: "succeeded" },
      relationships: { app: { data: { guid: shop } } },
    });
    expect(answer.json.resources[0].links.details.href).toMatch(/\/details$/);
    expect(answer.json.included.apps.map((a: { name: string }) => a.name).sort()).toEqual(["cart", "shop"]);
    expect(answer.json.included.service_instances).toHaveLength(1);
    expect(answer.json.included.service_instances[0]).toMatchObject({
      name: "metrics-endpoint",
      type: "user-provided",
    });
  });

  it("filters by service instance guids and app guids, and refuses an unknown type like CC", async () => {
    const list = await http.get(`${sim.apiUrl}/v3/service_instances?names=db`, auth);
    const db = list.json.resources[0].guid as string;
    const byInstance = await http.get(
      `${sim.apiUrl}/v3/service_credential_bindings?service_instance_guids=${db}`,
      auth,
    );
    expect(
      byInstance.json.resources.map(
        (b: { relationships: { app: { data: { guid: string } } } }) => b.relationships.app.data.guid,
      ),
    ).toEqual([sim.admin.findApp("quiet")?.guid]);
    const byApp = await http.get(
      `${sim.apiUrl}/v3/service_credential_bindings?app_guids=${sim.admin.findApp("shop")?.guid}`,
      auth,
    );
    expect(byApp.json.resources).toHaveLength(1);
    const bad = await http.get(`${sim.apiUrl}/v3/service_credential_bindings?type=route`, auth);
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].detail).toBe(
      "The query parameter is invalid: Type must be one of 'app', 'key'",
    );
  });

  it("serves the Promregator client: bindings, then each binding's credentials", async () => {
    const c = client();
    try {
      const bindings = await c.listAppBindings({ serviceInstanceNames: ["metrics-endpoint"] });
      expect(bindings.map((b) => b.name)).toEqual([undefined, "cart-binding"]);
      expect((await c.getBindingDetails(bindings[0].guid)).credentials).toEqual({ path: "/custom" });
      expect((await c.getBindingDetails(bindings[1].guid)).credentials).toBe("not an object");
    } finally {
      await c.close();
    }
  });

  it("answers an auditor 404 on binding details and 403 on instance credentials, as CC does", async () => {
    const c = client("auditor");
    try {
      const [binding] = await c.listAppBindings({ serviceInstanceNames: ["metrics-endpoint"] });
      const error = await c.getBindingDetails(binding.guid).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CfApiError);
      expect(error).toMatchObject({ status: 404, title: "CF-ResourceNotFound" });
    } finally {
      await c.close();
    }
    const token = await http.post(
      `${sim.uaaUrl}/oauth/token`,
      new URLSearchParams({ grant_type: "password", username: "auditor", password: "auditor" }).toString(),
      {
        authorization: `Basic ${Buffer.from("cf:").toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
    );
    const instances = await http.get(`${sim.apiUrl}/v3/service_instances`, auth);
    const guid = instances.json.resources[0].guid as string;
    const answer = await http.get(`${sim.apiUrl}/v3/service_instances/${guid}/credentials`, {
      authorization: `bearer ${token.json.access_token}`,
    });
    expect(answer.status).toBe(403);
    expect(answer.json.errors[0].title).toBe("CF-NotAuthorized");
    expect((await http.get(`${sim.apiUrl}/v3/service_instances/${guid}/credentials`, auth)).json).toEqual({
      path: "/custom",
    });
  });

  it("binds and unbinds through the admin API", async () => {
    const shop = sim.admin.findApp("shop");
    if (!shop) throw new Error("no shop");
    const instance = sim.admin.addServiceInstance(shop.spaceGuid, {
      name: "later",
      credentials: { path: "/p" },
    });
    const binding = sim.admin.bindService(instance, shop.guid);
    const c = client();
    try {
      expect((await c.listAppBindings({ serviceInstanceNames: ["later"] })).map((b) => b.guid)).toEqual([
        binding,
      ]);
      sim.admin.unbindService(binding);
      expect(await c.listAppBindings({ serviceInstanceNames: ["later"] })).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it("holds managed instances: CC's managed shape in the list and in include=service_instance, no credentials endpoint", async () => {
    const quiet = sim.admin.findApp("quiet");
    if (!quiet) throw new Error("no quiet");
    const instance = sim.admin.addServiceInstance(quiet.spaceGuid, {
      name: "broker-db",
      type: "managed",
      credentials: { username: "db-user", password: "db-pw" },
    });
    const binding = sim.admin.bindService(instance, quiet.guid);
    try {
      const list = await http.get(`${sim.apiUrl}/v3/service_instances?type=managed`, auth);
      expect(list.json.resources.map((r: { name: string }) => r.name)).toEqual(["broker-db"]);
      const managed = list.json.resources[0];
      expect(managed).toMatchObject({ type: "managed", upgrade_available: false, dashboard_url: null });
      expect(managed.relationships.service_plan.data.guid).toMatch(/^[0-9a-f-]{36}$/);
      expect(managed.links.credentials).toBeUndefined();
      expect(managed.syslog_drain_url).toBeUndefined();
      const ups = await http.get(`${sim.apiUrl}/v3/service_instances?type=user-provided`, auth);
      const upsNames = ups.json.resources.map((r: { name: string }) => r.name);
      expect(upsNames).toContain("metrics-endpoint");
      expect(upsNames).not.toContain("broker-db");

      const bindings = await http.get(
        `${sim.apiUrl}/v3/service_credential_bindings?service_instance_names=broker-db&include=service_instance`,
        auth,
      );
      expect(bindings.json.included.service_instances).toEqual([managed]);
      const credentials = await http.get(`${sim.apiUrl}/v3/service_instances/${instance}/credentials`, auth);
      expect(credentials.status).toBe(404);
      // The binding itself carries the broker's credentials, as a managed binding does.
      const details = await http.get(`${sim.apiUrl}/v3/service_credential_bindings/${binding}/details`, auth);
      expect(details.json.credentials).toEqual({ username: "db-user", password: "db-pw" });
      const c = client();
      try {
        const [read] = await c.listAppBindings({ serviceInstanceNames: ["broker-db"] });
        expect(read).toMatchObject({ guid: binding, serviceInstanceType: "managed" });
      } finally {
        await c.close();
      }
    } finally {
      sim.admin.unbindService(binding);
    }
  });

  it("includes each page's service instances once, paged with the resources, and refuses an invalid include", async () => {
    const shop = sim.admin.findApp("shop");
    if (!shop) throw new Error("no shop");
    const other = sim.admin.addServiceInstance(shop.spaceGuid, { name: "paged", credentials: {} });
    const binding = sim.admin.bindService(other, shop.guid);
    try {
      const url = `${sim.apiUrl}/v3/service_credential_bindings?service_instance_names=metrics-endpoint,paged&include=service_instance`;
      const all = await http.get(url, auth);
      expect(all.json.resources).toHaveLength(3);
      // Two bindings of metrics-endpoint on the page: their instance is included once.
      expect(all.json.included.service_instances.map((i: { name: string }) => i.name)).toEqual([
        "metrics-endpoint",
        "paged",
      ]);
      const first = await http.get(`${url}&per_page=2`, auth);
      expect(first.json.included.service_instances.map((i: { name: string }) => i.name)).toEqual([
        "metrics-endpoint",
      ]);
      const second = await http.get(first.json.pagination.next.href, auth);
      expect(second.json.included.service_instances.map((i: { name: string }) => i.name)).toEqual(["paged"]);
    } finally {
      sim.admin.unbindService(binding);
    }
    const bad = await http.get(`${sim.apiUrl}/v3/service_credential_bindings?include=space`, auth);
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].title).toBe("CF-BadQueryParameter");
    expect(bad.json.errors[0].detail).toBe(
      "The query parameter is invalid: Invalid included resource: 'space'. Valid included resources are: 'app', 'service_instance'",
    );
  });

  it("answers 404 on the details of a binding whose creation has not succeeded, as CC does", async () => {
    const shop = sim.admin.findApp("shop");
    if (!shop) throw new Error("no shop");
    const instance = sim.admin.addServiceInstance(shop.spaceGuid, { name: "slow-broker", type: "managed" });
    const creating = sim.admin.bindService(instance, shop.guid, {
      lastOperation: { type: "create", state: "in progress" },
    });
    try {
      const list = await http.get(`${sim.apiUrl}/v3/service_credential_bindings?guids=${creating}`, auth);
      expect(list.json.resources[0].last_operation).toMatchObject({ type: "create", state: "in progress" });
      const details = await http.get(
        `${sim.apiUrl}/v3/service_credential_bindings/${creating}/details`,
        auth,
      );
      expect(details.status).toBe(404);
    } finally {
      sim.admin.unbindService(creating);
    }
  });

  it("refuses a landscape service instance of an unknown type", () => {
    expect(() =>
      parseLandscape({
        ...landscape,
        serviceInstances: [{ name: "x", space: "acme/prod", type: "brokered" }],
      }),
    ).toThrow();
  });

  it("refuses a service instance space that is not written org/space", () => {
    expect(() => parseLandscape({ ...landscape, serviceInstances: [{ name: "x", space: "acme" }] })).toThrow(
      'must be "org/space"',
    );
  });
});
