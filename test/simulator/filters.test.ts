import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LandscapeSpec, RunningSimulator } from "../../src/simulator/index.js";
import { type Http, startAuthorised, stopAuthorised } from "./helpers.js";

const landscape: LandscapeSpec = {
  domains: [{ name: "apps.example.org" }, { name: "apps.internal", internal: true }],
  orgs: [
    {
      name: "Alpha",
      spaces: [
        {
          name: "Dev",
          apps: [
            {
              name: "Frontend",
              labels: { tier: "web", env: "prod" },
              routes: ["frontend.apps.example.org", "shared.apps.example.org"],
            },
            {
              name: "backend",
              instances: 2,
              labels: { tier: "api" },
              routes: ["shared.apps.example.org", "backend.apps.example.org/api", "backend.apps.internal"],
              instanceBehaviour: { 1: { state: "CRASHED" } },
            },
            { name: "worker", state: "STOPPED", instances: 2 },
          ],
        },
      ],
    },
    { name: "beta", spaces: [{ name: "dev", apps: [{ name: "frontend" }] }] },
  ],
};

interface Resource {
  guid: string;
  name: string;
  [key: string]: unknown;
}
const names = (resources: Resource[]) => resources.map((r) => r.name);

describe("CC filters, includes and nested resources", () => {
  let sim: RunningSimulator;
  let http: Http;
  let auth: Record<string, string>;
  const guid = (name: string) => sim.admin.findApp(name)!.guid;
  const get = async (path: string) => {
    const answer = await http.get(`${sim.apiUrl}${path}`, auth);
    return answer;
  };

  beforeAll(async () => {
    ({ sim, http, auth } = await startAuthorised({ landscape }));
  });
  afterAll(() => stopAuthorised(sim, http));

  it("matches names case-insensitively across orgs", async () => {
    const apps = await get("/v3/apps?names=FRONTEND");
    expect(names(apps.json.resources)).toEqual(["Frontend", "frontend"]);
    const orgs = await get("/v3/organizations?names=ALPHA");
    expect(names(orgs.json.resources)).toEqual(["Alpha"]);
    const alpha = orgs.json.resources[0].guid;
    const spaces = await get(`/v3/spaces?names=dev&organization_guids=${alpha}&include=organization`);
    expect(names(spaces.json.resources)).toEqual(["Dev"]);
    expect(names(spaces.json.included.organizations)).toEqual(["Alpha"]);
  });

  it("includes space.organization de-duplicated", async () => {
    const alpha = (await get("/v3/organizations?names=alpha")).json.resources[0].guid;
    const sameSpace = await get(`/v3/apps?organization_guids=${alpha}&include=space.organization`);
    expect(sameSpace.json.resources).toHaveLength(3);
    expect(names(sameSpace.json.included.spaces)).toEqual(["Dev"]);
    expect(names(sameSpace.json.included.organizations)).toEqual(["Alpha"]);
    const twoOrgs = await get("/v3/apps?names=frontend&include=space.organization");
    expect(names(twoOrgs.json.included.spaces)).toEqual(["Dev", "dev"]);
    expect(names(twoOrgs.json.included.organizations)).toEqual(["Alpha", "beta"]);
    const spaceOnly = await get("/v3/apps?names=frontend&include=space");
    expect(spaceOnly.json.included.organizations).toBeUndefined();
    expect(spaceOnly.json.included.spaces).toHaveLength(2);
  });

  it("filters by label_selector with AND semantics", async () => {
    expect(names((await get("/v3/apps?label_selector=tier=web")).json.resources)).toEqual(["Frontend"]);
    expect(names((await get("/v3/apps?label_selector=tier==api")).json.resources)).toEqual(["backend"]);
    expect(names((await get("/v3/apps?label_selector=tier,env=prod")).json.resources)).toEqual(["Frontend"]);
    expect(names((await get("/v3/apps?label_selector=tier=web,env=dev")).json.resources)).toEqual([]);
    expect(names((await get("/v3/apps?label_selector=!tier")).json.resources)).toEqual([
      "worker",
      "frontend",
    ]);
    expect(
      names((await get(`/v3/apps?label_selector=${encodeURIComponent("tier in (web,api)")}`)).json.resources),
    ).toEqual(["Frontend", "backend"]);
    expect(names((await get("/v3/apps?label_selector=tier!=web")).json.resources)).toEqual([
      "backend",
      "worker",
      "frontend",
    ]);
    const bad = await get(`/v3/apps?label_selector=${encodeURIComponent("a b c")}`);
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].title).toBe("CF-BadQueryParameter");
  });

  it("filters by creation time and rejects operators on other filters", async () => {
    const all = (await get("/v3/apps")).json.resources as { name: string; created_at: string }[];
    const pivot = all[1].created_at;
    const later = await get(`/v3/apps?created_ats[gt]=${pivot}`);
    expect(names(later.json.resources)).toEqual(all.slice(2).map((a) => a.name));
    expect(later.json.pagination.first.href).toContain(`created_ats%5Bgt%5D=${encodeURIComponent(pivot)}`);
    const exact = await get(`/v3/apps?created_ats=${pivot}`);
    expect(names(exact.json.resources)).toEqual([all[1].name]);
    const bad = await get("/v3/apps?names[gt]=x");
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].detail).toContain("Unknown query parameter(s): 'names[gt]'");
    const badTime = await get("/v3/apps?created_ats[lt]=yesterday");
    expect(badTime.status).toBe(400);
  });

  it("filters apps by guids and space, processes by app_guids and types", async () => {
    const front = guid("Frontend");
    const back = guid("backend");
    expect(names((await get(`/v3/apps?guids=${back},${front}`)).json.resources)).toEqual([
      "Frontend",
      "backend",
    ]);
    const procs = await get(`/v3/processes?app_guids=${front},${back}&types=web`);
    expect(
      procs.json.resources.map(
        (p: { relationships: { app: { data: { guid: string } } } }) => p.relationships.app.data.guid,
      ),
    ).toEqual([front, back]);
    expect(procs.json.resources.map((p: { instances: number }) => p.instances)).toEqual([1, 2]);
    expect((await get(`/v3/processes?app_guids=${front}&types=worker`)).json.resources).toEqual([]);
    const nested = await get(`/v3/apps/${back}/processes`);
    expect(nested.json.resources).toHaveLength(1);
    expect(nested.json.resources[0].relationships.app.data.guid).toBe(back);
  });

  it("returns a shared route once with destinations for every app", async () => {
    const front = guid("Frontend");
    const back = guid("backend");
    const routes = await get(`/v3/routes?app_guids=${front},${back}&include=domain`);
    const urls = routes.json.resources.map((r: { url: string }) => r.url);
    expect(urls).toEqual([
      "frontend.apps.example.org",
      "shared.apps.example.org",
      "backend.apps.example.org/api",
      "backend.apps.internal",
    ]);
    const shared = routes.json.resources[1];
    expect(shared.destinations.map((d: { app: { guid: string } }) => d.app.guid)).toEqual([front, back]);
    expect(shared.destinations[0]).toMatchObject({
      app: { process: { type: "web" } },
      port: 8080,
      protocol: "http1",
    });
    const withPath = routes.json.resources[2];
    expect(withPath).toMatchObject({ host: "backend", path: "/api", port: null, protocol: "http" });
    const domains = routes.json.included.domains.map((d: { name: string; internal: boolean }) => [
      d.name,
      d.internal,
    ]);
    expect(domains).toEqual([
      ["apps.example.org", false],
      ["apps.internal", true],
    ]);
    const onlyFront = await get(`/v3/routes?app_guids=${front}`);
    expect(onlyFront.json.resources.map((r: { url: string }) => r.url)).toEqual([
      "frontend.apps.example.org",
      "shared.apps.example.org",
    ]);
    const nested = await get(`/v3/apps/${front}/routes`);
    expect(nested.json.resources).toHaveLength(2);
  });

  it("lists org domains including shared and internal ones", async () => {
    const alpha = (await get("/v3/organizations?names=alpha")).json.resources[0].guid;
    const domains = await get(`/v3/organizations/${alpha}/domains`);
    expect(
      domains.json.resources.map((d: { name: string; internal: boolean }) => [d.name, d.internal]),
    ).toEqual([
      ["apps.example.org", false],
      ["apps.internal", true],
    ]);
    expect((await get("/v3/domains")).json.pagination.total_results).toBe(2);
  });

  it("answers 404 CF-ResourceNotFound for unknown parents", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    const cases: [string, string][] = [
      [`/v3/apps/${unknown}/processes`, "App not found"],
      [`/v3/apps/${unknown}/routes`, "App not found"],
      [`/v3/processes/${unknown}/stats`, "Process not found"],
      [`/v3/organizations/${unknown}/domains`, "Organization not found"],
    ];
    for (const [path, detail] of cases) {
      const answer = await get(path);
      expect(answer.status).toBe(404);
      expect(answer.json).toEqual({ errors: [{ detail, title: "CF-ResourceNotFound", code: 10010 }] });
    }
  });

  it("reports per-instance stats without pagination", async () => {
    const back = guid("backend");
    const web = (await get(`/v3/apps/${back}/processes`)).json.resources[0].guid;
    const stats = await get(`/v3/processes/${web}/stats`);
    expect(stats.json.pagination).toBeUndefined();
    expect(stats.json.resources.map((r: { index: number; state: string }) => [r.index, r.state])).toEqual([
      [0, "RUNNING"],
      [1, "CRASHED"],
    ]);
    expect(stats.json.resources[0].instance_guid).toMatch(/^[0-9a-f-]{36}$/);
    const stopped = guid("worker");
    const viaApp = await get(`/v3/apps/${stopped}/processes/web/stats`);
    expect(viaApp.json.resources).toEqual([
      {
        type: "web",
        index: 0,
        state: "DOWN",
        routable: false,
        uptime: 0,
        isolation_segment: null,
        details: null,
      },
      {
        type: "web",
        index: 1,
        state: "DOWN",
        routable: false,
        uptime: 0,
        isolation_segment: null,
        details: null,
      },
    ]);
  });
});
