#!/usr/bin/env node
import { Command, InvalidArgumentError } from "commander";
import { stringify } from "yaml";
import { startPromregator } from "./app.js";
import { ConfigError, loadConfig, locateConfigFile, maskSecrets } from "./config/load.js";
import { runDemo } from "./demo.js";
import { createLogger, type Logger } from "./log.js";
import { VERSION } from "./version.js";

/** Exit code for configuration errors (the watchdog uses 161 for "restart me"). */
const EXIT_CONFIG = 2;

function fail(message: string, code = 1): never {
  process.stderr.write(`promregator: ${message}\n`);
  process.exit(code);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("not a TCP port");
  return port;
}

function loadOrExit(file: string | undefined) {
  const path = locateConfigFile(file, process.env);
  if (!path) {
    fail(
      "no configuration file found (tried --config, $PROMREGATOR_CONFIG, /etc/promregator/promregator.yml, " +
        "./promregator.yml). Run `promregator demo` to try it against a simulated Cloud Foundry.",
      EXIT_CONFIG,
    );
  }
  try {
    return loadConfig({ file: path, env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) fail(`configuration error: ${error.message}`, EXIT_CONFIG);
    throw error;
  }
}

/** SIGTERM/SIGINT: stop accepting, finish in-flight scrapes, exit 0. */
function onShutdown(logger: Logger, close: () => Promise<void>) {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down");
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "error during shutdown");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

const program = new Command()
  .name("promregator")
  .description("Prometheus service discovery and scrape proxy for Cloud Foundry app instances")
  .version(VERSION)
  .option("-c, --config <file>", "configuration file (promregator.yml)")
  .action(async (opts: { config?: string }) => {
    const { config, warnings } = loadOrExit(opts.config);
    const logger = createLogger(config.logging.level);
    for (const warning of warnings) logger.warn(`configuration: ${warning}`);
    const app = await startPromregator({ config, logger });
    onShutdown(logger, () => app.close());
  });

program
  .command("check-config")
  .description("validate a configuration file and print the effective configuration with secrets masked")
  .argument("[file]", "configuration file (default: the one promregator would use)")
  .action((file: string | undefined) => {
    const { config, warnings } = loadOrExit(file ?? program.opts<{ config?: string }>().config);
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    process.stdout.write(stringify(maskSecrets(config)));
    process.stderr.write(`configuration ${config.source ?? ""} is valid\n`);
  });

program
  .command("demo")
  .description("run Promregator against a built-in simulated Cloud Foundry landscape")
  .option("-p, --port <port>", "port to serve on", parsePort, 8080)
  .option("-a, --address <address>", "address to bind", "127.0.0.1")
  .action(async (opts: { port: number; address: string }) => {
    const logger = createLogger(process.env.LOG_LEVEL ?? "warn");
    const demo = await runDemo({ port: opts.port, address: opts.address, logger });
    onShutdown(logger, () => demo.close());
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error));
});
