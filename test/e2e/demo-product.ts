import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_FOUNDATIONS, simulatorConfigYaml, twoFoundationsConfigYaml } from "../../src/demo.js";
import {
  demoLandscape,
  demoSecondFoundationLandscape,
  type RunningSimulator,
  startSimulator,
} from "../../src/simulator/index.js";
import { freePort } from "./prometheus.js";
import { type PromregatorProcess, startPromregatorProcess } from "./promregator-process.js";

const USER = { username: "demo", password: "demo-e2e-secret" };

export interface DemoProduct {
  sim: RunningSimulator;
  /**
   * Starts one more Promregator process on the demo landscape; `env` adds configuration (Spring-style keys).
   * With `twoFoundations`, configured as `promregator demo --two-foundations`: `sim` is the foundation of the
   * `cf:` block, a second simulator (started once, on first use) the other one.
   */
  addPromregator(
    env?: Record<string, string>,
    opts?: { twoFoundations?: boolean },
  ): Promise<PromregatorProcess & { sdFile: string }>;
  stop(): Promise<void>;
}

/**
 * The demo landscape in the CF simulator, and Promregator processes configured as `promregator demo` configures
 * its own (every app, scraped through the router), each writing its file_sd file into its own scratch folder.
 */
export async function startDemoProduct(): Promise<DemoProduct> {
  const sim = await startSimulator({ landscape: demoLandscape(), users: [USER] });
  const dir = mkdtempSync(join(tmpdir(), "promregator-demo-e2e-"));
  const processes: PromregatorProcess[] = [];
  let second: Promise<RunningSimulator> | undefined;
  return {
    sim,
    async addPromregator(env = {}, opts = {}) {
      const port = await freePort();
      const sdFile = join(dir, `targets-${port}.json`);
      const server = { port, address: "127.0.0.1" };
      if (opts.twoFoundations) {
        second ??= startSimulator({
          landscape: demoSecondFoundationLandscape(DEMO_FOUNDATIONS[1]),
          users: [USER],
        });
      }
      const other = opts.twoFoundations ? await second : undefined;
      const proc = await startPromregatorProcess({
        yaml: other
          ? twoFoundationsConfigYaml([sim, other], USER.username, server)
          : simulatorConfigYaml(sim, USER.username, server),
        port,
        // Simulators of one process share their certificate.
        caPem: sim.caPem,
        env: {
          CF_PASSWORD: USER.password,
          ...(other && { FOUNDATIONS_0_PASSWORD: USER.password }),
          PROMREGATOR_DISCOVERY_HOSTNAME: "127.0.0.1",
          PROMREGATOR_DISCOVERY_PORT: String(port),
          PROMREGATOR_DISCOVERY_FILE: sdFile,
          ...env,
        },
      });
      processes.push(proc);
      return Object.assign(proc, { sdFile });
    },
    async stop() {
      await Promise.all(processes.map((p) => p.kill()));
      await Promise.all([sim.close(), second?.then((s) => s.close())]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
