import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ProxyAgent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LandscapeSpec, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { FORM, type Http, httpFor } from "./helpers.js";

const landscape: LandscapeSpec = {
  domains: [{ name: "apps.example.org" }, { name: "apps.internal", internal: true }],
  orgs: [
    {
      name: "org",
      spaces: [
        {
          name: "space",
          apps: [
            { name: "cart", instances: 3 },
            {
              name: "flaky",
              instances: 3,
              instanceBehaviour: { 1: { state: "CRASHED" }, 2: { state: "STARTING" } },
            },
            { name: "down", instances: 1, behaviour: { state: "CRASHED" } },
            { name: "stopped", state: "STOPPED", instances: 2 },
            { name: "site", routes: ["site.apps.example.org"] },
            { name: "site-api", routes: ["site.apps.example.org/api"] },
            { name: "inventory", instances: 2, routes: ["inventory.apps.internal"] },
            { name: "secured", behaviour: { auth: { basic: { username: "u", password: "p" } } } },
            { name: "tokened", behaviour: { auth: { bearer: { clientId: "scraper" } } } },
            { name: "proxied", instances: 2, routes: ["proxied.apps.example.org"] },
            { name: "half-gone", instances: 3, routes: ["half-gone.apps.example.org"] },
          ],
        },
      ],
    },
  ],
};

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
}

