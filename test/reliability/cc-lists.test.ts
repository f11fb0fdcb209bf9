import { afterEach, describe, expect, it } from "vitest";
import type { AppSpec, LandscapeSpec } from "../../src/simulator/index.js";
import {
  CF_USER,
  eventually,
  guardUnhandledRejections,
  type Harness,
  startHarness,
} from "./support/harness.js";

guardUnhandledRejections();

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** promregator.yml with the default CF settings and these targets (YAML flow mappings). */
function yamlWith(targets: string[], request = ""): (apiHost: string) => string {
  return (apiHost) => `
cf:
  api_host: ${apiHost}
  username: ${CF_USER.username}
${request}
promregator:
  targets:
${targets.map((t) => `    - ${t}`).join("\n")}
server:
  port: 0
  address: 127.0.0.1
`;
}

const FAST = "  request:\n    backoff: 20";

interface Group {
  labels: Record<string, string>;
}

async function discovered(harness: Harness): Promise<Group[]> {
  const answer = await harness.get("/discovery");
  if (answer.status !== 200) throw new Error(`/discovery answered ${answer.status}: ${answer.text}`);
  return (JSON.parse(answer.text) as Group[]).filter(
    (g) => !g.labels.__metrics_path__.includes("promregator"),
  );
}

const appNames = (groups: Group[]) =>
  [...new Set(groups.map((g) => g.labels.__meta_promregator_target_applicationName))].sort();

async function targetProblems(harness: Harness): Promise<{ description: string; problem?: string }[]> {
  const answer = await harness.get("/status.json");
  return (JSON.parse(answer.text) as { discovery: { targets: { description: string; problem?: string }[] } })
    .discovery.targets;
}

const apps = (...names: string[]): AppSpec[] => names.map((name) => ({ name, instances: 1 }));

describe("Cloud Controller list faults, end to end", () => {
  it("a batch the CC fails for one org name fails only that org's target", async () => {
    const landscape: LandscapeSpec = {
      domains: [{ name: "apps.example.org" }],
      orgs: [
        { name: "unittestorg", spaces: [{ name: "unittestspace", apps: apps("testapp", "testapp2") }] },
        { name: "exception", spaces: [{ name: "s", apps: apps("x") }] },
      ],
      listFaults: { failKeys: ["exception"] },
    };
    h = await startHarness({
      landscape,
      yaml: yamlWith(
        [
          "{ orgName: unittestorg, spaceName: unittestspace, applicationName: testapp }",
          "{ orgName: doesnotexist, spaceName: s }",
          "{ orgName: exception, spaceName: s }",
          "{ orgName: unittestorg, spaceName: unittestspace, applicationName: testapp2 }",
        ],
        FAST,
      ),
    });
    await h.app.whenReady();
    expect(appNames(await discovered(h))).toEqual(["testapp", "testapp2"]);
    const targets = await targetProblems(h);
    expect(targets[1]!.problem).toMatch(/doesnotexist not found/);
    expect(targets[2]!.problem).toMatch(
      /GET \/v3\/organizations failed with status 500: .*\(names=exception\)/,
    );
  });

  it("finds orgs and spaces whose names hold commas", async () => {
    const landscape: LandscapeSpec = {
      domains: [{ name: "apps.example.org" }],
      orgs: [
        { name: "acme, inc.", spaces: [{ name: "a,b", apps: apps("comma-app") }] },
        { name: "acme", spaces: [{ name: "a", apps: apps("other-app") }] },
      ],
    };
    h = await startHarness({
      landscape,
      yaml: yamlWith(['{ orgName: "acme, inc.", spaceName: "a,b" }'], FAST),
    });
    await h.app.whenReady();
    expect(appNames(await discovered(h))).toEqual(["comma-app"]);
  });

  it("keeps routes that live in another space when apps are many (fetched by space)", async () => {
    const many: AppSpec[] = Array.from({ length: 101 }, (_, i) => ({ name: `app-${i}`, instances: 1 }));
    many[0] = { name: "borrower", instances: 1, routes: ["shared.apps.example.org"] };
    const landscape: LandscapeSpec = {
      domains: [{ name: "apps.example.org" }],
      orgs: [
        {
          name: "o",
          spaces: [
            { name: "owner", apps: [{ name: "owner", instances: 1, routes: ["shared.apps.example.org"] }] },
            { name: "big", apps: many },
          ],
        },
      ],
    };
    h = await startHarness({ landscape, yaml: yamlWith(["{ orgName: o, spaceName: big }"], FAST) });
    await h.app.whenReady();
    const names = appNames(await discovered(h));
    expect(names).toHaveLength(101);
    expect(names).toContain("borrower");
  });

  it("/discovery becomes 200 with default settings when every 1,000-item page takes 3.5 s", async () => {
    const landscape: LandscapeSpec = {
      domains: [{ name: "apps.example.org" }],
      orgs: [{ name: "slow-org", spaces: [{ name: "slow-space", apps: apps("app-a", "app-b") }] }],
      // 3.5 ms per requested item: a page of 1,000 takes 3.5 s (over the 2,500 ms timeout), one of 200 0.7 s.
      listFaults: { pageDelayMsPerItem: 3.5 },
    };
    h = await startHarness({
      landscape,
      // default cf.request settings (timeout 2,500 ms); the harness only shortens the cache timeouts
      yaml: yamlWith(["{ orgName: slow-org, spaceName: slow-space }"]),
    });
    const groups = await eventually("/discovery to be 200", () => discovered(h!), 30_000);
    expect(appNames(groups)).toEqual(["app-a", "app-b"]);
  }, 40_000);
});
