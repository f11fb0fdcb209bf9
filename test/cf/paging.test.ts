import { describe, expect, it, vi } from "vitest";
import { CfApiError } from "../../src/cf/index.js";
import { buildQueries, chunkValues, encodeFilterValue, MAX_PAGES } from "../../src/cf/paging.js";
import { authorised, json, org, page, startFakeCf, useFakeCf } from "./fake-cf.js";

const cf = useFakeCf();

const guid = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const newClient = () => cf.client();

describe("query building", () => {
  it("splits long value lists so each query stays under 4 KB and 100 values", () => {
    const guids = Array.from({ length: 250 }, (_, i) => guid(i));
    const queries = buildQueries({ app_guids: guids }, { types: "web" });
    expect(queries).toHaveLength(3);
    for (const q of queries) {
      expect(q.length).toBeLessThan(4096);
      expect(q).toContain("per_page=1000");
      expect(q).toContain("types=web");
    }
    const back = queries.flatMap((q) => new URLSearchParams(q).get("app_guids")!.split(","));
    expect(back).toEqual(guids);
  });

  it("sends guids and other values of unreserved characters as they are, and encodes every other value", () => {
    const plain = "AZaz09-_.!~*'()";
    expect(encodeFilterValue(plain)).toBe(plain);
    expect(encodeFilterValue(guid(7))).toBe(guid(7));
    for (const value of ["a b", "ä", "a,b", "50%", "a/b", "a+b", "x#y&z=1", ""]) {
      expect(encodeFilterValue(value)).toBe(
        encodeURIComponent(value.replace(/%/g, "%25").replace(/,/g, "%2C")),
      );
    }
  });

  it("puts at most 100 values in one request even when they are short", () => {
    const chunks = chunkValues(Array.from({ length: 250 }, (_, i) => `g${i}`));
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
  });

  it("keeps long names within the character budget and encodes commas inside values", () => {
    const names = Array.from({ length: 30 }, (_, i) => `${"n".repeat(200)}-${i}`);
    const chunks = chunkValues(names);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.join(",").length).toBeLessThanOrEqual(3800);
    // CC splits the decoded value on commas, then unescapes each piece: a comma in a name is %2C after
    // the first decoding, %252C on the wire; a literal % likewise.
    const [q] = buildQueries({ names: ["a,b", "c", "50%"] });
    expect(q).toContain("names=a%252Cb,c,50%2525");
  });

  it("returns no query when a filter is an empty list, and one unfiltered query without filters", () => {
    expect(buildQueries({ names: [] })).toEqual([]);
    expect(buildQueries({ names: undefined })).toEqual(["per_page=1000"]);
  });
});

