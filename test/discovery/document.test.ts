import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  discoveryScheme,
  followDiscoveryFile,
  GROUPS_PER_TURN,
  preparedDiscoveryDocument,
  renderDiscoveryDocument,
  writeDiscoveryFile,
} from "../../src/discovery/document.js";
import { buildSnapshot } from "../../src/discovery/snapshot.js";
import type { DiscoveredInstance, DiscoverySnapshot, SnapshotListener } from "../../src/discovery/types.js";
import { silentLogger } from "../../src/log.js";
import { discoveredInstance } from "../support/instances.js";

const GUID = "1f2e3d4c-0000-4000-8000-00000000abcd";

function instance(index: number): DiscoveredInstance {
  return discoveredInstance(GUID, index, {
    orgName: "Acme",
    spaceName: "Dev",
    appName: "Web-App",
    url: "https://web-app.apps.example.com/metrics",
  });
}

const snapshotOf = (instances: DiscoveredInstance[]) => buildSnapshot(instances, [], 0);

describe("preparedDiscoveryDocument", () => {
  const options = [
    { host: "promregator.example.com", port: 443, scheme: "https", ownMetricsEndpoint: true },
    { host: "::1", port: 8080, ownMetricsEndpoint: false },
  ];

  it("gives the rendered document's bytes and gzip, built a slice of targets per turn", async () => {
    for (const count of [0, 1, GROUPS_PER_TURN, 2 * GROUPS_PER_TURN + 1]) {
      const snapshot = snapshotOf(Array.from({ length: count }, (_, i) => instance(i)));
      for (const opts of options) {
        const expected = renderDiscoveryDocument(snapshot, opts);
        let turns = 0;
        const turn = setImmediate(() => turns++);
        const document = await preparedDiscoveryDocument(snapshot, opts);
        clearImmediate(turn);
        expect(document.bytes.toString("utf8"), `${count} ${opts.host}`).toBe(expected);
        expect(gunzipSync(document.gzipped()).toString("utf8")).toBe(expected);
        if (count > GROUPS_PER_TURN) expect(turns).toBe(1);
      }
    }
  });

  it("prepares the document once per snapshot and options, for requests at the same time too", async () => {
    const snapshot = snapshotOf([instance(0)]);
    const [a, b] = [
      preparedDiscoveryDocument(snapshot, options[0]),
      preparedDiscoveryDocument(snapshot, options[0]),
    ];
    expect(a).toBe(b);
    expect(await a).toBe(await preparedDiscoveryDocument(snapshot, options[0]));
    expect(await preparedDiscoveryDocument(snapshot, options[1])).not.toBe(await a);
  });
});

