// Informers: a local, indexed cache of one resource kept current by list +
// watch, with event handlers. One Informer serves one collection path
// (`/api/v1/pods`, `/apis/apps/v1/namespaces/x/deployments`) with optional
// label and field selectors; a SharedInformerFactory hands the same Informer
// to every consumer of that path so each resource is listed and watched once
// per process.
//
// The reflector loop (as in client-go's tools/cache):
//   1. list, page by page (`limit`), at one snapshot; replace the cache and
//      deliver the differences to handlers (adds, updates, and tombstones for
//      objects that vanished);
//   2. watch from the list's resourceVersion with bookmarks, applying events;
//   3. when the watch ends, watch again from the last resourceVersion seen;
//      when the server answers 410 Gone (HTTP status or ERROR event), the
//      history is gone: relist (1) and deliver what changed meanwhile;
//   4. transport and server errors back off exponentially and retry.
//
// Objects in the cache and those passed to handlers are shared by every
// consumer: treat them as read-only and `clone` before mutating. The
// `freeze` option deep-freezes them so that mistakes throw in tests.
//
// Handlers run synchronously, in event order, one event at a time. They
// should only turn the event into a key on a work queue; heavy work belongs
// in the queue's workers.

import { isGone, withQuery, type ApiClient, type WatchEvent, type WatchHandle } from './types.js';
import { Indexer, deepFreeze, type DeletedFinalStateUnknown, type Indexers } from './store.js';

export interface ResourceEventHandler<T = any> {
  /** `isInInitialList` is true for objects delivered by the first list (or replayed to a late handler). */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** Also called on resync, with `oldObj === newObj`. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** The last state of the object, or a tombstone when the deletion was noticed by a relist. */
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

export interface HandlerOptions {
  /** Re-deliver every cached object to this handler as an update this often (0: never). */
  resyncPeriodMs?: number;
}

export interface HandlerRegistration {
  remove(): void;
  /** True once the handler has received the initial list. */
  hasSynced(): boolean;
}

export interface BackoffOptions {
  /** First delay after a failure (default 800 ms). */
  initialMs?: number;
  /** Cap (default 30 s). */
  maxMs?: number;
}

export interface InformerOptions<T = any> {
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Indexers<T>;
  /** Page size for lists (default 500; 0 lists in one response). */
  pageSize?: number;
  /** Default resync period for handlers that do not set one (0: never). */
  resyncPeriodMs?: number;
  /** Server-side watch timeout; default a random 5 to 10 minutes, so watches of many clients do not end together. */
  watchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
  /** Deep-freeze cached objects so accidental mutation throws (tests, debugging). */
  freeze?: boolean;
  /** Applied to every object before it is cached (for example to drop managedFields). */
  transform?: (obj: any) => T;
  /** Where list/watch failures and handler exceptions are reported (default: console.error). */
  onError?: (err: unknown, context: string) => void;
}

type WatchOutcome =
  | { kind: 'ended'; events: number; ms: number }
  | { kind: 'expired' }
  | { kind: 'error'; err: unknown }
  | { kind: 'stopped' };

interface Registration<T> {
  handler: ResourceEventHandler<T>;
  resyncTimer?: NodeJS.Timeout;
  synced: boolean;
  removed: boolean;
}

export class Informer<T = any> {
  private readonly indexer: Indexer<T>;
  private readonly registrations = new Set<Registration<T>>();
  private started = false;
  private stopped = false;
  private synced = false;
  private syncWaiters: Array<(ok: boolean) => void> = [];
  private lastRV = '';
  private needList = true;
  private listKind = '';
  private listApiVersion = '';
  private finishWatch: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private readonly backoffInitial: number;
  private readonly backoffMax: number;
  private readonly report: (err: unknown, context: string) => void;

  constructor(
    private readonly client: ApiClient,
    readonly path: string,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.indexer = new Indexer<T>(opts.indexers ?? {});
    this.backoffInitial = opts.backoff?.initialMs ?? 800;
    this.backoffMax = opts.backoff?.maxMs ?? 30_000;
    this.report = opts.onError ?? ((err, context) => console.error(`informer ${this.describe()}: ${context}: ${err instanceof Error ? err.message : String(err)}`));
  }

