import type { FailureSpec } from "../types.js";

const UAA_PREFIX = "/uaa";

/** Queue of injected failures; each matching request consumes one. */
export class FailureInjector {
  private queue: FailureSpec[] = [];

  add(spec: FailureSpec): void {
    if (!Number.isInteger(spec.count) || spec.count < 0)
      throw new Error("failure count must be a non-negative integer");
    if (!Number.isInteger(spec.status) || spec.status < 400 || spec.status > 599) {
      throw new Error(`failure status must be an HTTP error status (400-599), got ${String(spec.status)}`);
    }
    if (spec.kind !== undefined && !["cc", "loadBalancer", "loadBalancerEcho", "reset"].includes(spec.kind)) {
      throw new Error(
        `failure kind must be cc, loadBalancer, loadBalancerEcho or reset, got ${String(spec.kind)}`,
      );
    }
    if (spec.count > 0) this.queue.push({ ...spec });
  }

  clear(): void {
    this.queue = [];
  }

  /** The failure this request must suffer, if any. UAA paths only match an explicit /uaa prefix. */
  take(path: string): FailureSpec | undefined {
    const isUaa = path === UAA_PREFIX || path.startsWith(`${UAA_PREFIX}/`);
    const index = this.queue.findIndex((f) =>
      f.pathPrefix !== undefined ? path.startsWith(f.pathPrefix) : !isUaa,
    );
    if (index < 0) return undefined;
    const spec = this.queue[index];
    spec.count--;
    if (spec.count <= 0) this.queue.splice(index, 1);
    return spec;
  }
}
