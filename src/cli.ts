#!/usr/bin/env node

import { Command, type CommanderError, InvalidArgumentError, Option } from "commander";
import { stringify } from "yaml";
import {
  ConfigError,
  effectiveConfigDocument,
  encryptValue,
  foundationsWithoutTargets,
  LOG_LEVELS,
  loadStartupConfig,
} from "./config/index.js";
import { errorMessage } from "./errors.js";
import { accountExternalMemoryInGlobalLimit } from "./external-memory-flag.js";
import { createLogger, LOG_FORMATS, type LogFormat, type Logger, logDestination } from "./log.js";
import { EXIT_CF_FAILURE, EXIT_STRICT_EMPTY } from "./resolve-report/index.js";
import { inboundCredentials, loadWebConfig, parseListenAddress } from "./server/index.js";
import { EXIT_CONFIG, logStartupFailure } from "./startup-log.js";
import { VERSION } from "./version.js";

accountExternalMemoryInGlobalLimit();

/** Prints `warnings` (what was found before the failure; they often explain it), then `message`, and exits. */
type Fail = (message: string, code?: number, warnings?: readonly string[]) => never;

const fail: Fail = (message, code = 1, warnings = []) => {
  for (const warning of warnings) process.stderr.write(`promregator: warning: ${warning}\n`);
  process.stderr.write(`promregator: ${message}\n`);
  process.exit(code);
};

/** `--log.format`, `--log.level`, `--web.listen-address`, `--web.config.file`: Prometheus' flag names. */
interface GlobalFlags {
  config?: string;
  "log.level"?: string;
  "log.format"?: LogFormat;
  "web.listenAddress"?: { address: string; port: number };
  "web.config.file"?: string;
}
const flags = () => program.opts<GlobalFlags>();
const serverLogger = (level?: string, modules?: Record<string, string>) =>
  createLogger(flags()["log.level"] ?? level, logDestination(flags()["log.format"]), modules);

/** The server's stderr carries log lines only (JSON or logfmt), also for a failed start. */
const failAsJson: Fail = (message, code = 1, warnings = []) => {
  // Written synchronously: asynchronous writes still in flight at exit can reach stderr after the last line.
  const logger = createLogger(flags()["log.level"], logDestination(flags()["log.format"], { sync: true }));
  for (const warning of warnings) logger.warn(`configuration: ${warning}`);
  logger.fatal(message);
  process.exit(code);
};

function parsePositiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new InvalidArgumentError("not a positive number of seconds");
  return seconds;
}