describe("renderDiscoveryDocument", () => {
  it("renders one group per instance and the own-metrics group last", () => {
    const json = renderDiscoveryDocument(snapshotOf([instance(0), instance(1)]), {
      host: "promregator.example.com",
      port: 443,
      scheme: "https",
      ownMetricsEndpoint: true,
    });
    const group = (index: number) => ({
      targets: ["promregator.example.com:443"],
      labels: {
        __meta_promregator_target_path: `/singleTargetMetrics/${GUID}/${index}`,
        __meta_promregator_target_orgName: "Acme",
        __meta_promregator_target_spaceName: "Dev",
        __meta_promregator_target_applicationName: "Web-App",
        __meta_promregator_target_applicationId: GUID,
        __meta_promregator_target_instanceNumber: String(index),
        __meta_promregator_target_instanceId: `${GUID}:${index}`,
        __meta_promregator_target_foundation: "default",
        __metrics_path__: `/singleTargetMetrics/${GUID}/${index}`,
        __scheme__: "https",
      },
    });
    const own = {
      targets: ["promregator.example.com:443"],
      labels: {
        __meta_promregator_target_path: "/promregatorMetrics",
        __metrics_path__: "/promregatorMetrics",
        __scheme__: "https",
      },
    };
    expect(json).toBe(JSON.stringify([group(0), group(1), own]));
  });

  it("answers [] plus the own group for an empty landscape, and [] without it", () => {
    const empty = snapshotOf([]);
    expect(
      JSON.parse(renderDiscoveryDocument(empty, { host: "h", port: 8080, ownMetricsEndpoint: true })),
    ).toEqual([
      {
        targets: ["h:8080"],
        labels: {
          __meta_promregator_target_path: "/promregatorMetrics",
          __metrics_path__: "/promregatorMetrics",
        },
      },
    ]);
    expect(renderDiscoveryDocument(empty, { host: "h", port: 8080, ownMetricsEndpoint: false })).toBe("[]");
  });

  it("leaves out __scheme__ instead of writing null, and brackets IPv6 hosts", () => {
    const json = renderDiscoveryDocument(snapshotOf([instance(0)]), {
      host: "::1",
      port: 9000,
      ownMetricsEndpoint: false,
    });
    expect(json).not.toContain("null");
    const [group] = JSON.parse(json);
    expect(group.targets).toEqual(["[::1]:9000"]);
    expect(group.labels).not.toHaveProperty("__scheme__");
  });

  it("renders per snapshot and options", () => {
    const snapshot = snapshotOf([instance(0)]);
    const opts = { host: "h", port: 1, scheme: "http", ownMetricsEndpoint: true };
    const otherPort = renderDiscoveryDocument(snapshot, { ...opts, port: 2 });
    expect(otherPort).toContain('"h:2"');
    const otherSnapshot = renderDiscoveryDocument(snapshotOf([instance(0), instance(1)]), opts);
    expect(JSON.parse(otherSnapshot)).toHaveLength(3);
  });

  it("picks the scheme: configured, else https on port 443, else the request's", () => {
    expect(discoveryScheme({ scheme: "http", port: 443 }, "https")).toBe("http");
    expect(discoveryScheme({ port: 443 }, "http")).toBe("https");
    expect(discoveryScheme({ port: 0 }, "http")).toBe("http");
    expect(discoveryScheme({ port: 8080 })).toBeUndefined();
  });
});

describe("discovery file", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "discovery-file-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes atomically and only when the content changed", async () => {
    const path = join(dir, "targets.json");
    expect(await writeDiscoveryFile(path, "[1]")).toBe(true);
    const firstWrite = (await stat(path)).mtimeMs;
    expect(await writeDiscoveryFile(path, "[1]")).toBe(false);
    expect((await stat(path)).mtimeMs).toBe(firstWrite);
    expect(await writeDiscoveryFile(path, "[2]")).toBe(true);
    expect(await readFile(path, "utf8")).toBe("[2]");
    expect(await readdir(dir)).toEqual(["targets.json"]); // no temporary file left behind
  });

  it("replaces the file by rename, so a reader holding the old one never sees a mix", async () => {
    const path = join(dir, "targets.json");
    await writeFile(path, "old");
    const inodeBefore = (await stat(path)).ino;
    await writeDiscoveryFile(path, "new");
    expect((await stat(path)).ino).not.toBe(inodeBefore);
  });

  it("fails with a message naming the file when the directory is missing", async () => {
    const path = join(dir, "missing", "targets.json");
    await expect(writeDiscoveryFile(path, "[]")).rejects.toThrow(
      /cannot write discovery file .*missing.*targets\.json/,
    );
  });

  it("follows a service: writes the current snapshot and each new one", async () => {
    const path = join(dir, "sd.json");
    const listeners = new Set<SnapshotListener>();
    let current: DiscoverySnapshot | undefined = snapshotOf([instance(0)]);
    const service = {
      current: () => current,
      onSnapshot: (l: SnapshotListener) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const document = { host: "h", port: 8080, ownMetricsEndpoint: false };
    const stop = followDiscoveryFile({ service, path, document, logger: silentLogger });
    await stop();
    expect(JSON.parse(await readFile(path, "utf8"))).toHaveLength(1);

    const stopAgain = followDiscoveryFile({ service, path, document, logger: silentLogger });
    current = snapshotOf([instance(0), instance(1)]);
    for (const listener of listeners) listener(current);
    await stopAgain();
    expect(JSON.parse(await readFile(path, "utf8"))).toHaveLength(2);
    expect(listeners.size).toBe(0);
  });
});
