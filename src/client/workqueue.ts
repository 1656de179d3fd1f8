// The controllers' work queue, with client-go's semantics:
//
// - an item waiting in the queue is there once, however often it is added;
// - an item being processed (between get() and done()) is never handed to a
//   second worker; if it is added meanwhile it is marked dirty and queued
//   again when done() is called, so the newest state is always processed;
// - addAfter() delays an add; addRateLimited() delays by the rate limiter,
//   which by default is the maximum of a per-item exponential back-off
//   (5 ms doubling up to 1000 s) and an overall token bucket (10 qps, burst
//   100); forget() resets an item's back-off once it succeeded;
// - after shutDown() adds are ignored, workers drain what is queued, then
//   get() reports shutdown.

export interface RateLimiter<T> {
  /** How long to wait before the item may be retried; also counts a failure. */
  when(item: T): number;
  /** Stops tracking the item (it succeeded). */
  forget(item: T): void;
  /** How many times the item failed since it was last forgotten. */
  numRequeues(item: T): number;
}

/** base * 2^failures, capped at max. */
export class ItemExponentialFailureRateLimiter<T> implements RateLimiter<T> {
  private failures = new Map<T, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1000 * 1000,
  ) {}

  when(item: T): number {
    const n = this.failures.get(item) ?? 0;
    this.failures.set(item, n + 1);
    const delay = this.baseMs * 2 ** n;
    return Number.isFinite(delay) && delay < this.maxMs ? delay : this.maxMs;
  }

  forget(item: T): void {
    this.failures.delete(item);
  }

  numRequeues(item: T): number {
    return this.failures.get(item) ?? 0;
  }
}

/**
 * A token bucket shared by all items: `burst` retries go at once, then
 * `qps` per second. Each call reserves a token; the delay is how long until
 * that token exists.
 */
export class BucketRateLimiter<T> implements RateLimiter<T> {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  when(_item: T): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_item: T): void {}

  numRequeues(_item: T): number {
    return 0;
  }
}

/** The longest delay of several limiters. */
export class MaxOfRateLimiter<T> implements RateLimiter<T> {
  private readonly limiters: RateLimiter<T>[];

  constructor(...limiters: RateLimiter<T>[]) {
    this.limiters = limiters;
  }

  when(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(item));
    return max;
  }

  forget(item: T): void {
    for (const l of this.limiters) l.forget(item);
  }

  numRequeues(item: T): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(item));
    return max;
  }
}

/** client-go's DefaultControllerRateLimiter: per-item 5 ms..1000 s back-off, overall 10 qps with a burst of 100. */
export function defaultControllerRateLimiter<T>(): RateLimiter<T> {
  return new MaxOfRateLimiter<T>(new ItemExponentialFailureRateLimiter<T>(5, 1000 * 1000), new BucketRateLimiter<T>(10, 100));
}

export interface WorkQueueOptions<T> {
  rateLimiter?: RateLimiter<T>;
  /** For logs and metrics. */
  name?: string;
}

export type GetResult<T> = { item: T; shutdown: false } | { item: undefined; shutdown: true };

export class WorkQueue<T = string> {
  readonly name: string;
  private readonly limiter: RateLimiter<T>;
  /** Items ready to be handed out, in order; `head` avoids O(n) shifts. */
  private queue: T[] = [];
  private head = 0;
  /** Items that need processing (queued, or added while processing). */
  private dirty = new Set<T>();
  private processing = new Set<T>();
  private waiting = new Map<T, { readyAt: number; timer: NodeJS.Timeout }>();
  private getters: Array<(r: GetResult<T>) => void> = [];
  private drainWaiters: Array<() => void> = [];
  private shutting = false;

  constructor(opts: WorkQueueOptions<T> = {}) {
    this.name = opts.name ?? '';
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<T>();
  }

