import { createServer } from "node:net";

/** Ports below Linux's ephemeral range (32768-60999 by default), one block per vitest worker. */
const FIRST_PORT = 20_000;
const BLOCK = 500;
const BLOCKS = 24;
const worker = Number(process.env.VITEST_POOL_ID ?? 1);
const base = FIRST_PORT + (Math.max(0, worker - 1) % BLOCKS) * BLOCK;
/** Where this module starts in its block: a later test file of the same worker seldom meets a port still closing. */
let next = Math.floor(Math.random() * BLOCK);

/**
 * A loopback port for a server that a test starts in another process, which binds it itself: probed free, then
 * released. Taken from this worker's block below the ephemeral range, so that no bind to port 0 (another
 * server, a client socket) and no other worker is handed the same port before the child binds it. With ports
 * from the ephemeral range, two workers were once given the same one: a child could not listen, and the other
 * worker's server answered its readiness probe.
 */
export async function freePort(): Promise<number> {
  for (let tried = 0; tried < BLOCK; tried++) {
    const port = base + (next++ % BLOCK);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port in ${base}-${base + BLOCK - 1}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
