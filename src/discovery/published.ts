import type { Logger } from "../log.js";
import type { DiscoverySnapshot, SnapshotListener } from "./types.js";

/**
 * The one thing that leaves discovery: the latest snapshot, and a notice to subscribers for each new one.
 * A failing subscriber is logged and does not keep the others from being told.
 */
export class PublishedSnapshot {
  private snapshot: DiscoverySnapshot | undefined;
  private readonly listeners = new Set<SnapshotListener>();

  constructor(private readonly logger: Logger) {}

  current(): DiscoverySnapshot | undefined {
    return this.snapshot;
  }

  /** Called with every newly published snapshot; returns an unsubscribe function. */
  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(snapshot: DiscoverySnapshot): void {
    this.snapshot = snapshot;
    this.logger.debug({ instances: snapshot.instances.length }, "discovery snapshot updated");
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.logger.warn({ cause: (error as Error).message }, "a discovery snapshot listener failed");
      }
    }
  }
}
