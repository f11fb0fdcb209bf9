import { describe, expect, it } from "vitest";
import { toApp, toRoute } from "../../src/cf/cc-mappers.js";

const base = {
  guid: "r1",
  host: "",
  path: "",
  relationships: { domain: { data: { guid: "dom" } }, space: { data: { guid: "s" } } },
};

describe("CC v3 route mapping", () => {
  it("keeps the protocol and every destination with its process type and port", () => {
    const route = toRoute(
      {
        ...base,
        protocol: "tcp",
        port: 1050,
        url: "tcp.example.test:1050",
        destinations: [
          { guid: "d1", app: { guid: "a", process: { type: "api" } }, port: 9000, protocol: "tcp" },
          { guid: "d2", app: { guid: "a", process: { type: "web" } }, port: 8080, protocol: "tcp" },
        ],
      },
      "route",
    );
    expect(route).toEqual({
      guid: "r1",
      url: "tcp.example.test:1050",
      domainGuid: "dom",
      appGuids: ["a"],
      protocol: "tcp",
      destinations: [
        { appGuid: "a", processType: "api", port: 9000 },
        { appGuid: "a", processType: "web", port: 8080 },
      ],
    });
  });

  it("reads a destination without a process as the web process, and a route without protocol as http", () => {
    const route = toRoute(
      { ...base, url: "a.example.test", destinations: [{ guid: "d", app: { guid: "a" }, port: null }] },
      "route",
    );
    expect(route.protocol).toBe("http");
    expect(route.destinations).toEqual([{ appGuid: "a", processType: "web" }]);
  });

  it("names the field of a malformed destination", () => {
    expect(() =>
      toRoute(
        { ...base, url: "a", destinations: [{ app: { guid: "a", process: { type: 7 } } }] },
        "resources[0]",
      ),
    ).toThrow(/resources\[0\]\.destinations\[0\]\.app\.process\.type/);
    expect(() => toRoute({ ...base, url: "a", protocol: 1, destinations: [] }, "r")).toThrow(/r\.protocol/);
    // always present in CC v3; missing, every app of the route would silently lose it
    expect(() => toRoute({ ...base, url: "a" }, "r")).toThrow(
      "r.destinations should be an array but is missing",
    );
  });
});

describe("CC v3 app mapping", () => {
  const app = (state: unknown) => ({
    guid: "a",
    name: "n",
    state,
    relationships: { space: { data: { guid: "s" } } },
  });

  it("reads the two documented states", () => {
    expect(toApp(app("STARTED"), "app").state).toBe("STARTED");
    expect(toApp(app("STOPPED"), "app").state).toBe("STOPPED");
  });

  it.each(["started", "RUNNING", ""])("refuses the state %j instead of reading it as stopped", (state) => {
    expect(() => toApp(app(state), "resources[0]")).toThrow(
      `resources[0].state should be "STARTED" or "STOPPED" but is ${JSON.stringify(state)}`,
    );
  });
});
