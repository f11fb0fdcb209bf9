import { randomUUID } from "node:crypto";
import { startPromregator } from "./app.js";
import type { Config } from "./config/index.js";
import type { Logger } from "./log.js";
import { type LandscapeSpec, startSimulator } from "./simulator/index.js";

/** The Java version's simulated landscape: org simorg, space simspace, apps testapp1..testapp100. */
export function javaSimulationLandscape(instances: number): LandscapeSpec {
  return {
    domains: [{ name: "shared.domain.example.org" }, { name: "apps.internal", internal: true }],
    orgs: [
      {
        name: "simorg",
        spaces: [
          {
            name: "simspace",
            apps: Array.from({ length: 100 }, (_, i) => ({
              name: `testapp${i + 1}`,
              instances,
              routes: [`hostapp${i + 1}.shared.domain.example.org`],
            })),
          },
        ],
      },
    ],
  };
}

/**
 * `promregator.simulation.enabled: true`: the built-in simulator plays Cloud Foundry with the Java version's
 * landscape. Returns the configuration pointed at it (its API, a user of its own, plain HTTP through its router,
 * because the simulated instances speak nothing else; the configured targets are kept), its CA, and `close`.
 */
export async function startSimulatedCf(config: Config) {
  const user = { username: "simulation", password: randomUUID() };
  const sim = await startSimulator({
    landscape: javaSimulationLandscape(config.promregator.simulation.instances),
    users: [user],
  });
  const toSimulator = (cf: Config["cf"]): Config["cf"] => ({
    ...cf,
    apiUrl: sim.apiUrl,
    api_host: sim.apiUrl,
    ...user,
    client_id: undefined,
    client_secret: undefined,
  });
  const simulated: Config = {
    ...config,
    cf: toSimulator(config.cf),
    // One foundation only: the configuration refuses foundations[] with simulation mode.
    foundations: config.foundations.map((f) => ({
      ...f,
      cf: toSimulator(f.cf),
      scrapingProxy: sim.routerAddress,
    })),
    promregator: {
      ...config.promregator,
      targets: config.promregator.targets.map((t) => ({ ...t, protocol: "http" as const })),
      scraping: { ...config.promregator.scraping, proxy: sim.routerAddress },
    },
  };
  return { config: simulated, caPem: sim.caPem, apiUrl: sim.apiUrl, close: () => sim.close() };
}

/** Like the Java version, run without any Cloud Foundry: the real client, caches and scrape proxy all run. */
export async function startSimulationMode(config: Config, logger: Logger) {
  const sim = await startSimulatedCf(config);
  logger.warn(
    { cfApi: sim.apiUrl },
    "simulation mode: serving a simulated Cloud Foundry landscape, not a real one",
  );
  try {
    const app = await startPromregator({ config: sim.config, logger, cfCa: sim.caPem });
    return {
      app,
      async close() {
        await app.close();
        await sim.close();
      },
    };
  } catch (error) {
    await sim.close();
    throw error;
  }
}
