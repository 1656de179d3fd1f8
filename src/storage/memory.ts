// In-memory MVCC store. Not durable; used for tests and throwaway clusters.
//
// Data structures:
// - `records`: every key that has a retained version -> its versions, oldest
//   first (a version with `kv: null` is a deletion). Reads at an older
//   revision binary-search these.
// - `live` / `all`: sorted key sets of the keys that exist now, and of all
//   keys with retained versions. Lists at the current revision walk `live`
//   only, so they never pay for history; lists at older revisions walk `all`.
// - `log`: every event with revision >= the compacted revision, in revision
//   order (log[i] has revision logBase + i). Watch history comes from here.
// Compaction prunes the versions of the keys touched by the dropped events.

import { compareKeys, prefixEnd } from './keys.js';
import { SortedKeySet } from './sorted-keys.js';
import { WatchHub } from './watch-hub.js';
import {
  StoreError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type Unwatch,
} from './types.js';

interface Version {
  rev: number;
  /** State written at `rev`; null for a deletion. */
  kv: KeyValue | null;
}

export class MemoryStore implements Store {
  private rev = 1;
  private compacted = 0;
  private records = new Map<string, Version[]>();
  private live = new SortedKeySet();
  private all = new SortedKeySet();
  private log: StoreEvent[] = [];
  private logBase = 2;
  private hub = new WatchHub();
  private closed = false;

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.rev;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async get(key: string, opts?: { revision?: number }): Promise<KeyValue | undefined> {
    this.checkOpen();
    const rev = this.readRevision(opts?.revision);
    return this.kvAt(key, rev) ?? undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const rev = this.readRevision(opts.revision);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const from = opts.startKey !== undefined && compareKeys(opts.startKey, prefix) > 0 ? opts.startKey : prefix;
    const items: KeyValue[] = [];
    let remaining = 0;

    if (rev === this.rev) {
      this.live.scan(from, (key) => {
        if (!key.startsWith(prefix) || items.length >= limit) return false;
        items.push(this.current(key)!);
        return true;
      });
      if (items.length >= limit) {
        const end = prefixEnd(prefix);
        const endRank = end === undefined ? this.live.size : this.live.rank(end);
        remaining = Math.max(0, endRank - this.live.rank(from) - items.length);
      }
    } else {
      this.all.scan(from, (key) => {
        if (!key.startsWith(prefix)) return false;
        const kv = this.kvAt(key, rev);
        if (kv) {
          if (items.length < limit) items.push(kv);
          else remaining++;
        }
        return true;
      });
    }
    return { items, revision: rev, more: remaining > 0, remaining };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    const cur = this.current(key);
    if (cur) throw new StoreError('AlreadyExists', `key ${JSON.stringify(key)} already exists`, cur);
    const rev = this.rev + 1;
    const kv: KeyValue = Object.freeze({ key, value, createRevision: rev, modRevision: rev });
    this.commit(key, { rev, kv }, Object.freeze({ type: 'create', kv }));
    return kv;
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.checkOpen();
    const prev = this.current(key);
    if (!prev) throw new StoreError('NotFound', `key ${JSON.stringify(key)} not found`);
    if (prev.modRevision !== expectedModRevision) {
      throw new StoreError(
        'Conflict',
        `key ${JSON.stringify(key)} is at revision ${prev.modRevision}, not ${expectedModRevision}`,
        prev,
      );
    }
    const rev = this.rev + 1;
    const kv: KeyValue = Object.freeze({ key, value, createRevision: prev.createRevision, modRevision: rev });
    this.commit(key, { rev, kv }, Object.freeze({ type: 'update', kv, prev }));
    return kv;
  }

