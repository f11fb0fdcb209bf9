import { pino } from "pino";

export type Logger = pino.Logger;

/** JSON logs on stderr, so stdout stays free for command output (check-config, demo URLs). */
export function createLogger(
  level = "info",
  destination: pino.DestinationStream = pino.destination(2),
): Logger {
  return pino(
    {
      level: normaliseLevel(level),
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
