import { afterEach, describe, expect, it } from "vitest";
import { startTamperProxy, type TamperMode, type TamperProxy } from "./support/cc-tamper-proxy.js";
import { cfLoads, expectLastGoodLandscape, expectRecovery, waitForFailedLoads } from "./support/cf-checks.js";
import { guardUnhandledRejections, type Harness, startHarness } from "./support/harness.js";

guardUnhandledRejections();

let h: Harness | undefined;
let proxy: TamperProxy | undefined;
afterEach(async () => {
  await h?.close();
  await proxy?.close();
  h = undefined;
  proxy = undefined;
});

/** Promregator talks to a plain-HTTP simulator through the tamper proxy; waits for the first landscape. */
async function started(
  smallPages?: TamperProxy["smallPages"],
): Promise<{ h: Harness; proxy: TamperProxy; known: string[] }> {
  h = await startHarness({
    simulator: { tls: false },
    apiHost: async (sim) => {
      proxy = await startTamperProxy(sim.apiUrl);
      proxy.smallPages = smallPages;
      return proxy.url;
    },
  });
  await h.app.whenReady();
  const known = await h.discoveryTargets();
  expect(known).toHaveLength(7);
  return { h, proxy: proxy!, known };
}

/** A new app, only visible once the app list can be read again. */
function addAppDuringFault(h: Harness): void {
  const { spaceGuid } = h.sim.admin.findApp("app-a")!;
  h.sim.admin.addApp(spaceGuid, { name: "app-d", instances: 1 });
}

describe("malformed Cloud Controller answers", () => {
  const cases: [TamperMode, string, RegExp][] = [
    ["truncate", "JSON cut off half way", /^GET \/v3\/apps answered 200 with a body that is not JSON$/],
    ["cut", "the connection dropped mid-body", /^GET \/v3\/apps failed: /],
    ["garbage", "a body that is not JSON", /^GET \/v3\/apps answered 200 with a body that is not JSON$/],
    [
      "shape",
      "JSON that is not a v3 list",
      /^GET \/v3\/apps answered with an unexpected document: resources should be an array$/,
    ],
  ];

  it.each(cases)("%s (%s): last landscape kept, one warning, recovery", async (mode, _, warning) => {
    const { h, proxy, known } = await started();
    const before = await cfLoads(h);
    proxy.tamper = { pathPrefix: "/v3/apps", mode };
    addAppDuringFault(h);
    await waitForFailedLoads(h, before.failures, 2);

    await expectLastGoodLandscape(h, known);
    expect(proxy.spoiled.length).toBeGreaterThan(0);
    expect(proxy.spoiled.length).toBeLessThanOrEqual(2 * ((await cfLoads(h)).loads - before.loads));
    expect(h.logs.warnings(warning)).toHaveLength(1);

    proxy.tamper = undefined;
    await expectRecovery(h, 8);
  });

  // Fields whose wrong value or absence would read as "not started" or "no route" and so drop every app.
  const edits: [string, string, (r: Record<string, unknown>) => void, RegExp][] = [
    [
      "/v3/apps",
      "an app state outside STARTED and STOPPED",
      (r) => {
        r.state = "started";
      },
      /^GET \/v3\/apps answered with an unexpected document: resources\[0\]\.state should be "STARTED" or "STOPPED" but is "started"$/,
    ],
    [
      "/v3/routes",
      "routes without destinations",
      (r) => {
        delete r.destinations;
      },
      /^GET \/v3\/routes answered with an unexpected document: resources\[0\]\.destinations should be an array but is missing$/,
    ],
  ];

  it.each(edits)(
    "%s with %s: last landscape kept, one warning, recovery",
    async (pathPrefix, _, edit, warning) => {
      const { h, proxy, known } = await started();
      const before = await cfLoads(h);
      proxy.tamper = { pathPrefix, mode: "edit", edit };
      addAppDuringFault(h);
      await waitForFailedLoads(h, before.failures, 2);

      await expectLastGoodLandscape(h, known);
      expect(proxy.spoiled.length).toBeGreaterThan(0);
      expect(h.logs.warnings(warning)).toHaveLength(1);

      proxy.tamper = undefined;
      await expectRecovery(h, 8);
    },
  );

  it("a page that disappears while paging fails the whole list instead of shrinking the landscape", async () => {
    const { h, proxy, known } = await started({ pathPrefix: "/v3/apps", perPage: 2 });
    const before = await cfLoads(h);
    proxy.tamper = { pathPrefix: "/v3/apps", mode: "page-gone" };
    addAppDuringFault(h);
    await waitForFailedLoads(h, before.failures, 2);

    // app-c lives on page 2: had page 1 alone been taken as the list, its instances would be gone now
    await expectLastGoodLandscape(h, known);
    expect(proxy.spoiled.some((path) => /[?&]page=2/.test(path))).toBe(true);
    expect(
      h.logs.warnings(
        /^GET \/v3\/apps failed with status 404: CF-ResourceNotFound \(10010\): Page not found$/,
      ),
    ).toHaveLength(1);

    proxy.tamper = undefined;
    await expectRecovery(h, 8);
  });
});
