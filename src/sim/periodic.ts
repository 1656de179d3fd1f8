// Runs a periodic task for many keys (one Lease renewal or status refresh
// per simulated node) from one timer, spread over the period and with
// bounded concurrency, so thousands of nodes make a steady trickle of
// requests instead of a burst every interval (kwok schedules its leases the
// same way: per-lease next times with jitter, a fixed pool of workers).
//
// Each key's next run is its previous due time plus the interval stretched
// by a random fraction (`jitter`), so the phases chosen at `add` stay spread
// while no two simulators stay in lock-step. When the workers (or the event
// loop) fall behind, due keys wait in FIFO order and a late run does not
// shift the key's phase: the next one is still due one interval after the
// previous due time.

export interface PeriodicOptions {
  intervalMs: number;
  /** The interval is stretched by up to this fraction, at random, each time (default 0.04, as the kubelet's lease renewal). */
  jitter?: number;
  /** Runs in flight at once (default 16). */
  concurrency?: number;
  run: (key: string) => Promise<void>;
  onError?: (key: string, err: unknown) => void;
  /** Due times closer than this are run together from one timer firing (default 5 ms). */
  coalesceMs?: number;
}

interface Entry {
  key: string;
  due: number;
  /** Cleared by remove(); a removed entry left in the heap is skipped. */
  live: boolean;
}

export class PeriodicScheduler {
  private readonly heap: Entry[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly ready: Entry[] = [];
  private readyHead = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private readonly jitter: number;
  private readonly concurrency: number;
  private readonly coalesceMs: number;

  constructor(private readonly opts: PeriodicOptions) {
    if (!(opts.intervalMs > 0)) throw new Error('intervalMs must be positive');
    this.jitter = opts.jitter ?? 0.04;
    this.concurrency = Math.max(1, opts.concurrency ?? 16);
    this.coalesceMs = opts.coalesceMs ?? 5;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs currently executing. */
  get running(): number {
    return this.inFlight;
  }

  /**
   * Schedules `key` every interval, the first run after `firstDelayMs`
   * (default: a random point in the first interval). Re-adding a key
   * reschedules it.
   */
  add(key: string, firstDelayMs?: number): void {
    if (this.stopped) return;
    this.remove(key);
    const delay = firstDelayMs ?? Math.random() * this.opts.intervalMs;
    const e: Entry = { key, due: performance.now() + Math.max(0, delay), live: true };
    this.entries.set(key, e);
    this.push(e);
    this.arm();
  }

  remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.live = false;
    this.entries.delete(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Stops scheduling and waits for the runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.entries.clear();
    this.heap.length = 0;
    this.ready.length = 0;
    this.readyHead = 0;
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private arm(): void {
    if (this.stopped) return;
    while (this.heap.length && !this.heap[0].live) this.pop();
    if (!this.heap.length) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    const at = this.heap[0].due;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - performance.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.stopped) return;
    const horizon = performance.now() + this.coalesceMs;
    while (this.heap.length && this.heap[0].due <= horizon) {
      const e = this.pop()!;
      if (e.live) this.ready.push(e);
    }
    this.pump();
    this.arm();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.concurrency && this.readyHead < this.ready.length) {
      const e = this.ready[this.readyHead++];
      if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
        this.ready.splice(0, this.readyHead);
        this.readyHead = 0;
      }
      if (!e.live) continue;
      this.inFlight++;
      let p: Promise<void>;
      try {
        p = this.opts.run(e.key);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.catch((err) => this.report(e.key, err)).finally(() => this.finished(e));
    }
  }

  private finished(e: Entry): void {
    this.inFlight--;
    if (!this.stopped && e.live) {
      const now = performance.now();
      e.due = Math.max(now, e.due + this.opts.intervalMs * (1 + Math.random() * this.jitter));
      this.push(e);
      this.arm();
    }
    this.pump();
    if (this.inFlight === 0 && this.idleWaiters.length) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private report(key: string, err: unknown): void {
    try {
      this.opts.onError?.(key, err);
    } catch {
      // a failing reporter must not stop the schedule
    }
  }

  // ---- binary min-heap on `due` ----

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].due <= h[i].due) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l].due < h[m].due) m = l;
        if (r < h.length && h[r].due < h[m].due) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}