  async delete(key: string, expectedModRevision?: number): Promise<KeyValue> {
    this.checkOpen();
    const prev = this.current(key);
    if (!prev) throw new StoreError('NotFound', `key ${JSON.stringify(key)} not found`);
    if (expectedModRevision !== undefined && prev.modRevision !== expectedModRevision) {
      throw new StoreError(
        'Conflict',
        `key ${JSON.stringify(key)} is at revision ${prev.modRevision}, not ${expectedModRevision}`,
        prev,
      );
    }
    const rev = this.rev + 1;
    const kv: KeyValue = Object.freeze({ ...prev, modRevision: rev });
    this.commit(key, { rev, kv: null }, Object.freeze({ type: 'delete', kv, prev }));
    return kv;
  }

  async watch(prefix: string, afterRevision: number, onEvent: (event: StoreEvent) => void): Promise<Unwatch> {
    this.checkOpen();
    this.checkRevision(afterRevision);
    const history: StoreEvent[] = [];
    for (let i = Math.max(0, afterRevision + 1 - this.logBase); i < this.log.length; i++) {
      const event = this.log[i]!;
      if (event.kv.key.startsWith(prefix)) history.push(event);
    }
    return this.hub.add(prefix, this.rev, history, onEvent);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision > this.rev) {
      throw new StoreError('FutureRevision', `cannot compact at revision ${revision}: current revision is ${this.rev}`);
    }
    if (revision <= this.compacted) return;
    // Keys written at revisions in [old compacted, revision] may hold versions
    // that are no longer needed; all other keys were pruned already.
    const touched = new Set<string>();
    const last = Math.min(this.log.length, revision + 1 - this.logBase);
    for (let i = 0; i < last; i++) touched.add(this.log[i]!.kv.key);
    for (const key of touched) this.prune(key, revision);
    const drop = Math.max(0, Math.min(this.log.length, revision - this.logBase));
    if (drop > 0) {
      this.log = this.log.slice(drop);
      this.logBase += drop;
    }
    this.compacted = revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.close();
    this.records.clear();
    this.log = [];
  }

  // --- internals ---

  private commit(key: string, version: Version, event: StoreEvent): void {
    let versions = this.records.get(key);
    if (!versions) {
      versions = [];
      this.records.set(key, versions);
      this.all.add(key);
    }
    versions.push(version);
    if (version.kv) this.live.add(key);
    else this.live.delete(key);
    this.rev = version.rev;
    this.log.push(event);
    this.hub.publish(event);
  }

  /** Keep only what reads at revisions >= `revision` need. */
  private prune(key: string, revision: number): void {
    const versions = this.records.get(key);
    if (!versions) return;
    // Newest version at or below `revision`: the key's state at `revision`.
    let i = versions.length - 1;
    while (i >= 0 && versions[i]!.rev > revision) i--;
    if (i < 0) return;
    let drop = i;
    const atRev = versions[i]!;
    if (atRev.kv === null && atRev.rev < revision) drop++; // a deletion nobody can observe any more
    if (drop === 0) return;
    versions.splice(0, drop);
    if (versions.length === 0) {
      this.records.delete(key);
      this.all.delete(key);
    }
  }

  private current(key: string): KeyValue | null {
    const versions = this.records.get(key);
    return versions ? versions[versions.length - 1]!.kv : null;
  }

  private kvAt(key: string, rev: number): KeyValue | null {
    const versions = this.records.get(key);
    if (!versions) return null;
    // Newest version with version.rev <= rev.
    let lo = 0;
    let hi = versions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (versions[mid]!.rev <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? null : versions[lo - 1]!.kv;
  }

  /** Resolves a read revision (undefined or 0: current) and validates it. */
  private readRevision(revision: number | undefined): number {
    if (revision === undefined || revision === 0) return this.rev;
    this.checkRevision(revision);
    return revision;
  }

  private checkRevision(revision: number): void {
    if (revision < this.compacted) {
      throw new StoreError('TooOld', `revision ${revision} has been compacted (oldest available is ${this.compacted})`);
    }
    if (revision > this.rev) {
      throw new StoreError('FutureRevision', `revision ${revision} is newer than the current revision ${this.rev}`);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('Closed', 'store is closed');
  }
}