describe("router", () => {
  let sim: RunningSimulator;
  let http: Http;
  let echo: Server;
  const seen: Seen[] = [];
  const guid = (name: string) => sim.admin.findApp(name)!.guid;
  const viaRouter = async (host: string, path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${sim.routerUrl}${path}`, { headers: { host, ...headers } });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };
  const indexOf = (text: string) => /sim_instance_info\{app="[^"]+",index="(\d+)"\} 1/.exec(text)?.[1];

  beforeAll(async () => {
    echo = createServer((req, res) => {
      seen.push({ url: req.url ?? "", headers: req.headers });
      res.writeHead(299, { "content-type": "text/plain", "x-upstream": "yes" });
      res.end(`echo ${req.url}`);
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    sim = await startSimulator({
      landscape,
      clients: [{ clientId: "scraper", clientSecret: "scraper-secret" }],
    });
    http = httpFor(sim);
    const upstream = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    sim.admin.setInstanceBehaviour(guid("proxied"), 0, { upstream });
    sim.admin.setInstanceBehaviour(guid("proxied"), 1, { upstream: `${upstream}/base` });
  });
  afterAll(async () => {
    await http?.close();
    await sim?.close();
    await new Promise((resolve) => echo?.close(resolve));
  });

  it("routes X-CF-APP-INSTANCE to exactly that instance", async () => {
    for (const index of [2, 0, 1]) {
      const answer = await viaRouter("cart.apps.example.org", "/metrics", {
        "x-cf-app-instance": `${guid("cart")}:${index}`,
      });
      expect(answer.status).toBe(200);
      expect(answer.text).toContain(`sim_instance_info{app="cart",index="${index}"} 1`);
    }
  });

  it("rejects a malformed instance header with 400 invalid_cf_app_instance_header", async () => {
    for (const bad of [`${guid("cart").toUpperCase()}:1`, `${guid("cart")}: 1`, guid("cart")]) {
      const answer = await viaRouter("cart.apps.example.org", "/metrics", { "x-cf-app-instance": bad });
      expect(answer.status).toBe(400);
      expect(answer.headers["x-cf-routererror"]).toBe("invalid_cf_app_instance_header");
      expect(answer.text).toBe("400 Bad Request: Invalid X-CF-App-Instance Header\n");
    }
  });

  it("answers 400 unknown_route for an unknown or unrunnable instance", async () => {
    const g = guid("cart");
    for (const index of ["7", "01"]) {
      const answer = await viaRouter("cart.apps.example.org", "/metrics", {
        "x-cf-app-instance": `${g}:${index}`,
      });
      expect(answer.status).toBe(400);
      expect(answer.headers["x-cf-routererror"]).toBe("unknown_route");
      expect(answer.text).toBe(
        `400 Bad Request: Requested instance ('${index}') with guid ('${g}') does not exist for route ('cart.apps.example.org')\n`,
      );
    }
    const starting = await viaRouter("flaky.apps.example.org", "/metrics", {
      "x-cf-app-instance": `${guid("flaky")}:2`,
    });
    expect(starting.status).toBe(400);
  });

  it("answers 404 unknown_route for an unknown host", async () => {
    const answer = await viaRouter("nope.apps.example.org", "/metrics");
    expect(answer.status).toBe(404);
    expect(answer.headers["x-cf-routererror"]).toBe("unknown_route");
    expect(answer.text).toBe("404 Not Found: Requested route ('nope.apps.example.org') does not exist.\n");
  });

  it("round-robins over RUNNING instances and fails crashed ones with 502", async () => {
    const indices = new Set<string | undefined>();
    for (let i = 0; i < 4; i++)
      indices.add(indexOf((await viaRouter("flaky.apps.example.org", "/metrics")).text));
    expect(indices).toEqual(new Set(["0"]));
    const cart = new Set<string | undefined>();
    for (let i = 0; i < 3; i++)
      cart.add(indexOf((await viaRouter("cart.apps.example.org", "/metrics")).text));
    expect(cart).toEqual(new Set(["0", "1", "2"]));
    const crashed = await viaRouter("flaky.apps.example.org", "/metrics", {
      "x-cf-app-instance": `${guid("flaky")}:1`,
    });
    expect(crashed.status).toBe(502);
    expect(String(crashed.headers["x-cf-routererror"])).toMatch(/^endpoint_failure/);
    expect(crashed.text).toBe("502 Bad Gateway: Registered endpoint failed to handle the request.\n");
    expect((await viaRouter("down.apps.example.org", "/metrics")).status).toBe(502);
    const stopped = await viaRouter("stopped.apps.example.org", "/metrics");
    expect(stopped.status).toBe(503);
    expect(stopped.headers["x-cf-routererror"]).toBe("no_endpoints");
  });

  it("picks the longest matching route path without stripping it", async () => {
    const api = await viaRouter("site.apps.example.org", "/api/metrics");
    expect(api.text).toContain('app="site-api"');
    expect((await viaRouter("site.apps.example.org", "/metrics")).text).toContain('app="site"');
    // "/apix" is not below "/api": it belongs to the host-only route, which serves no such path.
    const other = await viaRouter("site.apps.example.org", "/apix/metrics");
    expect(other.status).toBe(404);
    expect(other.headers["x-cf-routererror"]).toBeUndefined();
  });

  it("works as an HTTP forward proxy with absolute URIs and with CONNECT tunnels", async () => {
    for (const proxyTunnel of [false, true]) {
      await scrapeThroughProxy(new ProxyAgent({ uri: sim.routerUrl, proxyTunnel }));
    }
  });

  it("refuses CONNECT to port 443: instances speak plain HTTP", async () => {
    const proxy = new ProxyAgent({ uri: sim.routerUrl });
    try {
      await expect(request("https://cart.apps.example.org/metrics", { dispatcher: proxy })).rejects.toThrow(
        /501/,
      );
    } finally {
      await proxy.close();
    }
  });

  async function scrapeThroughProxy(proxy: ProxyAgent): Promise<void> {
    try {
      const res = await request("http://cart.apps.example.org/metrics", {
        dispatcher: proxy,
        headers: { "x-cf-app-instance": `${guid("cart")}:1` },
      });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toContain('sim_instance_info{app="cart",index="1"} 1');
      const internal = await request("http://1.inventory.apps.internal:8080/metrics", { dispatcher: proxy });
      expect(internal.statusCode).toBe(200);
      expect(await internal.body.text()).toContain('sim_instance_info{app="inventory",index="1"} 1');
      const wrongPort = await request("http://0.inventory.apps.internal:9090/metrics", { dispatcher: proxy });
      expect(wrongPort.statusCode).toBe(502);
      await wrongPort.body.dump();
      const noSuchIndex = await request("http://5.inventory.apps.internal:8080/metrics", {
        dispatcher: proxy,
      });
      expect(noSuchIndex.statusCode).toBe(502);
      await noSuchIndex.body.dump();
    } finally {
      await proxy.close();
    }
  }

  it("forwards to an upstream with gorouter headers and without hop-by-hop ones", async () => {
    seen.length = 0;
    // node:http rather than undici, which refuses to send a custom Connection header.
    const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>(
      (resolve, reject) => {
        const req = httpRequest(
          `${sim.routerUrl}/promregatorMetrics?x=1`,
          {
            headers: {
              host: "proxied.apps.example.org",
              "x-cf-app-instance": `${guid("proxied")}:0`,
              connection: "keep-alive, x-drop-me",
              "x-drop-me": "1",
              "x-keep-me": "2",
            },
            agent: false,
          },
          (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => {
              text += chunk;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
          },
        );
        req.on("error", reject);
        req.end();
      },
    );
    expect(answer.status).toBe(299);
    expect(answer.text).toBe("echo /promregatorMetrics?x=1");
    expect(answer.headers["x-upstream"]).toBe("yes");
    expect(answer.headers["x-vcap-request-id"]).toEqual(seen[0].headers["x-vcap-request-id"]);
    const h = seen[0].headers;
    expect(h["x-cf-applicationid"]).toBe(guid("proxied"));
    expect(h["x-cf-instanceindex"]).toBe("0");
    expect(h["x-forwarded-for"]).toBe("127.0.0.1");
    expect(h["x-forwarded-proto"]).toBe("http");
    expect(h["x-cf-app-instance"]).toBeUndefined();
    expect(h["x-drop-me"]).toBeUndefined();
    expect(h["x-keep-me"]).toBe("2");
    const based = await viaRouter("proxied.apps.example.org", "/metrics", {
      "x-cf-app-instance": `${guid("proxied")}:1`,
    });
    expect(based.text).toBe("echo /base/metrics");
  });

  it("tries another endpoint when a backend refuses the connection or hangs up on a GET, as gorouter does", async () => {
    // Instance 0 points at a port nobody listens on (a process that died before CF noticed); instance 2 at one
    // that hangs up on every request (a process dying while it reads the request).
    const hangsUp = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => hangsUp.listen(0, "127.0.0.1", resolve));
    const gone = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const live = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    sim.admin.setInstanceBehaviour(guid("half-gone"), 0, { upstream: `http://127.0.0.1:${gone}` });
    sim.admin.setInstanceBehaviour(guid("half-gone"), 1, { upstream: live });
    sim.admin.setInstanceBehaviour(guid("half-gone"), 2, {
      upstream: `http://127.0.0.1:${(hangsUp.address() as AddressInfo).port}`,
    });
    seen.length = 0;
    for (let i = 0; i < 6; i++) {
      const answer = await viaRouter("half-gone.apps.example.org", `/discovery?round=${i}`);
      expect(answer.status).toBe(299);
      expect(answer.text).toBe(`echo /discovery?round=${i}`);
    }
    // Every request reached the live backend, named as the endpoint that answered.
    expect(seen.map((s) => s.headers["x-cf-instanceindex"])).toEqual(Array(6).fill("1"));
    // One instance asked for by X-CF-APP-INSTANCE has no other endpoint.
    const pinned = await viaRouter("half-gone.apps.example.org", "/metrics", {
      "x-cf-app-instance": `${guid("half-gone")}:0`,
    });
    expect(pinned.status).toBe(502);
    expect(String(pinned.headers["x-cf-routererror"])).toBe("endpoint_failure (ECONNREFUSED)");
    // A request with a body is sent once: when it hits a dead backend, the client gets the 502.
    const posts = await Promise.all(
      [0, 1, 2].map(async () => {
        const res = await request(`${sim.routerUrl}/upload`, {
          method: "POST",
          headers: { host: "half-gone.apps.example.org" },
          body: "payload",
        });
        await res.body.dump();
        return res.statusCode;
      }),
    );
    expect(posts.sort()).toEqual([299, 502, 502]);
    await new Promise((resolve) => hangsUp.close(resolve));
  });

  it("enforces basic and bearer auth on instances", async () => {
    expect((await viaRouter("secured.apps.example.org", "/metrics")).status).toBe(401);
    const basic = `Basic ${Buffer.from("u:p").toString("base64")}`;
    expect((await viaRouter("secured.apps.example.org", "/metrics", { authorization: basic })).status).toBe(
      200,
    );
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: "scraper",
      client_secret: "scraper-secret",
    });
    const token = (await http.post(`${sim.uaaUrl}/oauth/token`, form.toString(), { "content-type": FORM }))
      .json.access_token;
    const ok = await viaRouter("tokened.apps.example.org", "/metrics", { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    const wrong = await viaRouter("tokened.apps.example.org", "/metrics", { authorization: "Bearer a.b.c" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toContain("Bearer");
  });

  it("follows admin scale and stop in both the router and CC", async () => {
    const g = guid("cart");
    const header = { "x-cf-app-instance": `${g}:4` };
    expect((await viaRouter("cart.apps.example.org", "/metrics", header)).status).toBe(400);
    sim.admin.scaleApp(g, 5);
    expect((await viaRouter("cart.apps.example.org", "/metrics", header)).text).toContain('index="4"');
    const login = new URLSearchParams({ grant_type: "password", username: "admin", password: "admin" });
    const token = (
      await http.post(`${sim.uaaUrl}/oauth/token`, login.toString(), {
        "content-type": FORM,
        authorization: `Basic ${Buffer.from("cf:").toString("base64")}`,
      })
    ).json.access_token;
    const auth = { authorization: `bearer ${token}` };
    const processes = await http.get(`${sim.apiUrl}/v3/processes?app_guids=${g}`, auth);
    expect(processes.json.resources[0].instances).toBe(5);
    sim.admin.setAppState(g, "STOPPED");
    expect((await viaRouter("cart.apps.example.org", "/metrics")).status).toBe(503);
    expect((await http.get(`${sim.apiUrl}/v3/apps/${g}`, auth)).json.state).toBe("STOPPED");
    sim.admin.setAppState(g, "STARTED");
    sim.admin.scaleApp(g, 3);
    expect((await viaRouter("cart.apps.example.org", "/metrics")).status).toBe(200);
  });
});
