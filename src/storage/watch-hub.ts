// Delivery of watch events, shared by the storage backends.
//
// Every delivery (a watcher's history replay, or one live event to all
// watchers) is a task on one FIFO queue that is drained synchronously. When a
// callback writes to the store or starts another watch, the resulting work is
// queued behind the current task instead of running nested, so every watcher
// still sees events in revision order.

import type { StoreEvent, Unwatch } from './types.js';

interface Watcher {
  prefix: string;
  onEvent: (event: StoreEvent) => void;
  /** Live events are delivered only above this revision (history covers the rest). */
  liveAfter: number;
  active: boolean;
}

export class WatchHub {
  private watchers = new Set<Watcher>();
  private queue: Array<() => void> = [];
  private draining = false;

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Registers a watcher. `history` holds the matching events up to revision
   * `upTo` (the store's current revision when the watch started); later
   * events arrive through `publish`.
   */
  add(prefix: string, upTo: number, history: StoreEvent[], onEvent: (event: StoreEvent) => void): Unwatch {
    const w: Watcher = { prefix, onEvent, liveAfter: upTo, active: true };
    this.watchers.add(w);
    if (history.length > 0) {
      this.run(() => {
        for (const event of history) {
          if (!w.active) return;
          deliver(w, event);
        }
      });
    }
    return () => {
      w.active = false;
      this.watchers.delete(w);
    };
  }

  /** Delivers a committed event to every matching watcher. */
  publish(event: StoreEvent): void {
    if (this.watchers.size === 0) return;
    this.run(() => {
      const rev = event.kv.modRevision;
      const key = event.kv.key;
      for (const w of this.watchers) {
        if (w.active && rev > w.liveAfter && key.startsWith(w.prefix)) deliver(w, event);
      }
    });
  }

  /** Drops all watchers and pending deliveries. */
  close(): void {
    for (const w of this.watchers) w.active = false;
    this.watchers.clear();
    this.queue.length = 0;
  }

  private run(task: () => void): void {
    this.queue.push(task);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let i = 0; i < this.queue.length; i++) this.queue[i]!();
    } finally {
      this.queue.length = 0;
      this.draining = false;
    }
  }
}

function deliver(w: Watcher, event: StoreEvent): void {
  try {
    w.onEvent(event);
  } catch (err) {
    // A failing watcher must not fail the write that triggered it (the write
    // is already committed) nor starve the other watchers.
    console.error('storage: watch callback threw:', err);
  }
}
