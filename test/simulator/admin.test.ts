import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLandscape, type RunningSimulator } from "../../src/simulator/index.js";
import { bearer, type Http, startAuthorised, stopAuthorised } from "./helpers.js";

const landscape = generateLandscape({ orgs: 1, spacesPerOrg: 2, appsPerSpace: 2, instances: 2 });

describe("admin HTTP API", () => {
  let sim: RunningSimulator;
  let http: Http;
  let auth: Record<string, string>;
  const admin = async (method: "GET" | "POST" | "DELETE", path: string, body?: unknown) => {
    const res = await request(`${sim.apiUrl}/admin${path}`, {
      method,
      dispatcher: http.agent,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
    return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
  };
  const scrapeStatus = async (host: string, headers: Record<string, string> = {}) => {
    const res = await request(`${sim.routerUrl}/metrics`, { headers: { host, ...headers } });
    await res.body.dump();
    return res.statusCode;
  };

  beforeAll(async () => {
    ({ sim, http, auth } = await startAuthorised({ landscape }));
  });
  afterAll(() => stopAuthorised(sim, http));

  it("finds, scales and stops apps", async () => {
    const found = await admin("GET", "/apps?name=app-1-1-2");
    expect(found.status).toBe(200);
    const appGuid = found.json.guid as string;
    expect(found.json.spaceGuid).toBe(landscape.orgs[0].spaces[0].guid);
    expect((await admin("POST", `/apps/${appGuid}/scale`, { instances: 4 })).status).toBe(200);
    const processes = await http.get(`${sim.apiUrl}/v3/apps/${appGuid}/processes`, auth);
    expect(processes.json.resources[0].instances).toBe(4);
    expect(await scrapeStatus("app-1-1-2.apps.example.org", { "x-cf-app-instance": `${appGuid}:3` })).toBe(
      200,
    );
    expect((await admin("POST", `/apps/${appGuid}/state`, { state: "STOPPED" })).status).toBe(200);
    expect((await http.get(`${sim.apiUrl}/v3/apps/${appGuid}`, auth)).json.state).toBe("STOPPED");
    expect(await scrapeStatus("app-1-1-2.apps.example.org")).toBe(503);
  });

  it("adds and removes apps", async () => {
    const spaceGuid = landscape.orgs[0].spaces[1].guid!;
    const added = await admin("POST", `/spaces/${spaceGuid}/apps`, { name: "late-app", instances: 1 });
    expect(added.status).toBe(200);
    const guid = added.json.guid as string;
    const apps = await http.get(`${sim.apiUrl}/v3/apps?space_guids=${spaceGuid}`, auth);
    expect(apps.json.resources.map((a: { name: string }) => a.name)).toEqual([
      "app-1-2-1",
      "app-1-2-2",
      "late-app",
    ]);
    expect(await scrapeStatus("late-app.apps.example.org")).toBe(200);
    expect((await admin("DELETE", `/apps/${guid}`)).status).toBe(200);
    expect((await http.get(`${sim.apiUrl}/v3/apps/${guid}`, auth)).status).toBe(404);
    expect((await http.get(`${sim.apiUrl}/v3/routes?app_guids=${guid}`, auth)).json.resources).toEqual([]);
    expect(await scrapeStatus("late-app.apps.example.org")).toBe(503);
  });

  it("sets instance behaviour, failures and counters", async () => {
    const appGuid = sim.admin.findApp("app-1-1-1")!.guid;
    await admin("POST", `/apps/${appGuid}/instances/1/behaviour`, { state: "CRASHED" });
    expect(await scrapeStatus("app-1-1-1.apps.example.org", { "x-cf-app-instance": `${appGuid}:1` })).toBe(
      502,
    );
    await admin("POST", "/counters/reset");
    await admin("POST", "/failures", { count: 1, status: 503 });
    expect((await http.get(`${sim.apiUrl}/v3/apps`, auth)).status).toBe(503);
    expect((await http.get(`${sim.apiUrl}/v3/apps`, auth)).status).toBe(200);
    const counters = await admin("GET", "/counters");
    expect(counters.json).toMatchObject({ ccRequests: 2, byPath: { "/v3/apps": 2 } });
  });

  it("takes the whole API down and brings it back (outage)", async () => {
    expect((await admin("POST", "/outage", { outage: "unavailable" })).status).toBe(200);
    expect((await http.get(`${sim.apiUrl}/v3/organizations`, auth)).status).toBe(503);
    expect((await admin("POST", "/outage", { outage: "down" })).json.error).toMatch(/outage must be one of/);
    expect((await admin("POST", "/outage", {})).status).toBe(200);
    expect((await http.get(`${sim.apiUrl}/v3/organizations`, auth)).status).toBe(200);
  });

  it("revokes tokens and reports bad input as 400 with the reason", async () => {
    expect((await admin("POST", "/revoke")).status).toBe(200);
    expect((await http.get(`${sim.apiUrl}/v3/apps`, auth)).status).toBe(401);
    auth = await bearer(http, sim);
    const badScale = await admin("POST", `/apps/${sim.admin.findApp("app-1-1-1")!.guid}/scale`, {
      instances: -2,
    });
    expect(badScale.status).toBe(400);
    expect(badScale.json.error).toMatch(/instances must be a non-negative integer/);
    const unknownApp = await admin("POST", "/apps/nope/state", { state: "STARTED" });
    expect(unknownApp.json.error).toBe("app 'nope' does not exist");
    const badApp = await admin("POST", `/spaces/${landscape.orgs[0].spaces[0].guid}/apps`, { instances: 1 });
    expect(badApp.status).toBe(400);
    expect(badApp.json.error).toMatch(/^app: name:/);
    expect((await admin("GET", "/nothing")).status).toBe(404);
  });
});
