import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPromregator } from "./app.js";
import { loadConfig } from "./config/index.js";
import type { Logger } from "./log.js";
import { scrapeJobYaml } from "./prometheus-config.js";
import {
  DEMO_SERVICE_INSTANCE,
  demoLandscape,
  demoSecondFoundationLandscape,
  type RunningSimulator,
  startSimulator,
} from "./simulator/index.js";

/** Foundation names of `promregator demo --two-foundations`: the `cf:` block, then the `foundations:` entry. */
export const DEMO_FOUNDATIONS = ["eu", "us"] as const;

export interface DemoOptions {
  port: number;
  address: string;
  logger: Logger;
  /**
   * Two simulated foundations (DEMO_FOUNDATIONS) instead of one: every app of the first, and of the second only
   * the app bound to the service instance DEMO_SERVICE_INSTANCE, at the path its binding names.
   */
  twoFoundations?: boolean;
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
 * A promregator.yml for two running simulators: the first is the `cf:` block (every app), the second an entry of
 * `foundations:` with its own router as scrape proxy and one target, for apps bound to DEMO_SERVICE_INSTANCE.
 * Passwords are left to CF_PASSWORD and FOUNDATIONS_0_PASSWORD.
 */
export function twoFoundationsConfigYaml(
  sims: readonly [RunningSimulator, RunningSimulator],
  username: string,
  server: { port: number; address: string },
): string {
  const [eu, us] = sims;
  const [euName, usName] = DEMO_FOUNDATIONS;
  return [
    "cf:",
    `  name: ${euName}`,
    `  api_host: ${eu.apiUrl}`,
    `  username: ${username}`,
    "foundations:",
    `  - name: ${usName}`,
    `    api_host: ${us.apiUrl}`,
    `    username: ${username}`,
    "    scraping:",
    "      proxy:",
    `        host: ${us.routerAddress.host}`,
    `        port: ${us.routerAddress.port}`,
    "promregator:",
    "  targets:",
    "    - protocol: http",
    `    - foundation: ${usName}`,
    `      serviceInstanceName: ${DEMO_SERVICE_INSTANCE}`,
    "      protocol: http",
    "  scraping:",
    "    proxy:",
    `      host: ${eu.routerAddress.host}`,
    `      port: ${eu.routerAddress.port}`,
    "server:",
    `  port: ${server.port}`,
    `  address: ${server.address}`,
  ].join("\n");
}

/**
 * The scrape URL of the first target Promregator's /discovery lists (`<url><__metrics_path__>`), so that a new
 * user sees one instance's metrics without reading the document first; undefined when it cannot be read.
 */
async function firstScrapeUrl(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/discovery`);
    const groups = (await res.json()) as { labels?: Record<string, string> }[];
    const path = groups.find((g) => g.labels?.__metrics_path__)?.labels?.__metrics_path__;
    return path === undefined ? undefined : `${url}${path}`;
  } catch {
    return undefined;
  }
}

/**
 * A curl command that sets or ends an outage of a simulator's API (its admin API, POST /admin/outage): Cloud
 * Controller and UAA answer 503 while it lasts, the apps behind the router keep answering.
 */
function outageCommand(sim: RunningSimulator, body: string, caFile: string | undefined): string {
  const trust = caFile ? ` --cacert ${caFile}` : "";
  return `curl${trust} -X POST -H 'content-type: application/json' -d '${body}' ${sim.apiUrl}/admin/outage`;
}

/**
 * Starts the CF simulator and a Promregator that discovers it through the normal config path, so that
 * `npm start` shows the real product working with no Cloud Foundry at hand.
 */
export async function runDemo(opts: DemoOptions) {
  const print = opts.print ?? ((text: string) => process.stdout.write(text));
  const user = { username: "demo", password: randomUUID() };
  const server = { port: opts.port, address: opts.address };
  const sim = await startSimulator({ landscape: demoLandscape(), users: [user] });
  const second = opts.twoFoundations
    ? await startSimulator({ landscape: demoSecondFoundationLandscape(DEMO_FOUNDATIONS[1]), users: [user] })
    : undefined;
  const sims = second ? [sim, second] : [sim];
  const yaml = second
    ? twoFoundationsConfigYaml([sim, second], user.username, server)
    : simulatorConfigYaml(sim, user.username, server);
  // Passwords go through the environment, the way operators are told to pass them.
  const env: Record<string, string> = { CF_PASSWORD: user.password };
  if (second) env.FOUNDATIONS_0_PASSWORD = user.password;
  const { config } = loadConfig({ text: yaml, env });
  // Simulators of one process share their certificate; a PEM string holds each distinct one once.
  const caPem = [...new Set(sims.map((s) => s.caPem ?? ""))].join("");
  const app = await startPromregator({ config, logger: opts.logger, cfCa: caPem || undefined });
  await app.whenReady();
  const oneInstance = await firstScrapeUrl(app.url);
  // The same configuration as a file, for a check-config --resolve against this simulator.
  const dir = mkdtempSync(join(tmpdir(), "promregator-demo-"));
  writeFileSync(join(dir, "promregator.yml"), `${yaml}\n`);
  let trust = "";
  let trustFile: string | undefined;
  if (caPem) {
    trustFile = join(dir, "simulator-ca.pem");
    writeFileSync(trustFile, caPem);
    trust = `NODE_EXTRA_CA_CERTS=${trustFile} `;
  }
  const mode = second ? " --two-foundations" : "";
  const cli = process.argv[1]?.endsWith("cli.js") ? process.argv[1] : "dist/cli.js";
  const passwords = Object.entries(env)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ");
  const checkCommand = `${trust}${passwords} node ${cli} check-config --resolve ${join(dir, "promregator.yml")}`;
  print(
    [
      "",
      second
        ? `Promregator is running against two simulated Cloud Foundry foundations, ${DEMO_FOUNDATIONS.join(" and ")}.`
        : "Promregator is running against a simulated Cloud Foundry.",
      "",
      `  Status page:        ${app.url}/`,
      `  Service discovery:  ${app.url}/discovery`,
      ...(oneInstance ? [`  One instance:       ${oneInstance}`] : []),
      `  Own metrics:        ${app.url}/promregatorMetrics`,
      `  Health / ready:     ${app.url}/health  ${app.url}/ready`,
      `  Simulated CF API:   ${sim.apiUrl}  (user ${user.username}, password ${user.password})`,
      ...(second
        ? [
            `  Second foundation:  ${second.apiUrl}  (same user; ${DEMO_FOUNDATIONS[1]}: only apps bound to ` +
              `the service instance ${DEMO_SERVICE_INSTANCE} are scraped)`,
            "",
            "Each instance in /discovery names its foundation in __meta_promregator_target_foundation.",
            "The configuration it runs with:",
            "",
            yaml.replace(/^/gm, "  "),
          ]
        : []),
      "",
      "See what a configuration resolves to, against this simulator (a demo password, valid while it runs):",
      "",
      `  ${checkCommand}`,
      "",
      `Another port: npm start -- --port 9090${mode} (or promregator demo --port 9090${mode}).`,
      "More log lines on stderr: add --log.level info (or debug).",
      ...(second
        ? [
            "",
            `Take the foundation ${DEMO_FOUNDATIONS[1]} down (its API answers 503; "hang" never answers), and back up:`,
            "",
            `  ${outageCommand(second, '{"outage":"unavailable"}', trustFile)}`,
            `  ${outageCommand(second, "{}", trustFile)}`,
          ]
        : ["Two foundations and a service binding: npm start -- --two-foundations."]),
      "",
      "A complete prometheus.yml for it (to extend an existing one, add the job to its scrape_configs):",
      "",
      "scrape_configs:",
      scrapeJobYaml({ promregatorUrl: app.url, foundationLabel: second !== undefined }),
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
  return {
    app,
    sim,
    second,
    checkCommand,
    async close() {
      await app.close();
      await Promise.all(sims.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