  describe(): string {
    const sel = [this.opts.labelSelector && `labelSelector=${this.opts.labelSelector}`, this.opts.fieldSelector && `fieldSelector=${this.opts.fieldSelector}`].filter(Boolean);
    return sel.length ? `${this.path}?${sel.join('&')}` : this.path;
  }

  // ---- cache reads (objects are shared: read-only) ----

  get(key: string): T | undefined {
    return this.indexer.get(key);
  }

  /** `get` by namespace and name (namespace '' for cluster-scoped objects). */
  getByName(namespace: string, name: string): T | undefined {
    return this.indexer.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return this.indexer.list();
  }

  keys(): string[] {
    return this.indexer.keys();
  }

  /** Objects in an index bucket; the `namespace` index is built in. */
  byIndex(indexName: string, value: string): T[] {
    return this.indexer.byIndex(indexName, value);
  }

  /** The underlying indexed store (read-only use). */
  get store(): Indexer<T> {
    return this.indexer;
  }

  addIndexers(indexers: Indexers<T>): void {
    this.indexer.addIndexers(indexers);
  }

  /** The resourceVersion of the last list, event or bookmark applied. */
  get lastSyncResourceVersion(): string {
    return this.lastRV;
  }

  // ---- handlers ----

  /**
   * Registers a handler. If the cache has already synced, the handler first
   * receives an add for every cached object (synchronously, before this
   * returns), so late consumers see the same picture as early ones.
   */
  addEventHandler(handler: ResourceEventHandler<T>, opts: HandlerOptions = {}): HandlerRegistration {
    const reg: Registration<T> = { handler, synced: false, removed: false };
    this.registrations.add(reg);
    if (this.synced) {
      for (const obj of this.indexer.list()) this.call(reg, 'onAdd', () => handler.onAdd?.(obj, true));
      reg.synced = true;
    }
    const period = opts.resyncPeriodMs ?? this.opts.resyncPeriodMs ?? 0;
    if (period > 0 && !this.stopped) {
      reg.resyncTimer = setInterval(() => this.resync(reg), period);
    }
    return {
      remove: () => {
        reg.removed = true;
        if (reg.resyncTimer) clearInterval(reg.resyncTimer);
        this.registrations.delete(reg);
      },
      hasSynced: () => reg.synced,
    };
  }

  private resync(reg: Registration<T>): void {
    if (!this.synced || reg.removed || this.stopped) return;
    for (const obj of this.indexer.list()) {
      if (reg.removed) return;
      this.call(reg, 'onUpdate', () => reg.handler.onUpdate?.(obj, obj));
    }
  }

  private call(reg: Registration<T>, what: string, fn: () => void): void {
    if (reg.removed) return;
    try {
      fn();
    } catch (e) {
      this.report(e, `${what} handler threw`);
    }
  }

  private notifyAdd(obj: T, initial: boolean): void {
    for (const reg of this.registrations) this.call(reg, 'onAdd', () => reg.handler.onAdd?.(obj, initial));
  }

  private notifyUpdate(oldObj: T, newObj: T): void {
    for (const reg of this.registrations) this.call(reg, 'onUpdate', () => reg.handler.onUpdate?.(oldObj, newObj));
  }

  private notifyDelete(obj: T | DeletedFinalStateUnknown<T>): void {
    for (const reg of this.registrations) this.call(reg, 'onDelete', () => reg.handler.onDelete?.(obj));
  }

