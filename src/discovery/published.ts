import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { DiscoverySnapshot, SnapshotListener } from "./types.js";

/**
 * The one thing that leaves discovery: the latest snapshot, a notice to subscribers for each new one, and a
 * notice after every refresh, changed or not. A failing subscriber is logged and does not keep the others from
 * being told.
 */
export class PublishedSnapshot {
  private snapshot: DiscoverySnapshot | undefined;
  private readonly listeners = new Set<SnapshotListener>();
  private readonly refreshListeners = new Set<SnapshotListener>();

  constructor(private readonly logger: Logger) {}

  current(): DiscoverySnapshot | undefined {
    return this.snapshot;
  }

  /** Called with every newly published snapshot; returns an unsubscribe function. */
  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called with the current snapshot after every refresh that has one, changed or not. */
  subscribeRefresh(listener: SnapshotListener): () => void {
    this.refreshListeners.add(listener);
    return () => this.refreshListeners.delete(listener);
  }

  publish(snapshot: DiscoverySnapshot): void {
    this.snapshot = snapshot;
    this.logger.debug({ instances: snapshot.instances.length }, "discovery snapshot updated");
    this.tell(this.listeners, snapshot);
  }

  /** A refresh has ended: tells the refresh subscribers the current snapshot (none before the first). */
  refreshed(): void {
    if (this.snapshot) this.tell(this.refreshListeners, this.snapshot);
  }

  private tell(listeners: Iterable<SnapshotListener>, snapshot: DiscoverySnapshot): void {
    for (const listener of listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.logger.warn({ cause: errorMessage(error) }, "a discovery snapshot listener failed");
      }
    }
  }
}
