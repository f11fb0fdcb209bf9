import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPromregator } from "./app.js";
import { loadConfig } from "./config/index.js";
import type { Logger } from "./log.js";
import { scrapeJobYaml } from "./prometheus-config.js";
import { demoLandscape, type RunningSimulator, startSimulator } from "./simulator/index.js";

export interface DemoOptions {
  port: number;
  address: string;
  logger: Logger;
  /** Where to print the URLs (stdout by default). */
  print?: (text: string) => void;
}

/**
 * A promregator.yml that discovers every app of a running simulator and scrapes through its router (plain HTTP,
 * the only protocol simulated instances speak). The password is left to CF_PASSWORD.
 */
export function simulatorConfigYaml(
  sim: RunningSimulator,
  username: string,
  server: { port: number; address: string },
  target = "    - protocol: http",
): string {
  return [
    "cf:",
    `  api_host: ${sim.apiUrl}`,
    `  username: ${username}`,
    "promregator:",
    "  targets:",
    target,
    "  scraping:",
    "    proxy:",
    `      host: ${sim.routerAddress.host}`,
    `      port: ${sim.routerAddress.port}`,
    "server:",
    `  port: ${server.port}`,
    `  address: ${server.address}`,
  ].join("\n");
}

/**
 * Starts the CF simulator and a Promregator that discovers it through the normal config path, so that
 * `npm start` shows the real product working with no Cloud Foundry at hand.
 */
export async function runDemo(opts: DemoOptions) {
  const print = opts.print ?? ((text: string) => process.stdout.write(text));
  const user = { username: "demo", password: randomUUID() };
  const sim = await startSimulator({ landscape: demoLandscape(), users: [user] });
  const yaml = simulatorConfigYaml(sim, user.username, { port: opts.port, address: opts.address });
  // The password goes through the environment, the way operators are told to pass it.
  const { config } = loadConfig({ text: yaml, env: { CF_PASSWORD: user.password } });
  const app = await startPromregator({ config, logger: opts.logger, cfCa: sim.caPem });
  await app.whenReady();
  // The same configuration as a file, for a check-config --resolve against this simulator.
  const dir = mkdtempSync(join(tmpdir(), "promregator-demo-"));
  writeFileSync(join(dir, "promregator.yml"), `${yaml}\n`);
  let trust = "";
  if (sim.caPem) {
    writeFileSync(join(dir, "simulator-ca.pem"), sim.caPem);
    trust = `NODE_EXTRA_CA_CERTS=${join(dir, "simulator-ca.pem")} `;
  }
  const cli = process.argv[1]?.endsWith("cli.js") ? process.argv[1] : "dist/cli.js";
  const checkCommand = `${trust}CF_PASSWORD=${user.password} node ${cli} check-config --resolve ${join(dir, "promregator.yml")}`;
  print(
    [
      "",
      "Promregator is running against a simulated Cloud Foundry.",
      "",
      `  Status page:        ${app.url}/`,
      `  Service discovery:  ${app.url}/discovery`,
      `  Own metrics:        ${app.url}/promregatorMetrics`,
      `  Health / ready:     ${app.url}/health  ${app.url}/ready`,
      `  Simulated CF API:   ${sim.apiUrl}  (user ${user.username}, password ${user.password})`,
      "",
      "See what a configuration resolves to, against this simulator (a demo password, valid while it runs):",
      "",
      `  ${checkCommand}`,
      "",
      "Another port: npm start -- --port 9090 (or promregator demo --port 9090).",
      "",
      "A complete prometheus.yml for it (to extend an existing one, add the job to its scrape_configs):",
      "",
      "scrape_configs:",
      scrapeJobYaml({ promregatorUrl: app.url }),
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  return {
    app,
    sim,
    checkCommand,
    async close() {
      await app.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
