import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import {
  demoLandscape,
  deriveGuid,
  generateLandscape,
  inFoundation,
  loadLandscapeFile,
  startSimulator,
} from "../../src/simulator/index.js";
import { bearer, httpFor } from "./helpers.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("landscapes", () => {
  const dir = mkdtempSync(join(tmpdir(), "sim-landscape-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("generates deterministic names and v4-looking guids", () => {
    const a = generateLandscape({
      orgs: 2,
      spacesPerOrg: 2,
      appsPerSpace: 3,
      instances: 2,
      format: "openmetrics",
    });
    const b = generateLandscape({
      orgs: 2,
      spacesPerOrg: 2,
      appsPerSpace: 3,
      instances: 2,
      format: "openmetrics",
    });
    expect(a).toEqual(b);
    const app = a.orgs[1].spaces[0].apps[2];
    expect(app.name).toBe("app-2-1-3");
    expect(a.orgs[1].spaces[0].name).toBe("space-2-1");
    expect(app.guid).toBe(deriveGuid("app", "org-2/space-2-1/app-2-1-3"));
    expect(app.behaviour?.format).toBe("openmetrics");
    const guids = a.orgs.flatMap((o) => [
      o.guid,
      ...o.spaces.flatMap((s) => [s.guid, ...s.apps.map((x) => x.guid)]),
    ]);
    for (const g of guids) expect(g).toMatch(GUID);
    expect(new Set(guids).size).toBe(guids.length);
    expect(() => generateLandscape({ orgs: 1, spacesPerOrg: -1, appsPerSpace: 1, instances: 1 })).toThrow(
      /spacesPerOrg/,
    );
  });

  it("ships a demo landscape with the promised variety", () => {
    const demo = demoLandscape();
    const apps = demo.orgs.flatMap((o) => o.spaces.flatMap((s) => s.apps));
    expect(demo.orgs).toHaveLength(2);
    expect(apps.length).toBeGreaterThanOrEqual(6);
    expect(apps.some((a) => a.state === "STOPPED")).toBe(true);
    expect(
      apps.some(
        (a) => a.annotations?.["prometheus.io/scrape"] === "true" && a.annotations["prometheus.io/path"],
      ),
    ).toBe(true);
    expect(apps.some((a) => a.routes?.some((r) => r.endsWith(".apps.internal")))).toBe(true);
    expect(apps.some((a) => a.behaviour?.format === "openmetrics")).toBe(true);
    expect(apps.some((a) => (a.instances ?? 1) >= 3)).toBe(true);
  });

  it("gives the same landscape in another foundation guids of its own, keeping explicit ones", async () => {
    const spec = demoLandscape();
    spec.orgs[1].guid = deriveGuid("org", "explicit");
    const eu = await startSimulator({ tls: false, landscape: spec });
    const us = await startSimulator({ tls: false, landscape: inFoundation(spec, "us") });
    try {
      const guids = async (sim: typeof eu, path: string) => {
        const http = httpFor(sim);
        try {
          const answer = await http.get(`${sim.apiUrl}${path}`, await bearer(http, sim));
          expect(answer.status, answer.text).toBe(200);
          const resources = answer.json.resources as { guid: string; name: string }[];
          return new Map(resources.map((r) => [r.name, r.guid]));
        } finally {
          await http.close();
        }
      };
      for (const path of ["/v3/apps?per_page=5000", "/v3/spaces", "/v3/domains"]) {
        const [a, b] = [await guids(eu, path), await guids(us, path)];
        expect([...b.keys()].sort(), path).toEqual([...a.keys()].sort());
        for (const [name, guid] of a) expect(b.get(name), `${path} ${name}`).not.toBe(guid);
      }
      const [a, b] = [await guids(eu, "/v3/organizations"), await guids(us, "/v3/organizations")];
      expect(b.get("acme-prod")).not.toBe(a.get("acme-prod"));
      expect(b.get("acme-dev")).toBe(deriveGuid("org", "explicit"));
    } finally {
      await Promise.all([eu.close(), us.close()]);
    }
  });

  it("loads a YAML landscape file", () => {
    const file = join(dir, "ok.yml");
    writeFileSync(
      file,
      [
        "domains:",
        "  - name: apps.example.org",
        "orgs:",
        "  - name: o",
        "    spaces:",
        "      - name: s",
        "        apps:",
        "          - name: a",
        "            instances: 2",
        "            instanceBehaviour:",
        "              1: { state: CRASHED }",
      ].join("\n"),
    );
    const spec = loadLandscapeFile(file);
    expect(spec.orgs[0].spaces[0].apps[0]).toMatchObject({
      name: "a",
      instances: 2,
      instanceBehaviour: { 1: { state: "CRASHED" } },
    });
  });

  it("names the bad field of an invalid landscape", () => {
    const file = join(dir, "bad.yml");
    writeFileSync(
      file,
      "domains: [{name: d}]\norgs:\n  - name: o\n    spaces:\n      - name: s\n        apps:\n          - name: a\n            instances: many\n",
    );
    expect(() => loadLandscapeFile(file)).toThrow(/orgs\.0\.spaces\.0\.apps\.0\.instances/);
    writeFileSync(file, "domains: [{name: d, guid: NOT-A-GUID}]\norgs: []\n");
    expect(() => loadLandscapeFile(file)).toThrow(/domains\.0\.guid: must be a lowercase UUID/);
    writeFileSync(file, "domains: [\n");
    expect(() => loadLandscapeFile(file)).toThrow(/not valid YAML/);
    expect(() => loadLandscapeFile(join(dir, "missing.yml"))).toThrow(/cannot read the landscape file/);
  });

  it("gives apps without routes a host-safe default route on the first shared domain", async () => {
    const sim = await startSimulator({
      tls: false,
      landscape: {
        domains: [{ name: "apps.internal", internal: true }, { name: "apps.example.org" }],
        orgs: [{ name: "o", spaces: [{ name: "s", apps: [{ name: "My_Fancy App" }] }] }],
      },
    });
    try {
      const res = await request(`${sim.routerUrl}/metrics`, {
        headers: { host: "my-fancy-app.apps.example.org" },
      });
      expect(await res.body.text()).toContain('sim_instance_info{app="My_Fancy App",index="0"} 1');
    } finally {
      await sim.close();
    }
  });

  it("refuses landscapes that CF itself would refuse", async () => {
    const base = { domains: [{ name: "apps.example.org" }] };
    await expect(
      startSimulator({
        landscape: {
          ...base,
          orgs: [{ name: "o", spaces: [{ name: "s", apps: [{ name: "a" }, { name: "A" }] }] }],
        },
      }),
    ).rejects.toThrow(/app 'o\/s\/A' already exists/);
    await expect(
      startSimulator({
        landscape: {
          ...base,
          orgs: [{ name: "o", spaces: [{ name: "s", apps: [{ name: "a", routes: ["a.other.org"] }] }] }],
        },
      }),
    ).rejects.toThrow(/route 'a.other.org' uses a domain that is not declared/);
  });
});
