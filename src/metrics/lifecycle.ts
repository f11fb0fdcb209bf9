import { nextTurn } from "../event-loop-turn.js";
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

/** A tracked label set with its five label values (see labelValues), compared to find it again. */
interface Entry extends TrackedInstance {
  readonly values: readonly string[];
}

/**
 * Label sets touchAll derives between two turns of the event loop. A snapshot of 10,000 new instances (the
 * first one, or one whose objects are all new) costs 30-120 ms in one piece; found ones do not count.
 */
export const NEW_ENTRIES_PER_TURN = 1000;

/** A touchAll still deriving label sets, a slice per turn. */
interface TouchAllRun {
  instances: readonly InstanceLabels[];
  entries: TrackedInstance[];
  /** How many instances are done. */
  done: number;
  /** `removals` when the run began: entries found before a later removal may be removed ones. */
  removals: number;
  /** Numbers the runs, so that only the latest one is remembered as lastList. */
  run: number;
}

/**
 * Remembers when each instance label set was last discovered or scraped, so that its metric children can be
 * dropped once it has been gone for promregator.discoverer.timeout (Java: expiry = seen + timeout, removed
 * when expiry <= now).
 */
export class InstanceTracker {
  /**
   * Label sets by their instance id (the fourth label value); more than one only while an instance's older
   * label set (e.g. before a rename) has not expired yet. Keyed by the id rather than a key made of all five
   * values, which would cost a string of every label set for each lookup.
   */
  private readonly entries = new Map<string, Entry[]>();
  private count = 0;
  /** Entries removed so far; a list of entries remembered before a removal may hold removed ones. */
  private removals = 0;
  /** The list last given to touchAll and its entries, for the next refresh that publishes the same list. */
  private lastList?: { instances: readonly InstanceLabels[]; entries: TrackedInstance[]; removals: number };
  private runs = 0;

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
    const now = this.now();
    return this.found(instance, now) ?? this.derive(instance, now);
  }

  /** The entry last found for this very object, stamped; undefined when it has to be derived. */
  private found(instance: InstanceLabels, now: number): TrackedInstance | undefined {
    const known = this.byObject.get(instance);
    if (!known || known.removals !== this.removals) return undefined;
    known.entry.lastSeen = now;
    return known.entry;
  }

  private derive(instance: InstanceLabels, now: number): TrackedInstance {
    const entry = this.entryFor(instance);
    entry.lastSeen = now;
    this.byObject.set(instance, { entry, removals: this.removals });
    return entry;
  }

  private entryFor(instance: InstanceLabels): Entry {
    const values = labelValues(instance);
    const id = values[3];
    const list = this.entries.get(id);
    const known = list?.find((entry) => sameValues(entry.values, values));
    if (known) return known;
    const entry: Entry = {
      instanceId: instance.instanceId,
      labelText: formatLabelPairs(this.labelNames, values),
      lastSeen: 0,
      values,
    };
    if (list) list.push(entry);
    else this.entries.set(id, [entry]);
    this.count++;
    return entry;
  }

  /**
   * Stamps every instance of a discovery snapshot as seen. A refresh that changes nothing hands over the
   * same list again (every 10 s, 10,000 instances and more): its entries are then stamped without deriving
   * and formatting each label set again. Instances found by their object are stamped at once; label sets to
   * derive are done NEW_ENTRIES_PER_TURN per turn of the event loop, each stamped when it is done.
   */
  touchAll(instances: readonly InstanceLabels[]): void {
    const last = this.lastList;
    if (last && last.instances === instances && last.removals === this.removals) {
      const now = this.now();
      for (const entry of last.entries) entry.lastSeen = now;
      return;
    }
    this.continueRun({
      instances,
      entries: new Array<TrackedInstance>(instances.length),
      done: 0,
      removals: this.removals,
      run: ++this.runs,
    });
  }

  private continueRun(run: TouchAllRun): void {
    const { instances, entries } = run;
    const now = this.now();
    let derived = 0;
    for (; run.done < instances.length; run.done++) {
      const instance = instances[run.done];
      let entry = this.found(instance, now);
      if (!entry) {
        if (derived === NEW_ENTRIES_PER_TURN) {
          void nextTurn().then(() => this.continueRun(run));
          return;
        }
        derived++;
        entry = this.derive(instance, now);
      }
      entries[run.done] = entry;
    }
    // A newer list may have been handed over meanwhile: that one is remembered.
    if (run.run === this.runs) this.lastList = { instances, entries, removals: run.removals };
  }

  /** Removes and returns the instances not seen within the timeout. */
  takeExpired(): TrackedInstance[] {
    const now = this.now();
    const expired: TrackedInstance[] = [];
    for (const [id, list] of this.entries) {
      const kept = list.filter((entry) => entry.lastSeen + this.timeoutMs > now);
      if (kept.length === list.length) continue;
      for (const entry of list) if (!kept.includes(entry)) expired.push(entry);
      if (kept.length > 0) this.entries.set(id, kept);
      else this.entries.delete(id);
      this.count -= list.length - kept.length;
      this.removals++;
    }
    return expired;
  }

  /** Label sets tracked. */
  get size(): number {
    return this.count;
  }
}

/** The five label values in the order of TARGET_LABEL_BASE_NAMES, derived as Java does. */
function labelValues(instance: InstanceLabels): string[] {
  const id = text(instance.instanceId);
  const colon = id.lastIndexOf(":");
  // Java takes the instance number from the id ("<appGuid>:<index>"), not from a separate field.
  const number = colon >= 0 ? id.slice(colon + 1) : String(instance.index);
  return [text(instance.orgName), text(instance.spaceName), text(instance.appName), id, number];
}

function text(value: unknown): string {
  return value === undefined || value === null ? "" : String(value);
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4];
}
