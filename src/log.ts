import { pino } from "pino";

export type Logger = pino.Logger;

/**
 * JSON logs on stderr, so stdout stays free for command output (check-config, demo URLs). `modules` gives
 * single modules their own level (`{ cf: "debug" }`); a module is known by the `module` binding of its child
 * logger (`logger.child({ module: "cf" })`).
 */
export function createLogger(
  level = "info",
  destination: pino.DestinationStream = pino.destination(2),
  modules: Readonly<Record<string, string>> = {},
): Logger {
  const base = normaliseLevel(level);
  const thresholds = new Map(
    Object.entries(modules).map(([m, l]) => [m, pino.levels.values[normaliseLevel(l)] ?? Infinity]),
  );
  const value = (l: string) => pino.levels.values[l] ?? Infinity;
  // The logger itself lets through the most verbose level in use; the hook applies each module's own.
  const lowest = [base, ...Object.values(modules).map(normaliseLevel)].reduce((a, b) =>
    value(b) < value(a) ? b : a,
  );
  const baseValue = value(base);
  return pino(
    {
      level: lowest,
      ...(thresholds.size > 0 && {
        hooks: {
          logMethod(args, method, levelValue) {
            const module = (this.bindings() as { module?: unknown }).module;
            const threshold = (typeof module === "string" ? thresholds.get(module) : undefined) ?? baseValue;
            if (levelValue >= threshold) method.apply(this, args);
          },
        },
      }),
      base: { name: "promregator" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          "password",
          "client_secret",
          "token",
          "authorization",
          "*.password",
          "*.client_secret",
          "*.token",
        ],
        censor: "***",
      },
    },
    destination,
  );
}

/** Spring levels (WARN, TRACE, OFF...) to pino levels. */
export function normaliseLevel(level: string): string {
  const l = level.toLowerCase();
  if (l === "off") return "silent";
  if (l === "warning") return "warn";
  return ["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(l) ? l : "info";
}

/** A logger that drops everything; for tests and library use. */
export const silentLogger: Logger = pino({ level: "silent" });

/** `--log.format`: JSON lines (default) or logfmt, as Prometheus' own `--log.format` offers. */
export const LOG_FORMATS = ["json", "logfmt"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

function logfmtValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}

/** One logfmt line (`level=info ts=... msg="..." key=value`) from one pino JSON line; nested values as JSON. */
export function toLogfmt(jsonLine: string): string {
  const { level, time, msg, ...rest } = JSON.parse(jsonLine) as Record<string, unknown>;
  const fields = { level, ts: time, msg, ...rest };
  return `${Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${logfmtValue(value)}`)
    .join(" ")}\n`;
}

/**
 * Where createLogger writes: stderr, as JSON lines or logfmt. Asynchronously by default; `sync` for the last
 * lines of a process about to exit, which must reach stderr in the order they were logged.
 */
export function logDestination(format: LogFormat = "json", { sync = false } = {}): pino.DestinationStream {
  const stderr = pino.destination({ dest: 2, sync });
  if (format === "json") return stderr;
  return { write: (line: string) => void stderr.write(toLogfmt(line)) };
}
