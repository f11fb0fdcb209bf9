/**
 * For the helper processes a benchmark starts: run `stop` on SIGTERM/SIGINT, and also when the benchmark that
 * started us has gone without stopping us (we were re-parented).
 */
export function stopWithParent(stop) {
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}
