import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simulatorConfigYaml } from "../../src/demo.js";
import { demoLandscape, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { freePort } from "./prometheus.js";
import { type PromregatorProcess, startPromregatorProcess } from "./promregator-process.js";

const USER = { username: "demo", password: "demo-e2e-secret" };

export interface DemoProduct {
  sim: RunningSimulator;
  /** Starts one more Promregator process on the demo landscape; `env` adds configuration (Spring-style keys). */
  addPromregator(env?: Record<string, string>): Promise<PromregatorProcess & { sdFile: string }>;
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
  return {
    sim,
    async addPromregator(env = {}) {
      const port = await freePort();
      const sdFile = join(dir, `targets-${port}.json`);
      const proc = await startPromregatorProcess({
        yaml: simulatorConfigYaml(sim, USER.username, { port, address: "127.0.0.1" }),
        port,
        caPem: sim.caPem,
        env: {
          CF_PASSWORD: USER.password,
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
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
