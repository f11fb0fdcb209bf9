import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Agent, request } from "undici";
import type { RunningSimulator } from "../../src/simulator/index.js";

const CLI = resolve(import.meta.dirname, "../../dist/cli.js");

export interface PromregatorProcess {
  url: string;
  port: number;
  /** The configuration file the process was started with (removed by kill()). */
  configFile: string;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the built CLI (dist/cli.js) as its own process with a config file, and waits until /ready answers 200. */
export async function startPromregatorProcess(opts: {
  yaml: string;
  port: number;
  env?: Record<string, string>;
  caPem?: string;
  /** The server serves HTTPS (server.tls) with a certificate issued by this CA (PEM). */
  serverCaPem?: string;
  /** More command-line arguments. */
  args?: string[];
  /** Answers the status of GET <url>/ready, for servers the default probe cannot reach (client certificates). */
  probe?: (readyUrl: string) => Promise<number | undefined>;
}): Promise<PromregatorProcess> {
  const dir = mkdtempSync(join(tmpdir(), "promregator-proc-"));
  const configFile = join(dir, "promregator.yml");
  writeFileSync(configFile, opts.yaml);
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...opts.env };
  if (opts.caPem) {
    const caFile = join(dir, "ca.pem");
    writeFileSync(caFile, opts.caPem);
    // The documented way to trust a private CA for the CF API and targets.
    env.NODE_EXTRA_CA_CERTS = caFile;
  }
  let output = "";
  const child: ChildProcess = spawn(process.execPath, [CLI, "--config", configFile, ...(opts.args ?? [])], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const url = `${opts.serverCaPem ? "https" : "http"}://127.0.0.1:${opts.port}`;
  const dispatcher = opts.serverCaPem ? new Agent({ connect: { ca: opts.serverCaPem } }) : undefined;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`promregator exited with ${child.exitCode}:\n${output}`);
    try {
      if (opts.probe) {
        if ((await opts.probe(`${url}/ready`)) === 200) break;
        throw new Error("not ready");
      }
      const ready = await request(`${url}/ready`, { dispatcher });
      await ready.body.dump();
      // Ready, and from this child: had it failed to listen, another process on the port could have answered.
      if (ready.statusCode === 200 && child.exitCode === null) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`promregator did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await dispatcher?.close();
  return {
    url,
    port: opts.port,
    configFile,
    output: () => output,
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
        child.kill(signal);
        const code = await exited;
        rmSync(dir, { recursive: true, force: true });
        return code;
      }
      rmSync(dir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

/**
 * A promregator.yml for a simulated landscape: every app of one org and space as target (http), scraped through
 * the simulated router as proxy; `discoveryExtra` holds further lines under `promregator.discovery`.
 */
export function simulatorYaml(opts: {
  sim: Pick<RunningSimulator, "apiUrl" | "routerAddress">;
  port: number;
  user: { username: string; password: string };
  org: string;
  space: string;
  discoveryExtra?: string;
}): string {
  const { sim, port, user } = opts;
  return `
cf:
  api_host: ${sim.apiUrl}
  username: ${user.username}
  password: ${user.password}
promregator:
  targets:
    - orgName: ${opts.org}
      spaceName: ${opts.space}
      protocol: http
  scraping:
    proxy:
      host: ${sim.routerAddress.host}
      port: ${sim.routerAddress.port}
  discovery:
    hostname: 127.0.0.1
    port: ${port}
${opts.discoveryExtra ?? ""}
server:
  port: ${port}
  address: 127.0.0.1
logging:
  level:
    org.cloudfoundry.promregator: info
`;
}
