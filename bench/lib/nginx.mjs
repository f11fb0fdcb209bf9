// nginx as the baseline reverse proxy, configured from bench/nginx/nginx.conf.template in a temp dir.
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startChild, waitFor } from "./child.mjs";
import { childPids } from "./proc.mjs";
import { freePort, tempDir } from "./processes.mjs";
import { requireTool } from "./tools.mjs";

const TEMPLATE = resolve(import.meta.dirname, "../nginx/nginx.conf.template");

export function renderNginxConf(values) {
  return readFileSync(TEMPLATE, "utf8").replace(/\{\{(\w+)\}\}/g, (_, key) => {
    if (values[key] === undefined) throw new Error(`nginx template: no value for ${key}`);
    return String(values[key]);
  });
}

/**
 * Starts `nginx -p <dir> -c nginx.conf` in the foreground (daemon off), proxying to 127.0.0.1:appPort and
 * adding X-CF-APP-INSTANCE. Resolves when it answers; `pids()` lists master and worker.
 */
export async function startNginx({ appPort, instance }) {
  const bin = requireTool("nginx");
  const dir = tempDir("nginx");
  // workers run as an unprivileged user when nginx is started as root; they must reach the temp dirs
  chmodSync(dir, 0o755);
  const port = await freePort();
  writeFileSync(
    join(dir, "nginx.conf"),
    renderNginxConf({ DIR: dir, APP_PORT: appPort, PORT: port, INSTANCE: instance }),
  );
  const handle = await startChild(bin, ["-p", dir, "-c", "nginx.conf"], { name: "nginx" });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await handle.stop("SIGQUIT");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "nginx to answer",
      async () => {
        const res = await fetch(`${url}/small`);
        await res.arrayBuffer();
        return res.ok ? true : undefined;
      },
      {
        timeoutMs: 10_000,
        gaveUp: () => (handle.exited() ? `nginx exited: ${handle.output()}` : undefined),
      },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: handle.pid, pids: () => [handle.pid, ...childPids(handle.pid)], stop };
}
