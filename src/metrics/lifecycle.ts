import { formatLabelPairs } from "./instance-series.js";
import type { InstanceLabels } from "./types.js";

/** One instance as its metric series know it: the label set is the identity (a renamed app is a new one). */
export interface TrackedInstance {
  instanceId: string;
  /** The escaped label pairs, `org_name="...",...,cf_instance_number="0"`. */
  labelText: string;
  lastSeen: number;
  /** Its slot in the InstanceSeries store, once it was scraped. */
  slot?: number;
}

/**
 * Remembers when each instance label set was last discovered or scraped, so that its metric children can be
 * dropped once it has been gone for promregator.discoverer.timeout (Java: expiry = seen + timeout, removed
 * when expiry <= now).
 */
export class InstanceTracker {
  private readonly entries = new Map<string, TrackedInstance>();
  /** Entries removed so far; a list of entries remembered before a removal may hold removed ones. */
  private removals = 0;
  /** The list last given to touchAll and its entries, for the next refresh that publishes the same list. */
  private lastList?: { instances: readonly InstanceLabels[]; entries: TrackedInstance[]; removals: number };

  constructor(
    private readonly labelNames: readonly string[],
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  /**
   * Entries by the discovered instance object they were last found for: every scrape of an instance hands
   * over the same object until a refresh changes it, so most scrapes skip deriving its label set.
   */
  private readonly byObject = new WeakMap<InstanceLabels, { entry: TrackedInstance; removals: number }>();

  /** Stamps the instance as seen now and returns its label set. */
  touch(instance: InstanceLabels): TrackedInstance {
    const known = this.byObject.get(instance);
    if (known && known.removals === this.removals) {
      known.entry.lastSeen = this.now();
      return known.entry;
    }
    const entry = this.entryFor(instance);
    this.byObject.set(instance, { entry, removals: this.removals });
    return entry;
  }

  private entryFor(instance: InstanceLabels): TrackedInstance {
    const values = labelValues(instance);
    const key = JSON.stringify(values);
    let entry = this.entries.get(key);
    if (!entry) {
      const labelText = formatLabelPairs(this.labelNames, values);
      entry = { instanceId: instance.instanceId, labelText, lastSeen: 0 };
      this.entries.set(key, entry);
    }
    entry.lastSeen = this.now();
    return entry;
  }

  /**
   * Stamps every instance of a discovery snapshot as seen now. A refresh that changes nothing hands over the
   * same list again (every 10 s, 10,000 instances and more): its entries are then stamped without deriving
   * and formatting each label set again.
   */
  touchAll(instances: readonly InstanceLabels[]): void {
    const last = this.lastList;
    if (last && last.instances === instances && last.removals === this.removals) {
      const now = this.now();
      for (const entry of last.entries) entry.lastSeen = now;
      return;
    }
    const entries = instances.map((instance) => this.touch(instance));
    this.lastList = { instances, entries, removals: this.removals };
  }

  /** Removes and returns the instances not seen within the timeout. */
  takeExpired(): TrackedInstance[] {
    const now = this.now();
    const expired: TrackedInstance[] = [];
    for (const [key, entry] of this.entries) {
      if (entry.lastSeen + this.timeoutMs <= now) {
        expired.push(entry);
        this.entries.delete(key);
        this.removals++;
      }
    }
    return expired;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The five label values in the order of TARGET_LABEL_BASE_NAMES, derived as Java does. */
function labelValues(instance: InstanceLabels): string[] {
  const colon = instance.instanceId.lastIndexOf(":");
  // Java takes the instance number from the id ("<appGuid>:<index>"), not from a separate field.
  const number = colon >= 0 ? instance.instanceId.slice(colon + 1) : String(instance.index);
  const values = [instance.orgName, instance.spaceName, instance.appName, instance.instanceId, number];
  return values.map((v) => (v === undefined || v === null ? "" : String(v)));
}
