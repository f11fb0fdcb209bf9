/**
 * Reads a file named by the configuration (the configuration file itself, PEM files, key files) without ever
 * blocking or reading without bound: the path must name a regular file of at most MAX_CONFIG_BYTES.
 * `/dev/zero`, a FIFO or a directory is refused at once (a FIFO is opened non-blocking, so a missing writer
 * cannot hang start-up).
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { ConfigError } from "./errors.js";

/** Real files are a few kilobytes; even one with embedded PEM certificates stays far below this. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

export interface GuardedReadOptions {
  /** The configuration key (or flag, variable) that names the file; errors are reported against it. */
  key?: string;
  /** How the file is named in messages, before its path; "the file" unless told. */
  what?: string;
  /** Appended to the "not a regular file" message, e.g. what kind of file is expected. */
  hint?: string;
  maxBytes?: number;
}

/**
 * The bytes of `path`, a regular file of at most `maxBytes`. Throws a ConfigError naming the key and the path
 * when it cannot be opened, is not a regular file ("not a regular file") or is too large ("too large").
 */
export function readGuardedFile(path: string, options: GuardedReadOptions = {}): Buffer {
  const { key, what = "the file", hint, maxBytes = MAX_CONFIG_BYTES } = options;
  const fail = (message: string): never => {
    throw new ConfigError(message, key);
  };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    return fail(`cannot read ${what} ${path} (${(err as NodeJS.ErrnoException).code ?? "read error"})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      fail(`${what} ${path} is ${kindOf(stat)}, not a regular file${hint ? `; ${hint}` : ""}`);
    const limit = `the limit is ${maxBytes / 1024 ** 2} MiB`;
    if (stat.size > maxBytes) fail(`${what} ${path} is too large (${stat.size} bytes; ${limit})`);
    // Read at most one byte past the limit, so that a file growing while it is read is refused too.
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) return buffer.subarray(0, length);
      length += n;
      if (length > maxBytes) fail(`${what} ${path} is too large (more than ${limit})`);
    }
  } finally {
    closeSync(fd);
  }
}

/** The bytes of the configuration file; throws ConfigError naming the path when it cannot or must not be read. */
export function readConfigFile(path: string, maxBytes = MAX_CONFIG_BYTES): Buffer {
  return readGuardedFile(path, {
    what: "the configuration file",
    hint: "name a YAML or .properties file",
    maxBytes,
  });
}
