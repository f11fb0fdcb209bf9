/** Anything thrown, as an Error: an Error stays itself, any other value becomes an Error with its text. */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The message of anything thrown (see toError). */
export function errorMessage(error: unknown): string {
  return toError(error).message;
}