describe("lists", () => {
  it("follows every pagination.next link and concatenates pages in order", async () => {
    const fake = cf.fake;
    fake.on("GET /v3/organizations", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      const p = Number(req.query.get("page") ?? "1");
      const next = p < 3 ? `${f.url}/v3/organizations?page=${p + 1}&per_page=1000` : undefined;
      json(res, 200, page([org(`o${p}a`), org(`o${p}b`)], next, 3));
    });
    const orgs = await newClient().listOrganizations();
    expect(orgs.map((o) => o.guid)).toEqual(["o1a", "o1b", "o2a", "o2b", "o3a", "o3b"]);
    const reqs = fake.requestsTo("/v3/organizations");
    expect(reqs.map((r) => r.query.get("page"))).toEqual([null, "2", "3"]);
    expect(reqs[0]!.query.get("per_page")).toBe("1000");
  });

  it("reads a page, parses its envelope and parses and maps its resources in three turns of the event loop", async () => {
    cf.fake.on("GET /v3/organizations", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      json(res, 200, page([org("marker-org")]));
    });
    const steps: string[] = [];
    let turnPassed = false;
    const step = (name: string) => {
      steps.push(`${name}${steps.length > 0 ? ` (after a turn: ${turnPassed})` : ""}`);
      turnPassed = false;
      setImmediate(() => {
        turnPassed = true;
      });
    };
    const concat = Buffer.concat;
    vi.spyOn(Buffer, "concat").mockImplementation((list, length) => {
      const bytes = concat(list, length);
      if (bytes.includes("marker-org")) step("read");
      return bytes;
    });
    const parse = JSON.parse;
    vi.spyOn(JSON, "parse").mockImplementation((text, reviver) => {
      const value = parse(text, reviver);
      if (typeof text !== "string") return value;
      if (text.includes('"pagination"')) step("envelope");
      else if (text.includes("marker-org")) step("resource");
      return value;
    });
    try {
      expect((await newClient().listOrganizations()).map((o) => o.name)).toEqual(["marker-org"]);
    } finally {
      vi.restoreAllMocks();
    }
    expect(steps).toEqual(["read", "envelope (after a turn: true)", "resource (after a turn: true)"]);
  });

  it("yields the event loop while it maps a page whose resources take longer than a slice", async () => {
    const names = Array.from({ length: 400 }, (_, i) => `org-${i}`);
    cf.fake.on("GET /v3/organizations", (req, res, f) => {
      if (authorised(req, res, f)) json(res, 200, page(names.map((n) => org(n))));
    });
    // A counter that a chain of immediates advances once per turn of the event loop.
    let turn = 0;
    let counting = true;
    const count = () => {
      turn++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    // Each resource takes at least 0.1 ms to parse here, 400 of them at least 40 ms: ten slices of 4 ms, one turn each.
    const turnsOfResources = new Set<number>();
    const parse = JSON.parse;
    vi.spyOn(JSON, "parse").mockImplementation((text, reviver) => {
      if (typeof text === "string" && text.startsWith('{"guid"')) {
        turnsOfResources.add(turn);
        const until = performance.now() + 0.1;
        while (performance.now() < until);
      }
      return parse(text, reviver);
    });
    try {
      expect((await newClient().listOrganizations()).map((o) => o.name)).toEqual(names);
    } finally {
      counting = false;
      vi.restoreAllMocks();
    }
    expect(turnsOfResources.size).toBeGreaterThanOrEqual(5);
  });

  it("fails a list whose page holds a resource that is not JSON, as for a body that is not JSON", async () => {
    cf.fake.on("GET /v3/organizations", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      const body = JSON.stringify(page([org("a"), org("b")])).replace(/"name":"b"/, '"name":b');
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
    });
    await expect(newClient().listOrganizations()).rejects.toThrow(
      /^GET \/v3\/organizations answered 200 with a body that is not JSON$/,
    );
  });

  it("follows a next link on another origin by path and query on the configured origin", async () => {
    const fake = cf.fake;
    const other = await startFakeCf();
    try {
      fake.on("GET /v3/organizations", (req, res, f) => {
        if (!authorised(req, res, f)) return;
        // CC builds links from its external name, which differs from the configured API host.
        const p = Number(req.query.get("page") ?? "1");
        const next =
          p < 2
            ? `${other.url.replace("127.0.0.1", "localhost")}/v3/organizations?page=2&per_page=1000`
            : undefined;
        json(res, 200, page([org(`o${p}`)], next, 2));
      });
      const orgs = await newClient().listOrganizations();
      expect(orgs.map((o) => o.guid)).toEqual(["o1", "o2"]);
      expect(fake.requestsTo("/v3/organizations").map((r) => r.rawQuery)).toEqual([
        "per_page=1000",
        "page=2&per_page=1000",
      ]);
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it("ends a list with an error when a page brings nothing new, also without total_pages", async () => {
    const fake = cf.fake;
    fake.on("GET /v3/organizations", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      const p = Number(req.query.get("page") ?? "1");
      // No total_pages; from page 2 on every page is empty and still links to the next one.
      const body = page(p === 1 ? [org("o1")] : [], `${f.url}/v3/organizations?page=${p + 1}&per_page=1000`);
      delete (body as { pagination: { total_pages?: number } }).pagination.total_pages;
      json(res, 200, body);
    });
    const err = await newClient()
      .listOrganizations()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "paging", path: "/v3/organizations" });
    expect((err as Error).message).toBe(
      "GET /v3/organizations answered with pagination that does not end: page 2 brought no resource not seen before",
    );
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(2);
  });

  it("stops at a hard cap of pages when every page brings something new", async () => {
    const fake = cf.fake;
    fake.on("GET /v3/organizations", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      const p = Number(req.query.get("page") ?? "1");
      json(
        res,
        200,
        page([org(`o${p}`)], `${f.url}/v3/organizations?page=${p + 1}&per_page=1000`, 1_000_000),
      );
    });
    await expect(newClient().listOrganizations()).rejects.toThrow(`more than ${MAX_PAGES} pages`);
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(MAX_PAGES);
  });

  it("does not split a batch whose pagination never ends: the CC, not a key, is at fault", async () => {
    const fake = cf.fake;
    fake.on("GET /v3/organizations", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      const p = Number(req.query.get("page") ?? "1");
      const names = req.query.get("names") ?? "";
      json(
        res,
        200,
        page([org(`o${p}`)], `${f.url}/v3/organizations?names=${names}&page=${p + 1}&per_page=1000`, 99_999),
      );
    });
    const names = Array.from({ length: 16 }, (_, i) => `org${i}`);
    const err = await newClient()
      .listOrganizations({ names })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "paging" });
    // One pass up to the cap; bisecting 16 names would have read up to 100 pages per part.
    expect(fake.requestsTo("/v3/organizations")).toHaveLength(MAX_PAGES);
  });

  it("fetches guid chunks at most 4 at a time and returns results in request order", async () => {
    const fake = cf.fake;
    let inFlight = 0;
    let maxInFlight = 0;
    fake.on("GET /v3/processes", async (req, res, f) => {
      if (!authorised(req, res, f)) return;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const guids = req.query.get("app_guids")!.split(",");
      // Later chunks answer sooner, so completion order differs from request order.
      await new Promise((r) => setTimeout(r, 40 - Number(guids[0]!.slice(-12)) / 25));
      inFlight--;
      json(
        res,
        200,
        page(
          guids.map((g) => ({
            guid: `p-${g}`,
            type: "web",
            instances: 2,
            relationships: { app: { data: { guid: g } } },
          })),
        ),
      );
    });
    const guids = Array.from({ length: 1000 }, (_, i) => guid(i));
    const processes = await newClient().listWebProcesses({ appGuids: guids });
    expect(processes.map((p) => p.appGuid)).toEqual(guids);
    expect(processes[0]).toEqual({ guid: `p-${guids[0]}`, appGuid: guids[0], type: "web", instances: 2 });
    const reqs = fake.requestsTo("/v3/processes");
    expect(reqs).toHaveLength(10);
    for (const r of reqs) expect(r.query.get("types")).toBe("web");
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(4);
  });

  it("sends no request for an empty guid list", async () => {
    const fake = cf.fake;
    expect(await newClient().listRoutes({ appGuids: [] })).toEqual([]);
    expect(fake.requests.filter((r) => r.path.startsWith("/v3/"))).toHaveLength(0);
  });

  it("maps apps, spaces, routes and domains to the plain shapes", async () => {
    const fake = cf.fake;
    fake.on("GET /v3/apps", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      json(
        res,
        200,
        page([
          {
            guid: "a1",
            name: "app-one",
            state: "STARTED",
            lifecycle: { type: "docker", data: {} },
            relationships: { space: { data: { guid: "s1" } } },
            metadata: { labels: { team: "x" }, annotations: { "prometheus.io/scrape": "true", odd: null } },
          },
        ]),
      );
    });
    fake.on("GET /v3/spaces", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      json(
        res,
        200,
        page([{ guid: "s1", name: "dev", relationships: { organization: { data: { guid: "o1" } } } }]),
      );
    });
    fake.on("GET /v3/routes", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      json(
        res,
        200,
        page([
          {
            guid: "r1",
            host: "demo",
            path: "/m",
            url: "demo.apps.example.com/m",
            destinations: [
              { guid: "d1", app: { guid: "a1", process: { type: "web" } }, port: 8080 },
              { guid: "d2", app: { guid: "a2", process: { type: "web" } }, port: 8080 },
              { guid: "d3", app: { guid: "a1", process: { type: "web" } }, port: 9090 },
            ],
            relationships: { domain: { data: { guid: "dom1" } }, space: { data: { guid: "s1" } } },
          },
        ]),
      );
    });
    fake.on("GET /v3/domains", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      json(
        res,
        200,
        page([
          { guid: "dom1", name: "apps.example.com", internal: false },
          { guid: "dom2", name: "apps.internal", internal: true },
        ]),
      );
    });
    const c = newClient();
    expect(await c.listApps({ spaceGuids: ["s1"], names: ["app-one"] })).toEqual([
      {
        guid: "a1",
        name: "app-one",
        state: "STARTED",
        spaceGuid: "s1",
        labels: { team: "x" },
        annotations: { "prometheus.io/scrape": "true" },
      },
    ]);
    const appReq = fake.requestsTo("/v3/apps")[0]!;
    expect(appReq.query.get("space_guids")).toBe("s1");
    expect(appReq.query.get("names")).toBe("app-one");
    expect(await c.listSpaces({ organizationGuids: ["o1"] })).toEqual([
      { guid: "s1", name: "dev", orgGuid: "o1" },
    ]);
    expect(await c.listRoutes({ appGuids: ["a1", "a2"] })).toEqual([
      {
        guid: "r1",
        url: "demo.apps.example.com/m",
        domainGuid: "dom1",
        appGuids: ["a1", "a2"],
        protocol: "http",
        destinations: [
          { appGuid: "a1", processType: "web", port: 8080 },
          { appGuid: "a2", processType: "web", port: 8080 },
          { appGuid: "a1", processType: "web", port: 9090 },
        ],
      },
    ]);
    expect(await c.listDomains()).toEqual([
      { guid: "dom1", name: "apps.example.com", internal: false },
      { guid: "dom2", name: "apps.internal", internal: true },
    ]);
  });

  it("rejects a malformed resource with the path and the field that is wrong", async () => {
    const fake = cf.fake;
    fake.on("GET /v3/processes", (req, res, f) => {
      if (!authorised(req, res, f)) return;
      json(
        res,
        200,
        page([
          { guid: "p1", type: "web", instances: 1, relationships: { app: { data: { guid: "a" } } } },
          { guid: "p2", type: "web", instances: 1, relationships: { app: { data: null } } },
        ]),
      );
    });
    const err = await newClient()
      .listWebProcesses({ appGuids: ["a"] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CfApiError);
    expect((err as Error).message).toBe(
      "GET /v3/processes answered with an unexpected document: resources[1].relationships.app.data should be an object but is null",
    );
  });

  it("rejects a 200 whose body is not JSON, or has no resources array", async () => {
    const fake = cf.fake;
    fake.on("GET /v3/organizations", (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>login page</html>");
    });
    fake.on("GET /v3/domains", (req, res, f) => {
      if (authorised(req, res, f)) json(res, 200, { pagination: {}, resources: "nope" });
    });
    const c = newClient();
    await expect(c.listOrganizations()).rejects.toThrow(
      "GET /v3/organizations answered 200 with a body that is not JSON",
    );
    await expect(c.listDomains()).rejects.toThrow(/GET \/v3\/domains .*resources should be an array/);
  });
});
