// The watch cache: one per resource prefix. It lists the store once, then
// follows the store's watch, keeping the current objects (parsed, with their
// JSON form ready to send) and a window of recent events. Lists and watches
// are served from here, never by polling the store.

import type { KeyValue, Store, StoreEvent, Unwatch } from '../storage/types.js';

export interface CachedObject {
  key: string;
  /** Parsed object with metadata.resourceVersion set. Never mutate. */
  obj: any;
  /** `obj` serialized. */
  json: string;
  revision: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: WatchEventType;
  object: CachedObject;
  prev?: CachedObject;
  revision: number;
}

export interface CacheWatcher {
  /** Called for each event after the watch's start revision, in order. */
  onEvent(ev: CacheEvent): void;
  /** Called when the cache's revision moves (for bookmarks). */
  onProgress?(revision: number): void;
}

export function decodeKV(kv: KeyValue, revision = kv.modRevision): CachedObject {
  const obj = JSON.parse(kv.value);
  if (!obj.metadata) obj.metadata = {};
  obj.metadata.resourceVersion = String(revision);
  return { key: kv.key, obj, json: JSON.stringify(obj), revision };
}

const DEFAULT_CAPACITY = 10_000;

export class WatchCache {
  private objects = new Map<string, CachedObject>();
  private sorted: CachedObject[] | null = null;
  private events: CacheEvent[] = [];
  private eventsStart = 0; // index of the oldest live event in `events`
  /** Revision the cache reflects. */
  revision = 0;
  /** Oldest revision a watch can start after without missing events. */
  private oldestWatchable = 0;
  private watchers = new Set<CacheWatcher>();
  private unwatch: Unwatch | undefined;

  constructor(
    private readonly store: Store,
    readonly prefix: string,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  async start(): Promise<void> {
    const res = await this.store.list(this.prefix);
    for (const kv of res.items) this.objects.set(kv.key, decodeKV(kv));
    this.revision = res.revision;
    this.oldestWatchable = res.revision;
    this.unwatch = await this.store.watch(this.prefix, res.revision, (ev) => this.apply(ev));
  }

  stop(): void {
    this.unwatch?.();
    this.watchers.clear();
  }

  /** Moves the cache's revision forward when the store moved without touching this prefix. */
  advance(revision: number): void {
    if (revision > this.revision) {
      this.revision = revision;
      for (const w of this.watchers) w.onProgress?.(revision);
    }
  }

  private apply(ev: StoreEvent): void {
    const rev = ev.kv.modRevision;
    let ce: CacheEvent;
    const prev = this.objects.get(ev.kv.key);
    if (ev.type === 'delete') {
      // The DELETED event carries the last state at the deletion revision.
      const last = prev ? { ...prev } : decodeKV(ev.prev ?? ev.kv);
      const obj = JSON.parse(last.json);
      obj.metadata.resourceVersion = String(rev);
      const object: CachedObject = { key: ev.kv.key, obj, json: JSON.stringify(obj), revision: rev };
      this.objects.delete(ev.kv.key);
      this.sorted = null;
      ce = { type: 'DELETED', object, prev, revision: rev };
    } else {
      const object = decodeKV(ev.kv);
      if (!prev) this.sorted = null;
      else if (this.sorted) {
        // Replace in place: order by key does not change.
        const i = this.indexOf(ev.kv.key);
        if (i >= 0) this.sorted[i] = object;
        else this.sorted = null;
      }
      this.objects.set(ev.kv.key, object);
      ce = { type: prev ? 'MODIFIED' : 'ADDED', object, prev, revision: rev };
    }
    this.revision = rev;
    this.events.push(ce);
    if (this.events.length - this.eventsStart > this.capacity) {
      this.oldestWatchable = this.events[this.eventsStart].revision;
      this.eventsStart++;
      if (this.eventsStart > this.capacity) {
        this.events = this.events.slice(this.eventsStart);
        this.eventsStart = 0;
      }
    }
    for (const w of this.watchers) {
      try {
        w.onEvent(ce);
      } catch {
        this.watchers.delete(w);
      }
    }
  }

  private indexOf(key: string): number {
    const s = this.sorted!;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const k = s[mid].key;
      if (k === key) return mid;
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  get(key: string): CachedObject | undefined {
    return this.objects.get(key);
  }

  /** Current objects in key order, optionally only those under a sub-prefix. */
  list(subPrefix = this.prefix): CachedObject[] {
    if (!this.sorted) {
      this.sorted = [...this.objects.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    if (subPrefix === this.prefix) return this.sorted;
    // Binary search the first key >= subPrefix, then take while it matches.
    const s = this.sorted;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid].key < subPrefix) lo = mid + 1;
      else hi = mid;
    }
    const out: CachedObject[] = [];
    for (let i = lo; i < s.length && s[i].key.startsWith(subPrefix); i++) out.push(s[i]);
    return out;
  }

  get size(): number {
    return this.objects.size;
  }

  /**
   * Starts a watch delivering every event with revision > afterRevision.
   * Returns undefined when that revision is older than the cache's window
   * (the caller answers 410 Gone).
   */
  watch(afterRevision: number, w: CacheWatcher): (() => void) | undefined {
    if (afterRevision < this.oldestWatchable) return undefined;
    for (let i = this.eventsStart; i < this.events.length; i++) {
      const ev = this.events[i];
      if (ev.revision > afterRevision) w.onEvent(ev);
    }
    this.watchers.add(w);
    return () => {
      this.watchers.delete(w);
    };
  }

  get oldestRevision(): number {
    return this.oldestWatchable;
  }
}
