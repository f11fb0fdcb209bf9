import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, CLI, scratchDir } from "./run-cli.js";

// A Cloud Controller that never answers, while every CF timeout is a minute: SIGTERM must abort the request in
// flight and send none after it (no retry, no next refresh), instead of waiting the timeouts out.
const dir = scratchDir();
const seen: { at: number; url: string }[] = [];
const held: ServerResponse[] = [];
const cc = createServer((req: IncomingMessage, res: ServerResponse) => {
  seen.push({ at: Date.now(), url: req.url ?? "" });
  held.push(res);
});

beforeAll(async () => {
  assertBuilt();
  await new Promise<void>((resolve) => cc.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  for (const res of held) res.destroy();
  cc.closeAllConnections();
  await new Promise((resolve) => cc.close(resolve));
  dir.remove();
});

it("exits soon after SIGTERM while a Cloud Controller request hangs, and sends no CF request after it", async () => {
  const { port } = cc.address() as AddressInfo;
  const timeouts = ["org", "space", "appInSpace", "domain", "route", "process"]
    .map((k) => `      ${k}: 60000\n`)
    .join("");
  const config = dir.write(
    "promregator.yml",
    `cf:\n  api_host: http://127.0.0.1:${port}\n  username: u\n  password: pw\n  request:\n    timeout:\n${timeouts}` +
      "promregator:\n  targets:\n    - orgName: o\nserver:\n  port: 0\n",
  );
  const child = spawn(process.execPath, [CLI, "--config", config], {
    env: { PATH: process.env.PATH ?? "/usr/bin" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    // Wait until a CF request is in flight (the fake never answers it).
    const deadline = Date.now() + 15_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(seen.length, stderr).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 300));
    const signalled = Date.now();
    child.kill("SIGTERM");
    const outcome = await Promise.race([
      exited.then((code) => ({ code, ms: Date.now() - signalled })),
      new Promise<"hung">((r) => setTimeout(() => r("hung"), 10_000)),
    ]);
    expect(outcome, stderr).not.toBe("hung");
    const { code, ms } = outcome as { code: number | null; ms: number };
    expect(code, stderr).toBe(0);
    expect(ms, stderr).toBeLessThan(5_000);
    expect(seen.filter((r) => r.at >= signalled)).toEqual([]);
  } finally {
    child.kill("SIGKILL");
  }
}, 30_000);