  // ---- lifecycle ----

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once the first list has been applied, false if the informer is stopped (or `signal` aborts) first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (this.stopped || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== done);
        resolve(false);
      };
      const done = (ok: boolean) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      this.syncWaiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Starts listing and watching; idempotent. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.run();
  }

  isStarted(): boolean {
    return this.started;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.finishWatch?.();
    this.wake?.();
    for (const reg of this.registrations) if (reg.resyncTimer) clearInterval(reg.resyncTimer);
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w(false);
  }

  // ---- the reflector loop ----

  private async run(): Promise<void> {
    let delay = this.backoffInitial;
    const backOff = async () => {
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.backoffMax);
    };
    while (!this.stopped) {
      if (this.needList) {
        try {
          await this.listAndReplace();
          this.needList = false;
          delay = this.backoffInitial;
        } catch (e) {
          if (this.stopped) break;
          this.report(e, 'list failed');
          await backOff();
          continue;
        }
      }
      if (this.stopped) break;
      const outcome = await this.watchOnce();
      switch (outcome.kind) {
        case 'stopped':
          return;
        case 'expired':
          // Our resourceVersion fell out of the server's history: start over.
          this.needList = true;
          break;
        case 'ended':
          // Normal end (server timeout). A watch that ends at once with nothing
          // in it points at a server problem: do not spin.
          if (outcome.events === 0 && outcome.ms < 1000) await backOff();
          else delay = this.backoffInitial;
          break;
        case 'error':
          this.report(outcome.err, 'watch failed');
          await backOff();
          break;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private listQuery(extra: Record<string, string | number | boolean | undefined>): string {
    return withQuery(this.path, { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, ...extra });
  }

  private async listAndReplace(): Promise<void> {
    const pageSize = this.opts.pageSize ?? 500;
    const items: any[] = [];
    let cont = '';
    let rv = '';
    for (;;) {
      let page: any;
      try {
        page = await this.client.get(this.listQuery({ limit: pageSize > 0 ? pageSize : undefined, continue: cont || undefined }));
      } catch (e) {
        // The snapshot behind the continue token was compacted: list everything at once.
        if (!(cont && isGone(e))) throw e;
        items.length = 0;
        page = await this.client.get(this.listQuery({}));
        cont = '';
      }
      if (this.stopped) return;
      this.noteListType(page);
      for (const item of page.items ?? []) items.push(item);
      rv = page.metadata?.resourceVersion ?? rv;
      cont = page.metadata?.continue ?? '';
      if (!cont) break;
    }
    this.replace(items, rv);
  }

  private noteListType(list: any): void {
    if (typeof list?.kind === 'string' && list.kind.endsWith('List')) this.listKind = list.kind.slice(0, -4);
    if (typeof list?.apiVersion === 'string') this.listApiVersion = list.apiVersion;
  }

  /** Readies a decoded object for the cache: list items get their kind back, then transform and freeze. */
  private prepare(raw: any): T {
    if (raw && typeof raw === 'object') {
      if (!raw.kind && this.listKind) raw.kind = this.listKind;
      if (!raw.apiVersion && this.listApiVersion) raw.apiVersion = this.listApiVersion;
    }
    const obj = this.opts.transform ? this.opts.transform(raw) : (raw as T);
    return this.opts.freeze ? deepFreeze(obj) : obj;
  }

  /** Makes the cache equal to a full list and tells handlers what changed. */
  private replace(rawItems: any[], rv: string): void {
    const initial = !this.synced;
    const adds: T[] = [];
    const updates: Array<[T, T]> = [];
    const seen = new Set<string>();
    for (const raw of rawItems) {
      const obj = this.prepare(raw);
      let key: string;
      try {
        key = this.indexer.keyOf(obj);
      } catch (e) {
        this.report(e, 'list item without a name');
        continue;
      }
      seen.add(key);
      const old = this.indexer.set(obj);
      if (old === undefined) adds.push(obj);
      else if (resourceVersionOf(old) !== resourceVersionOf(obj)) updates.push([old, obj]);
    }
    const deletes: DeletedFinalStateUnknown<T>[] = [];
    for (const key of this.indexer.keys()) {
      if (seen.has(key)) continue;
      const old = this.indexer.deleteKey(key)!;
      deletes.push({ deletedFinalStateUnknown: true, key, obj: old });
    }
    this.lastRV = rv;
    this.synced = true;
    for (const obj of adds) this.notifyAdd(obj, initial);
    for (const [o, n] of updates) this.notifyUpdate(o, n);
    for (const t of deletes) this.notifyDelete(t);
    for (const reg of this.registrations) reg.synced = true;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w(true);
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      let done = false;
      let handle: WatchHandle | undefined;
      let events = 0;
      const startedAt = Date.now();
      const finish = (o: WatchOutcome) => {
        if (done) return;
        done = true;
        this.finishWatch = undefined;
        handle?.stop();
        resolve(o);
      };
      this.finishWatch = () => finish({ kind: 'stopped' });
      const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
      const url = this.listQuery({
        resourceVersion: this.lastRV || undefined,
        allowWatchBookmarks: true,
        timeoutSeconds,
      });
      const onEvent = (ev: WatchEvent) => {
        if (done) return;
        events++;
        const outcome = this.applyEvent(ev);
        if (outcome) finish(outcome);
      };
      const onEnd = (err?: Error) => {
        if (err) finish({ kind: 'error', err });
        else finish({ kind: 'ended', events, ms: Date.now() - startedAt });
      };
      Promise.resolve()
        .then(() => this.client.watch(url, onEvent, onEnd))
        .then(
          (h) => {
            handle = h;
            if (done) h.stop();
          },
          (e) => finish(isGone(e) ? { kind: 'expired' } : { kind: 'error', err: e }),
        );
    });
  }

  /** Applies one watch event; returns an outcome when the event ends the watch. */
  private applyEvent(ev: WatchEvent): WatchOutcome | undefined {
    const object = ev.object;
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.prepare(object);
        let old: T | undefined;
        try {
          old = this.indexer.set(obj);
        } catch (e) {
          this.report(e, 'watch event without a name');
          return undefined;
        }
        this.lastRV = resourceVersionOf(obj) || this.lastRV;
        if (old === undefined) this.notifyAdd(obj, false);
        else this.notifyUpdate(old, obj);
        return undefined;
      }
      case 'DELETED': {
        const obj = this.prepare(object);
        let key: string;
        try {
          key = this.indexer.keyOf(obj);
        } catch (e) {
          this.report(e, 'watch event without a name');
          return undefined;
        }
        this.indexer.deleteKey(key);
        this.lastRV = resourceVersionOf(obj) || this.lastRV;
        this.notifyDelete(obj);
        return undefined;
      }
      case 'BOOKMARK':
        this.lastRV = object?.metadata?.resourceVersion || this.lastRV;
        return undefined;
      case 'ERROR': {
        const code = object?.code;
        const reason = object?.reason;
        if (code === 410 || reason === 'Expired' || reason === 'Gone') return { kind: 'expired' };
        return { kind: 'error', err: new Error(`watch error: ${object?.message ?? JSON.stringify(object)}`) };
      }
      default:
        return undefined;
    }
  }
}

