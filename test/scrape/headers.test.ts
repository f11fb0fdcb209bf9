import { describe, expect, it } from "vitest";
import { JAVA_DEFAULT_ACCEPT } from "../../src/media-type.js";
import { get, instanceFor, OM, PROCESS_ID, serve, startProxy, startServer } from "./helpers.js";

const BODY = "# TYPE a gauge\na 1\n# EOF\n";

describe("request headers sent to the target", () => {
  it("sends the instance header, our process id, gzip and the Java default Accept when the caller sent none", async () => {
    const target = await startServer(serve(BODY, OM));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
    const answer = await get(`${proxy.url}/x`);
    expect(answer.status).toBe(200);
    const sent = target.requests[0];
    expect(sent["x-cf-app-instance"]).toBe("6c1d3e2a-0b1f-4c55-8d6e-7f8a9b0c1d2e:1");
    expect(sent["x-promregator-instance"]).toBe(PROCESS_ID);
    expect(sent.accept).toBe(JAVA_DEFAULT_ACCEPT);
    expect(sent["accept-encoding"]).toBe("gzip");
    expect(sent.authorization).toBeUndefined();
  });

  it("omits X-CF-APP-INSTANCE for internal routes and overrides", async () => {
    const target = await startServer(serve(BODY, OM));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`, { sendInstanceHeader: false }));
    await get(`${proxy.url}/x`);
    expect(target.requests[0]).not.toHaveProperty("x-cf-app-instance");
    expect(target.requests[0]["x-promregator-instance"]).toBe(PROCESS_ID);
  });

  it("forwards the caller's Accept so the target can answer in Prometheus' preferred format", async () => {
    const target = await startServer(serve(BODY, OM));
    const proxy = await startProxy(instanceFor(`${target.url}/metrics`));
    const prometheusAccept =
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    await get(`${proxy.url}/x`, { accept: prometheusAccept });
    expect(target.requests[0].accept).toBe(prometheusAccept);
  });

  it("requests the configured path and query of the instance URL", async () => {
    const seen: string[] = [];
    const target = await startServer((req, res) => {
      seen.push(req.url ?? "");
      serve(BODY, OM)(req, res, "");
    });
    const proxy = await startProxy(instanceFor(`${target.url}/additional/path?x=1`));
    await get(`${proxy.url}/x`);
    expect(seen).toEqual(["/additional/path?x=1"]);
  });
});