  /** Marks the item as needing processing. */
  add(item: T): void {
    if (this.shutting) return;
    if (this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.queue.push(item);
    this.dispatch();
  }

  /** Waits for the next item. `shutdown` is true once the queue is shut down and empty. */
  get(): Promise<GetResult<T>> {
    if (this.length() > 0) return Promise.resolve(this.take());
    if (this.shutting) return Promise.resolve({ item: undefined, shutdown: true });
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks the end of processing an item from get(); requeues it if it was added meanwhile. */
  done(item: T): void {
    if (!this.processing.delete(item)) return;
    if (this.dirty.has(item)) {
      this.queue.push(item);
      this.dispatch();
    }
    this.checkDrained();
  }

  /** Items ready to be handed out (not counting delayed or in-process ones). */
  len(): number {
    return this.length();
  }

  /** Adds the item after `ms`. An earlier pending add of the same item wins over a later one. */
  addAfter(item: T, ms: number): void {
    if (this.shutting) return;
    if (!(ms > 0)) {
      this.add(item);
      return;
    }
    const readyAt = performance.now() + ms;
    const existing = this.waiting.get(item);
    if (existing) {
      if (existing.readyAt <= readyAt) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.waiting.delete(item);
      this.add(item);
    }, ms);
    this.waiting.set(item, { readyAt, timer });
  }

  /** Adds the item once the rate limiter allows (a failure: its back-off grows). */
  addRateLimited(item: T): void {
    this.addAfter(item, this.limiter.when(item));
  }

  /** Resets the item's back-off (call when it was processed successfully). */
  forget(item: T): void {
    this.limiter.forget(item);
  }

  numRequeues(item: T): number {
    return this.limiter.numRequeues(item);
  }

  /** Stops accepting items; workers drain what is queued and then see shutdown. */
  shutDown(): void {
    if (this.shutting) return;
    this.shutting = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    this.dispatch();
    this.checkDrained();
  }

  /** shutDown(), then wait until every item handed out is done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0 && this.length() === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  shuttingDown(): boolean {
    return this.shutting;
  }

  private length(): number {
    return this.queue.length - this.head;
  }

  private take(): GetResult<T> {
    const item = this.queue[this.head];
    this.queue[this.head] = undefined as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.processing.add(item);
    this.dirty.delete(item);
    return { item, shutdown: false };
  }

  private dispatch(): void {
    while (this.getters.length > 0 && this.length() > 0) this.getters.shift()!(this.take());
    if (this.shutting && this.length() === 0) {
      const getters = this.getters;
      this.getters = [];
      for (const g of getters) g({ item: undefined, shutdown: true });
    }
  }

  private checkDrained(): void {
    if (!this.shutting || this.processing.size > 0 || this.length() > 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}

export interface RunWorkersOptions<T> {
  /** Called when sync fails (default: console.error). The item is requeued with back-off either way. */
  onError?: (item: T, err: unknown) => void;
  /** Give up on an item after this many consecutive failures (default: never). */
  maxRetries?: number;
}

/**
 * Runs `n` workers until the queue shuts down. Each takes an item, calls
 * `sync`, forgets the item's back-off on success and re-adds it rate
 * limited on failure. Resolves when every worker has exited.
 */
export async function runWorkers<T>(queue: WorkQueue<T>, n: number, sync: (item: T) => Promise<void>, opts: RunWorkersOptions<T> = {}): Promise<void> {
  const onError =
    opts.onError ?? ((item: T, err: unknown) => console.error(`${queue.name || 'workqueue'}: syncing ${String(item)} failed: ${err instanceof Error ? err.message : String(err)}`));
  const worker = async () => {
    for (;;) {
      const { item, shutdown } = await queue.get();
      if (shutdown) return;
      try {
        await sync(item);
        queue.forget(item);
      } catch (e) {
        try {
          onError(item, e);
        } catch {
          // a failing reporter must not kill the worker
        }
        if (opts.maxRetries !== undefined && queue.numRequeues(item) >= opts.maxRetries) queue.forget(item);
        else queue.addRateLimited(item);
      } finally {
        queue.done(item);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, () => worker()));
}