/** `--log.format` as written anywhere on the command line (`--log.format x` or `--log.format=x`). */
function logFormatInArgs(): LogFormat | undefined {
  const args = process.argv;
  for (let i = 0; i < args.length; i++) {
    const value =
      args[i] === "--log.format"
        ? args[i + 1]
        : args[i].startsWith("--log.format=")
          ? args[i].slice(13)
          : undefined;
    if (value !== undefined && (LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  }
  return undefined;
}

/** `--log.level`: the levels logging.level.root accepts, in any case; anything else is a bad command line. */
function parseLogLevel(value: string): string {
  if (!(LOG_LEVELS as readonly string[]).includes(value.toLowerCase()))
    throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(", ")}`);
  return value;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("not a TCP port");
  return port;
}

function loadOrExit(file: string | undefined, exitCode = EXIT_CONFIG, onError: Fail = fail) {
  try {
    const loaded = loadStartupConfig(file, process.env);
    const { "web.listenAddress": listenAddress, "web.config.file": webConfigFile } = flags();
    Object.assign(loaded.config.server, listenAddress, webConfigFile && { webConfigFile });
    inboundCredentials(loaded.config); // refuses BASIC without a password, also in check-config
    // Read here too, so that check-config refuses what the server would refuse, and says what it would warn.
    const web = loaded.config.server.webConfigFile
      ? loadWebConfig(loaded.config.server.webConfigFile)
      : undefined;
    return { ...loaded, web };
  } catch (error) {
    // Warnings often explain the error (an ignored profile document, a misspelt key).
    if (error instanceof ConfigError)
      onError(`configuration error: ${error.message}`, exitCode, error.warnings);
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
  // Commander adds `help <command>` by itself only to programs without an action of their own; this one has one.
  .helpCommand(true)
  // A subcommand's help also lists --config and the other options of the program, which it reads too.
  .configureHelp({ showGlobalOptions: true })
  // Usage errors share exit code 2 with configuration errors, so that 1 keeps meaning "Cloud Foundry failed".
  .exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 0 ? 0 : EXIT_CONFIG);
  })
  .option("-c, --config <file>", "configuration file (promregator.yml or promregator.properties)")
  .option(
    "--web.listen-address <host:port>",
    "address and port to listen on (server.address, server.port)",
    (v) => {
      try {
        return parseListenAddress(v);
      } catch (error) {
        throw new InvalidArgumentError(errorMessage(error));
      }
    },
  )
  .option(
    "--web.config.file <file>",
    "TLS, client certificates and bcrypt users (Prometheus exporter-toolkit format)",
  )
  .option(
    "--log.level <level>",
    "log level (error, warn, info, debug...), over logging.level.root",
    parseLogLevel,
  )
  .addOption(
    new Option("--log.format <format>", "format of the log lines on stderr")
      .choices(LOG_FORMATS)
      .default("json"),
  )
  .action(async (opts: { config?: string }) => {
    const { config, warnings, web } = loadOrExit(opts.config, EXIT_CONFIG, failAsJson);
    const logger = serverLogger(config.logging.level, config.logging.modules);
    for (const warning of warnings) logger.warn(`configuration: ${warning}`);
    try {
      // Modules are loaded by the command that needs them: `demo` and simulation mode pull in the simulator.
      const running = config.promregator.simulation.enabled
        ? await (await import("./simulation-mode.js")).startSimulationMode(config, logger)
        : await (await import("./app.js")).startPromregator({ config, logger, ...(web && { web }) });
      onShutdown(logger, () => running.close());
    } catch (error) {
      process.exit(logStartupFailure(logger, error));
    }
  });

interface CheckConfigOptions {
  resolve?: boolean;
  strict?: boolean;
  json?: boolean;
  timeout: number;
  logLevel: string;
}

program
  .command("check-config")
  .description(
    "validate a configuration file and print the effective configuration with secrets masked; with --resolve, " +
      "log in to Cloud Foundry and show what would be scraped",
  )
  .argument("[file]", "configuration file (default: the one promregator would use)")
  .option("--resolve", "log in to Cloud Foundry, resolve the targets once and print what would be scraped")
  .option(
    "--strict",
    `with --resolve: exit with ${EXIT_STRICT_EMPTY} when a configured target matches nothing, or nothing would be scraped`,
  )
  .option("--json", "with --resolve: print the report as JSON")
  .option("--timeout <seconds>", "with --resolve: give up after this long", parsePositiveSeconds, 120)
  .option("--log-level <level>", "with --resolve: level of the log lines on stderr", parseLogLevel, "error")
  .addHelpText(
    "after",
    `
Exit codes:
  0  the configuration is valid (with --resolve: and the Cloud Controller answered for every target)
  ${EXIT_CF_FAILURE}  with --resolve: Cloud Controller unreachable, login failed, or it failed for a target
  ${EXIT_CONFIG}  configuration error (the message names the key and file:line) or bad command line
  ${EXIT_STRICT_EMPTY}  with --resolve --strict: a configured target matched no app instance, or nothing at all
     would be scraped (with several foundations: from one of them; one that no target names is not contacted)

Progress goes to stderr, the report to stdout. Secrets are never printed.`,
  )
  .action(async (file: string | undefined, opts: CheckConfigOptions) => {
    if (!opts.resolve && (opts.strict || opts.json)) {
      fail("--strict and --json only apply together with --resolve", EXIT_CONFIG);
    }
    const { config, warnings, web } = loadOrExit(file ?? program.opts<{ config?: string }>().config);
    for (const warning of [...warnings, ...foundationsWithoutTargets(config)]) {
      process.stderr.write(`warning: ${warning}\n`);
    }
    if (web) {
      for (const key of web.ignored)
        process.stderr.write(`warning: web configuration: ${key} has no effect here\n`);
      process.stderr.write(`web configuration ${web.file} is valid\n`);
    }
    if (!opts.resolve) {
      process.stdout.write(stringify(effectiveConfigDocument(config)));
      process.stderr.write(`configuration ${config.source ?? "from the environment"} is valid\n`);
      return;
    }
    const simulation = config.promregator.simulation.enabled;
    if (!config.cf.apiUrl && !simulation)
      fail("cf.api_host is not set, so there is nothing to resolve", EXIT_CONFIG);
    process.stderr.write(`configuration ${config.source ?? "from the environment"} is valid\n`);
    // promregator.simulation.enabled: resolve against the simulated landscape the server would serve.
    const sim = simulation
      ? await (await import("./simulation-mode.js")).startSimulatedCf(config)
      : undefined;
    if (sim)
      process.stderr.write(
        `simulation mode: resolving against the simulated Cloud Foundry at ${sim.apiUrl}\n`,
      );
    const { runResolveCheck } = await import("./resolve-report/index.js");
    const code = await runResolveCheck({
      config: sim?.config ?? config,
      cfCa: sim?.caPem,
      logger: createLogger(opts.logLevel),
      strict: opts.strict === true,
      json: opts.json === true,
      timeoutMs: opts.timeout * 1000,
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
      tty: process.stderr.isTTY === true,
    });
    await sim?.close();
    process.exit(code);
  });

program
  .command("encrypt")
  .description(
    "encrypt a value for promregator.yml as '{cipher}...' (Spring Cloud Config format); reads the value from " +
      "stdin and the key from $ENCRYPT_KEY",
  )
  .option("--salt <hex>", "salt in hex (encrypt.salt)", "deadbeef")
  .action(async (opts: { salt: string }) => {
    const key = process.env.ENCRYPT_KEY;
    if (!key) fail("set the key in the environment variable ENCRYPT_KEY", EXIT_CONFIG);
    if (process.stdin.isTTY) process.stderr.write("Type the value to encrypt, then press Ctrl-D.\n");
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    // One trailing newline is what `echo` or a terminal adds; it is not part of the secret.
    const plaintext = Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
    if (plaintext === "") fail("nothing to encrypt: stdin was empty", EXIT_CONFIG);
    try {
      process.stdout.write(`'{cipher}${encryptValue(plaintext, key, { salt: opts.salt })}'\n`);
    } catch (error) {
      fail(errorMessage(error), EXIT_CONFIG);
    }
  });

program
  .command("healthcheck")
  .description(
    "exit 0 when the server of this configuration answers /health, else 1 (for container health checks)",
  )
  .option("--timeout <seconds>", "give up after this long", parsePositiveSeconds, 4)
  .action(async (opts: { timeout: number }) => {
    const { config } = loadOrExit(program.opts<{ config?: string }>().config, 1); // Docker reserves 2
    const { checkHealth } = await import("./healthcheck.js");
    let result: Awaited<ReturnType<typeof checkHealth>>;
    try {
      result = await checkHealth(config.server, opts.timeout * 1000);
    } catch (error) {
      if (error instanceof ConfigError) fail(`configuration error: ${error.message}`, 1);
      throw error;
    }
    (result.healthy ? process.stdout : process.stderr).write(`${result.detail}\n`);
    process.exit(result.healthy ? 0 : 1);
  });

program
  .command("demo")
  .description("run Promregator against a built-in simulated Cloud Foundry landscape")
  .option("-p, --port <port>", "port to serve on", parsePort, 8080)
  .option("-a, --address <address>", "address to bind", "127.0.0.1")
  .option(
    "--two-foundations",
    "two simulated foundations (cf.name eu, foundations[0] us); us scrapes only the app bound to the " +
      "user-provided service instance metrics-endpoint",
  )
  .addHelpText(
    "after",
    `
Log lines go to stderr at level warn; --log.level info (or debug) and --log.format apply as for the server,
as does LOGGING_LEVEL_ROOT. With --two-foundations, the printed curl commands take the second simulated
foundation's API down (POST /admin/outage of its simulator) and back up.`,
  )
  .action(async (opts: { port: number; address: string; twoFoundations?: boolean }) => {
    // The server's log options; the level defaults to warn so that the printed URLs stay readable.
    const level = flags()["log.level"] ?? process.env.LOGGING_LEVEL_ROOT ?? "warn";
    const logger = createLogger(level, logDestination(flags()["log.format"]));
    const { runDemo } = await import("./demo.js");
    const demo = await runDemo({
      port: opts.port,
      address: opts.address,
      logger,
      twoFoundations: opts.twoFoundations === true,
    });
    onShutdown(logger, () => demo.close());
  });

// Declared after the subcommands, so that only the server's own command line errors become log lines: its
// stderr carries log lines only. check-config, encrypt and the others keep Commander's plain text.
program.configureOutput({
  outputError: (text) => {
    // Options after the bad one are not parsed yet: read --log.format from the command line itself.
    const logger = createLogger("info", logDestination(logFormatInArgs(), { sync: true }));
    logger.fatal(`bad command line: ${text.replace(/^error: /, "").trim()}`);
  },
});

program.parseAsync(process.argv).catch((error: unknown) => {
  fail(errorMessage(error));
});