function resourceVersionOf(obj: any): string {
  return obj?.metadata?.resourceVersion ?? '';
}

export interface SharedInformerOptions<T = any> {
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Indexers<T>;
}

/**
 * One informer per (path, selectors) for a whole process. Consumers ask for
 * the informers they need, add handlers and indexers, then the owner calls
 * `start()`; informers asked for after start begin at once.
 */
export class SharedInformerFactory {
  private informers = new Map<string, Informer<any>>();
  private started = false;
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    private readonly defaults: Omit<InformerOptions, 'labelSelector' | 'fieldSelector' | 'indexers'> = {},
  ) {}

  informerFor<T = any>(path: string, opts: SharedInformerOptions<T> = {}): Informer<T> {
    const clean = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const id = `${clean}?l=${opts.labelSelector ?? ''}&f=${opts.fieldSelector ?? ''}`;
    let inf = this.informers.get(id) as Informer<T> | undefined;
    if (!inf) {
      inf = new Informer<T>(this.client, clean, {
        ...(this.defaults as InformerOptions<T>),
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        indexers: opts.indexers,
      });
      this.informers.set(id, inf);
      if (this.started && !this.stopped) inf.start();
    } else if (opts.indexers) {
      // Indexers already present under the same function are accepted; a different function under a taken name throws.
      inf.addIndexers(opts.indexers);
    }
    return inf;
  }

  start(): void {
    if (this.stopped) return;
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  /** Resolves true when every informer created so far has synced. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const results = await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
    return results.every(Boolean);
  }

  stop(): void {
    this.stopped = true;
    for (const inf of this.informers.values()) inf.stop();
  }

  all(): Informer<any>[] {
    return [...this.informers.values()];
  }
}

/** Resolves true when all the given informers (or registrations) have synced. */
export async function waitForCacheSync(informers: Array<Pick<Informer<any>, 'waitForSync'>>, signal?: AbortSignal): Promise<boolean> {
  const results = await Promise.all(informers.map((i) => i.waitForSync(signal)));
  return results.every(Boolean);
}
