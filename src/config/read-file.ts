/**
 * Reads the configuration file without ever blocking or reading without bound: the path must name a regular
 * file of at most MAX_CONFIG_BYTES. `/dev/zero`, a FIFO or a directory is refused at once (a FIFO is opened
 * non-blocking, so a missing writer cannot hang start-up).
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

/** The bytes of `path`; throws ConfigError naming the path when it cannot or must not be read. */
export function readConfigFile(path: string, maxBytes = MAX_CONFIG_BYTES): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "read error";
    throw new ConfigError(`cannot read the configuration file ${path} (${code})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new ConfigError(
        `the configuration file ${path} is ${kindOf(stat)}, not a regular file; name a YAML or .properties file`,
      );
    }
    const limit = `the limit is ${maxBytes / 1024 ** 2} MiB`;
    if (stat.size > maxBytes) {
      throw new ConfigError(`the configuration file ${path} is too large (${stat.size} bytes; ${limit})`);
    }
    // Read at most one byte past the limit, so that a file growing while it is read is refused too.
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) return buffer.subarray(0, length);
      length += n;
      if (length > maxBytes) {
        throw new ConfigError(`the configuration file ${path} is too large (more than ${limit})`);
      }
    }
  } finally {
    closeSync(fd);
  }
}
