// External programs the benchmarks drive (Debian packages), found or installed on demand.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const TOOLS = {
  wrk: { path: "/usr/bin/wrk", deb: "wrk" },
  nginx: { path: "/usr/sbin/nginx", deb: "nginx" },
  prometheus: { path: "/usr/bin/prometheus", deb: "prometheus" },
};

function onPath(name) {
  const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

function canInstall() {
  return process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
}

/**
 * The path of a tool. When it is missing: installs its Debian package if we are root and apt-get
 * exists, otherwise stops with the command to run.
 */
export function requireTool(name) {
  const tool = TOOLS[name];
  const found = existsSync(tool.path) ? tool.path : onPath(name);
  if (found) return found;
  const command = `apt-get install -y --no-install-recommends ${tool.deb}`;
  if (!canInstall()) {
    throw new Error(`${name} is not installed; run: sudo ${command}`);
  }
  process.stderr.write(`${name} is missing; running: apt-get update && ${command}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", tool.deb], { stdio: "inherit", env });
  const installed = existsSync(tool.path) ? tool.path : onPath(name);
  if (!installed) throw new Error(`${name} is still missing after installing ${tool.deb}`);
  return installed;
}
