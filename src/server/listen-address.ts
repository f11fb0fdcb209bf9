/**
 * `--web.listen-address` as Prometheus takes it: `host:port`, `:port` (all interfaces) or `[v6]:port`.
 * Throws on anything else, naming the expected form.
 */
export function parseListenAddress(value: string): { address: string; port: number } {
  const match = /^(\[[^\]\s]+\]|[^:[\]\s]*):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65535) throw new Error("expects host:port, :port or [ipv6]:port");
  const host = match[1].replace(/^\[(.*)\]$/, "$1");
  return { address: host === "" ? "0.0.0.0" : host, port };
}
