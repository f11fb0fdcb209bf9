/**
 * Progress of a one-off resolution on stderr: one line per phase, and while a phase takes long a dot per second
 * on a terminal or a "still …" line every few seconds in a CI log (where dots would pile up on one line).
 */

export interface Progress {
  phase(text: string): void;
  /** Starts a heartbeat for a phase that may take long; call the returned function when it ends. */
  waiting(what: string): () => void;
}

export interface ProgressOptions {
  write: (text: string) => void;
  /** Dots on a terminal; lines otherwise. */
  tty: boolean;
  now?: () => number;
  /** Period of a dot on a terminal, ms. */
  dotMs?: number;
  /** Period of a "still …" line off a terminal, ms. */
  lineMs?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const elapsed = () => `${((now() - started) / 1000).toFixed(1)}s`;
  let dotsPending = false;
  const endDots = () => {
    if (dotsPending) options.write("\n");
    dotsPending = false;
  };
  return {
    phase(text) {
      endDots();
      options.write(`[${elapsed()}] ${text}\n`);
    },
    waiting(what) {
      const timer = options.tty
        ? setInterval(() => {
            dotsPending = true;
            options.write(".");
          }, options.dotMs ?? 1000)
        : setInterval(() => options.write(`[${elapsed()}] still ${what}\n`), options.lineMs ?? 5000);
      // never keep the process alive for a progress line
      timer.unref();
      return () => {
        clearInterval(timer);
        endDots();
      };
    },
  };
}

/** A Progress that prints nothing. */
export const silentProgress: Progress = { phase() {}, waiting: () => () => {} };
