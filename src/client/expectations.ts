// Controller expectations (client-go's pkg/controller ControllerExpectations).
//
// A controller that just created 3 pods for a ReplicaSet must not count
// pods again until its informer has seen those 3 creations, or it creates
// them twice. Before issuing writes it records "expect 3 adds" for the
// ReplicaSet's key; the pod informer's handlers lower the count as the
// creations arrive; the sync function acts only when `satisfied(key)`.
// A write that fails must be un-expected with creationObserved (the pod
// will never arrive). Expectations older than five minutes count as
// satisfied, so a lost event delays a controller but never wedges it.

export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface ExpectationRecord {
  add: number;
  del: number;
  timestamp: number;
}

export interface ExpectationsOptions {
  timeoutMs?: number;
  now?: () => number;
}

export class ControllerExpectations {
  protected readonly records = new Map<string, ExpectationRecord>();
  protected readonly timeoutMs: number;
  protected readonly now: () => number;

  constructor(opts: ExpectationsOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? EXPECTATIONS_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Replaces the key's expectations with `adds` creations and `dels` deletions from now on. */
  setExpectations(key: string, adds: number, dels: number): void {
    this.records.set(key, { add: adds, del: dels, timestamp: this.now() });
  }

  expectCreations(key: string, adds: number): void {
    this.setExpectations(key, adds, 0);
  }

  expectDeletions(key: string, dels: number): void {
    this.setExpectations(key, 0, dels);
  }

  /** Adds to the key's outstanding expectations (creating them if absent). */
  raiseExpectations(key: string, adds: number, dels: number): void {
    const r = this.records.get(key);
    if (!r) {
      this.setExpectations(key, adds, dels);
      return;
    }
    r.add += adds;
    r.del += dels;
  }

  lowerExpectations(key: string, adds: number, dels: number): void {
    const r = this.records.get(key);
    if (!r) return;
    r.add -= adds;
    r.del -= dels;
  }

  /** One expected creation was seen (or will never come because the create failed). */
  creationObserved(key: string): void {
    this.lowerExpectations(key, 1, 0);
  }

  /** One expected deletion was seen (or will never come because the delete failed). */
  deletionObserved(key: string): void {
    this.lowerExpectations(key, 0, 1);
  }

  /**
   * True when the controller may act on the key: nothing is expected (no
   * record), every expected add and delete was observed, or the
   * expectations are older than the timeout.
   */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.now() - r.timestamp > this.timeoutMs;
  }

  /** Outstanding adds and deletes, if a record exists. */
  get(key: string): { add: number; del: number; timestamp: number } | undefined {
    const r = this.records.get(key);
    return r ? { ...r } : undefined;
  }

  /** Forgets the key (its controller object was deleted). */
  deleteExpectations(key: string): void {
    this.records.delete(key);
  }
}

/**
 * Expectations that track deletions by the deleted object's key, so a
 * deletion is counted once however many times it is observed (an update
 * setting deletionTimestamp, then the delete event itself).
 */
export class UIDTrackingControllerExpectations extends ControllerExpectations {
  private pending = new Map<string, Set<string>>();

  /** Expects the deletion of these objects (by `namespace/name` key) for the controller key. */
  expectDeletionsOf(key: string, deletedKeys: string[]): void {
    const set = new Set(deletedKeys);
    this.pending.set(key, set);
    this.setExpectations(key, 0, set.size);
  }

  /** Records that the object with `deletedKey` is going away; counts once per object. */
  deletionObservedOf(key: string, deletedKey: string): void {
    const set = this.pending.get(key);
    if (!set || !set.delete(deletedKey)) return;
    this.lowerExpectations(key, 0, 1);
  }

  /** The object keys whose deletion is still expected. */
  pendingDeletions(key: string): string[] {
    return [...(this.pending.get(key) ?? [])];
  }

  override deleteExpectations(key: string): void {
    super.deleteExpectations(key);
    this.pending.delete(key);
  }
}
