import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLandscape, type RunningSimulator } from "../../src/simulator/index.js";
import { type Http, startAuthorised, stopAuthorised } from "./helpers.js";

/** 2 orgs x 6 spaces x 1000 apps = 12,000 apps. */
const landscape = generateLandscape({ orgs: 2, spacesPerOrg: 6, appsPerSpace: 1000, instances: 2 });
const allAppGuids = landscape.orgs.flatMap((o) => o.spaces.flatMap((s) => s.apps.map((a) => a.guid!)));

describe("CC list paging on a 12,000-app landscape", () => {
  let sim: RunningSimulator;
  let http: Http;
  let auth: Record<string, string>;

  beforeAll(async () => {
    ({ sim, http, auth } = await startAuthorised({ landscape }));
  });
  afterAll(() => stopAuthorised(sim, http));

  it("serves 3 pages of 5000 by following next, each guid exactly once", async () => {
    const seen: string[] = [];
    let url: string | null = `${sim.apiUrl}/v3/apps?per_page=5000`;
    const pageSizes: number[] = [];
    while (url) {
      const answer = await http.get(url, auth);
      expect(answer.status).toBe(200);
      expect(answer.json.pagination.total_results).toBe(12_000);
      expect(answer.json.pagination.total_pages).toBe(3);
      pageSizes.push(answer.json.resources.length);
      for (const r of answer.json.resources) seen.push(r.guid);
      url = answer.json.pagination.next?.href ?? null;
    }
    expect(pageSizes).toEqual([5000, 5000, 2000]);
    expect(new Set(seen).size).toBe(12_000);
    expect([...seen].sort()).toEqual([...allAppGuids].sort());
  });

  it("writes absolute, alphabetically sorted links that keep the filters", async () => {
    const org1 = landscape.orgs[0].guid!;
    const first = await http.get(`${sim.apiUrl}/v3/apps?per_page=5000&organization_guids=${org1}`, auth);
    const p = first.json.pagination;
    expect(p.total_results).toBe(6000);
    expect(p.first.href).toBe(`${sim.apiUrl}/v3/apps?organization_guids=${org1}&page=1&per_page=5000`);
    expect(p.last.href).toBe(`${sim.apiUrl}/v3/apps?organization_guids=${org1}&page=2&per_page=5000`);
    expect(p.next.href).toBe(p.last.href);
    expect(p.previous).toBeNull();
    const second = await http.get(p.next.href, auth);
    expect(second.json.resources).toHaveLength(1000);
    expect(second.json.pagination.next).toBeNull();
    expect(second.json.pagination.previous.href).toBe(p.first.href);
    const spaceGuidsOfOrg1 = new Set(landscape.orgs[0].spaces.map((s) => s.guid));
    for (const r of second.json.resources)
      expect(spaceGuidsOfOrg1.has(r.relationships.space.data.guid)).toBe(true);
  });

  it("defaults to 50 per page and answers a page past the end with an empty 200", async () => {
    const first = await http.get(`${sim.apiUrl}/v3/processes`, auth);
    expect(first.json.resources).toHaveLength(50);
    expect(first.json.pagination.total_pages).toBe(240);
    const beyond = await http.get(`${sim.apiUrl}/v3/apps?per_page=5000&page=4`, auth);
    expect(beyond.status).toBe(200);
    expect(beyond.json.resources).toEqual([]);
    expect(beyond.json.pagination.next).toBeNull();
    expect(beyond.json.pagination.previous.href).toBe(`${sim.apiUrl}/v3/apps?page=3&per_page=5000`);
  });

  it("reports an empty result as one page", async () => {
    const answer = await http.get(`${sim.apiUrl}/v3/apps?names=no-such-app`, auth);
    expect(answer.status).toBe(200);
    expect(answer.json.pagination).toMatchObject({
      total_results: 0,
      total_pages: 1,
      next: null,
      previous: null,
    });
    expect(answer.json.pagination.last.href).toBe(
      `${sim.apiUrl}/v3/apps?names=no-such-app&page=1&per_page=50`,
    );
  });

  it("rejects per_page=5001 with CC's exact error body", async () => {
    const answer = await http.get(`${sim.apiUrl}/v3/apps?per_page=5001`, auth);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      errors: [
        {
          detail: "The query parameter is invalid: Per page must be between 1 and 5000",
          title: "CF-BadQueryParameter",
          code: 10005,
        },
      ],
    });
  });

  it("rejects bad page, per_page, order_by and unknown parameters", async () => {
    const both = await http.get(`${sim.apiUrl}/v3/apps?page=0&per_page=abc`, auth);
    expect(both.status).toBe(400);
    expect(both.json.errors[0].detail).toBe(
      "The query parameter is invalid: Page must be a positive integer, Per page must be a positive integer",
    );
    const order = await http.get(`${sim.apiUrl}/v3/processes?order_by=name`, auth);
    expect(order.json.errors[0].detail).toBe(
      "The query parameter is invalid: Order by can only be: 'created_at', 'updated_at'",
    );
    const unknown = await http.get(`${sim.apiUrl}/v3/routes?foo=1`, auth);
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors[0].detail).toMatch(
      /^The query parameter is invalid: Unknown query parameter\(s\): 'foo'\. Valid parameters are: .*'app_guids'/,
    );
    const include = await http.get(`${sim.apiUrl}/v3/apps?include=droplet`, auth);
    expect(include.json.errors[0].detail).toBe(
      "The query parameter is invalid: Invalid included resource: 'droplet'. Valid included resources are: 'space', 'space.organization'",
    );
  });

  it("batches processes and routes by app_guids", async () => {
    const batch = allAppGuids.slice(4990, 5090);
    const processes = await http.get(
      `${sim.apiUrl}/v3/processes?app_guids=${batch.join(",")}&types=web&per_page=5000`,
      auth,
    );
    expect(processes.json.resources).toHaveLength(100);
    expect(
      new Set(
        processes.json.resources.map(
          (p: { relationships: { app: { data: { guid: string } } } }) => p.relationships.app.data.guid,
        ),
      ),
    ).toEqual(new Set(batch));
    expect(
      processes.json.resources.every(
        (p: { instances: number; type: string }) => p.instances === 2 && p.type === "web",
      ),
    ).toBe(true);
    const routes = await http.get(`${sim.apiUrl}/v3/routes?app_guids=${batch.join(",")}&per_page=5000`, auth);
    expect(routes.json.resources).toHaveLength(100);
    const routeApps = routes.json.resources.map(
      (r: { destinations: { app: { guid: string } }[] }) => r.destinations[0].app.guid,
    );
    expect(new Set(routeApps)).toEqual(new Set(batch));
  });

  it("orders by name descending when asked", async () => {
    const answer = await http.get(`${sim.apiUrl}/v3/apps?order_by=-name&per_page=3`, auth);
    const names = answer.json.resources.map((r: { name: string }) => r.name);
    expect(names).toEqual([...names].sort().reverse());
    expect(names[0]).toBe("app-2-6-999");
  });
});
