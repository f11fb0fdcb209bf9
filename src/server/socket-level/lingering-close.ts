import type { Duplex } from "node:stream";

/** How long a connection ended after a last answer goes on reading what the caller still sends, at most. */
export const LINGER_MS = 2000;

/**
 * Sends `answer` and ends the connection without resetting it (RFC 9112 §9.6, "Tear-down"): only the write side
 * is closed, and what the caller still sends (the rest of a request too long to read, the bytes after a CONNECT)
 * is read and dropped until it closes its side or LINGER_MS pass. Closing a socket with unread bytes makes the
 * TCP stack send a reset, which can reach the caller before the answer and make it lose the answer.
 */
export function closeLingering(socket: Duplex, answer?: string): void {
  socket.on("error", noop);
  socket.on("data", noop);
  socket.once("end", () => socket.destroy());
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  socket.end(answer);
  socket.resume();
}

function noop(): void {}
