// Informers against a real in-process API server: paginated list, watch,
// handlers, selectors, indexers, re-watch after a watch ends, relist after
// 410 Gone with tombstones for what vanished meanwhile, resync, and the
// shared factory.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer } from '../apiserver/api-server.js';
import { MemoryStore } from '../storage/memory.js';
import { InProcessClient } from './in-process.js';
import { ApiRequestError, type ApiClient, type PatchType, type WatchEvent, type WatchHandle } from './types.js';
import { Informer, SharedInformerFactory, type ResourceEventHandler } from './informer.js';
import { isTombstone, type DeletedFinalStateUnknown } from './store.js';

const ADMIN = { name: 'test', groups: ['system:masters'] };
let store: MemoryStore;
let api: ApiServer;
let client: InProcessClient;
const cleanup: Array<() => unknown> = [];

before(async () => {
  store = new MemoryStore();
  api = new ApiServer({ store });
  await api.start();
  client = new InProcessClient(api, ADMIN);
  for (const ns of ['inf-a', 'inf-b', 'sel', 'idx', 'rewatch', 'relist', 'resync', 'fac', 'misc', 'page']) {
    await client.create('/api/v1/namespaces', { metadata: { name: ns } });
  }
});

after(async () => {
  for (const c of cleanup.reverse()) await c();
  await api.stop();
});

const cmPath = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
const cm = (ns: string, name: string, labels?: Record<string, string>, data: Record<string, string> = {}) =>
  client.create(cmPath(ns), { metadata: { name, labels }, data });

async function waitFor(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Records handler calls as short strings. */
function recorder(): ResourceEventHandler & { log: string[]; tombstones: DeletedFinalStateUnknown[] } {
  const log: string[] = [];
  const tombstones: DeletedFinalStateUnknown[] = [];
  const key = (o: any) => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  return {
    log,
    tombstones,
    onAdd: (o, initial) => log.push(`add ${key(o)}${initial ? ' (initial)' : ''}`),
    onUpdate: (a, b) => log.push(a === b ? `resync ${key(b)}` : `update ${key(b)} ${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o) => {
      if (isTombstone(o)) {
        tombstones.push(o);
        log.push(`tombstone ${o.key}`);
      } else log.push(`delete ${key(o)}`);
    },
  };
}

function start<T>(inf: Informer<T>): Informer<T> {
  inf.start();
  cleanup.push(() => inf.stop());
  return inf;
}

/** A client in front of another one that can fail, count calls, and cut open watches (as a lost connection would). */
class TestClient implements ApiClient {
  down = false;
  failNextContinue = false;
  goneNextWatch = false;
  lists: string[] = [];
  watches: string[] = [];
  private open = new Set<{ h?: WatchHandle; onEnd?: (err?: Error) => void }>();

  constructor(public target: ApiClient) {}

  async request(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    if (method === 'GET') {
      this.lists.push(path);
      if (this.failNextContinue && path.includes('continue=')) {
        this.failNextContinue = false;
        throw new ApiRequestError(410, { kind: 'Status', code: 410, reason: 'Expired', message: 'continue too old' });
      }
    }
    return this.target.request(method, path, body, contentType);
  }
  get(path: string) {
    return this.request('GET', path);
  }
  create(path: string, obj: unknown) {
    return this.request('POST', path, obj);
  }
  update(path: string, obj: unknown) {
    return this.request('PUT', path, obj);
  }
  patch(path: string, patch: unknown, type: PatchType = 'merge') {
    return this.target.patch(path, patch, type);
  }
  delete(path: string, options?: unknown) {
    return this.request('DELETE', path, options);
  }
  async watch(path: string, onEvent: (ev: WatchEvent) => void, onEnd?: (err?: Error) => void): Promise<WatchHandle> {
    if (this.down) throw new Error('connect ECONNREFUSED');
    this.watches.push(path);
    if (this.goneNextWatch) {
      this.goneNextWatch = false;
      throw new ApiRequestError(410, { kind: 'Status', code: 410, reason: 'Gone', message: 'too old resource version' });
    }
    const entry: { h?: WatchHandle; onEnd?: (err?: Error) => void } = { onEnd };
    this.open.add(entry);
    const h = await this.target.watch(path, onEvent, (err) => {
      this.open.delete(entry);
      onEnd?.(err);
    });
    entry.h = h;
    return {
      stop: () => {
        this.open.delete(entry);
        h.stop();
      },
    };
  }
  breakWatches(): void {
    for (const e of [...this.open]) {
      this.open.delete(e);
      e.h?.stop();
      e.onEnd?.();
    }
  }
}

test('list (paginated) then watch: handlers see adds, updates, deletes; store and namespace index follow', async () => {
  for (let i = 0; i < 5; i++) await cm('inf-a', `c${i}`);
  await cm('inf-b', 'other');
  const tc = new TestClient(client);
  const inf = new Informer<any>(tc, '/api/v1/configmaps', { pageSize: 2 });
  const rec = recorder();
  inf.addEventHandler(rec);
  assert.equal(inf.hasSynced(), false);
  start(inf);
  assert.equal(await inf.waitForSync(), true);
  assert.equal(inf.hasSynced(), true);
  assert.ok(tc.lists.filter((p) => p.includes('limit=2')).length >= 3, `paginated: ${tc.lists.join(' ')}`);
  assert.ok(rec.log.includes('add inf-a/c0 (initial)') && rec.log.includes('add inf-b/other (initial)'));
  assert.equal(inf.byIndex('namespace', 'inf-a').length, 5);
  const c0 = inf.get('inf-a/c0');
  assert.equal(c0.kind, 'ConfigMap', 'list items carry their kind');
  assert.equal(c0.apiVersion, 'v1');
  assert.equal(inf.getByName('inf-b', 'other').metadata.name, 'other');
  const rvAfterList = inf.lastSyncResourceVersion;
  assert.ok(Number(rvAfterList) > 0);
  await waitFor(() => tc.watches.length === 1, 'watch');
  assert.match(tc.watches[0], new RegExp(`resourceVersion=${rvAfterList}(&|$)`));
  assert.match(tc.watches[0], /allowWatchBookmarks=true/);

  rec.log.length = 0;
  const c1Before = inf.get('inf-a/c1').metadata.resourceVersion;
  await cm('inf-a', 'new');
  const updated = await client.patch(`${cmPath('inf-a')}/c1`, { data: { k: 'v' } });
  await client.delete(`${cmPath('inf-a')}/c2`);
  await waitFor(() => rec.log.length === 3, 'three watch events');
  assert.deepEqual(rec.log, ['add inf-a/new', `update inf-a/c1 ${c1Before}->${updated.metadata.resourceVersion}`, 'delete inf-a/c2']);
  assert.equal(inf.get('inf-a/c1').data.k, 'v');
  assert.equal(inf.get('inf-a/c2'), undefined);
  assert.equal(inf.byIndex('namespace', 'inf-a').length, 5);
  assert.ok(Number(inf.lastSyncResourceVersion) > Number(rvAfterList));

  // A handler added after sync first gets the current objects.
  const late = recorder();
  const reg = inf.addEventHandler(late);
  assert.equal(reg.hasSynced(), true);
  assert.equal(late.log.filter((l) => l.startsWith('add inf-a/')).length, 5);
  assert.ok(late.log.every((l) => l.endsWith('(initial)')));
  reg.remove();
  await cm('inf-a', 'after-remove');
  await waitFor(() => rec.log.includes('add inf-a/after-remove'), 'event after remove');
  assert.equal(late.log.some((l) => l.includes('after-remove')), false, 'removed handler gets nothing');
});

test('label and field selectors: objects leaving the selection are deleted', async () => {
  await cm('sel', 'web1', { app: 'web' });
  await cm('sel', 'db1', { app: 'db' });
  const labelled = start(new Informer<any>(client, cmPath('sel'), { labelSelector: 'app=web' }));
  const named = start(new Informer<any>(client, '/api/v1/configmaps', { fieldSelector: 'metadata.namespace=sel,metadata.name=db1' }));
  const rec = recorder();
  labelled.addEventHandler(rec);
  assert.equal(await labelled.waitForSync(), true);
  assert.equal(await named.waitForSync(), true);
  assert.deepEqual(labelled.keys(), ['sel/web1']);
  assert.deepEqual(named.keys(), ['sel/db1']);

  await cm('sel', 'web2', { app: 'web' });
  await cm('sel', 'db2', { app: 'db' });
  await client.patch(`${cmPath('sel')}/web1`, { metadata: { labels: { app: 'db' } } }); // leaves the selection
  await client.patch(`${cmPath('sel')}/db2`, { metadata: { labels: { app: 'web' } } }); // enters it
  await waitFor(() => rec.log.length === 4, 'selector events');
  assert.deepEqual(rec.log, ['add sel/web1 (initial)', 'add sel/web2', 'delete sel/web1', 'add sel/db2']);
  assert.deepEqual(labelled.keys().sort(), ['sel/db2', 'sel/web2']);
  assert.deepEqual(named.keys(), ['sel/db1']);
});

test('custom indexers, given up front or added later', async () => {
  await cm('idx', 'a', { tier: 'front' });
  await cm('idx', 'b', { tier: 'back' });
  await cm('idx', 'c', { tier: 'front' });
  const inf = start(new Informer<any>(client, cmPath('idx'), { indexers: { tier: (o) => (o.metadata.labels?.tier ? [o.metadata.labels.tier] : []) } }));
  await inf.waitForSync();
  assert.deepEqual(inf.byIndex('tier', 'front').map((o) => o.metadata.name).sort(), ['a', 'c']);
  inf.addIndexers({ first: (o) => [o.metadata.name[0]] });
  assert.equal(inf.byIndex('first', 'b').length, 1);
  await client.patch(`${cmPath('idx')}/a`, { metadata: { labels: { tier: 'back' } } });
  await waitFor(() => inf.byIndex('tier', 'back').length === 2, 'index update');
  assert.deepEqual(inf.byIndex('tier', 'front').map((o) => o.metadata.name), ['c']);
  assert.deepEqual(inf.store.indexKeys('tier', 'back').sort(), ['idx/a', 'idx/b']);
});

test('a watch that ends is resumed from the last resourceVersion without a relist', async () => {
  await cm('rewatch', 'one');
  const tc = new TestClient(client);
  const inf = start(new Informer<any>(tc, cmPath('rewatch'), { backoff: { initialMs: 5, maxMs: 20 } }));
  const rec = recorder();
  inf.addEventHandler(rec);
  await inf.waitForSync();
  await cm('rewatch', 'two');
  await waitFor(() => rec.log.includes('add rewatch/two'), 'event on first watch');
  const rv = inf.lastSyncResourceVersion;
  const listsBefore = tc.lists.length;
  tc.breakWatches();
  await waitFor(() => tc.watches.length === 2, 'second watch');
  assert.match(tc.watches[1], new RegExp(`resourceVersion=${rv}(&|$)`));
  await cm('rewatch', 'three');
  await waitFor(() => rec.log.includes('add rewatch/three'), 'event on second watch');
  assert.equal(tc.lists.length, listsBefore, 'no relist');
  assert.equal(rec.log.filter((l) => l.startsWith('add rewatch/two')).length, 1, 'no duplicate');
});

test('410 Gone relists and delivers the differences, with tombstones for vanished objects', async () => {
  for (const n of ['a', 'b', 'c', 'gone']) await cm('relist', n);
  const tc = new TestClient(client);
  const errors: string[] = [];
  const inf = start(new Informer<any>(tc, cmPath('relist'), { backoff: { initialMs: 5, maxMs: 20 }, onError: (e, ctx) => errors.push(`${ctx}: ${(e as Error).message}`) }));
  const rec = recorder();
  inf.addEventHandler(rec);
  await inf.waitForSync();
  const oldB = inf.get('relist/b');
  rec.log.length = 0;

  // The connection drops; while the informer is away the objects change and
  // the API server restarts, so its watch history starts after our resourceVersion.
  tc.down = true;
  tc.breakWatches();
  await client.delete(`${cmPath('relist')}/gone`);
  const b2 = await client.patch(`${cmPath('relist')}/b`, { data: { x: '1' } });
  await cm('relist', 'd');
  const api2 = new ApiServer({ store });
  await api2.start();
  cleanup.push(() => api2.stop());
  await waitFor(() => errors.length > 0, 'failed attempts while down');
  const listsBefore = tc.lists.length;
  tc.target = new InProcessClient(api2, ADMIN);
  tc.down = false;

  await waitFor(() => rec.log.length === 3, 'relist differences');
  assert.ok(tc.lists.length > listsBefore, 'relisted');
  assert.deepEqual(rec.log, ['add relist/d', `update relist/b ${oldB.metadata.resourceVersion}->${b2.metadata.resourceVersion}`, 'tombstone relist/gone']);
  assert.equal(rec.tombstones[0].deletedFinalStateUnknown, true);
  assert.equal(rec.tombstones[0].obj.metadata.name, 'gone', 'tombstone carries the last known state');
  assert.deepEqual(inf.keys().sort(), ['relist/a', 'relist/b', 'relist/c', 'relist/d']);
  assert.equal(inf.get('relist/b').data.x, '1');

  // And it keeps watching on the new server.
  await new InProcessClient(api2, ADMIN).create(cmPath('relist'), { metadata: { name: 'e' } });
  await waitFor(() => rec.log.includes('add relist/e'), 'watch after relist');
});

test('a watch refused with HTTP 410 also relists', async () => {
  await cm('rewatch', 'gone-status');
  const tc = new TestClient(client);
  const inf = start(new Informer<any>(tc, cmPath('rewatch'), { backoff: { initialMs: 5, maxMs: 20 } }));
  await inf.waitForSync();
  await waitFor(() => tc.watches.length === 1, 'first watch');
  const lists = tc.lists.length;
  tc.goneNextWatch = true;
  tc.breakWatches();
  await waitFor(() => tc.watches.length === 3, 'watch after relist');
  assert.equal(tc.lists.length, lists + 1, 'one relist');
  assert.ok(inf.get('rewatch/gone-status'));
});

test('an expired continue token falls back to one full list', async () => {
  for (let i = 0; i < 5; i++) await cm('page', `p${i}`);
  const tc = new TestClient(client);
  tc.failNextContinue = true;
  const inf = start(new Informer<any>(tc, cmPath('page'), { pageSize: 2 }));
  assert.equal(await inf.waitForSync(), true);
  assert.equal(inf.keys().length, 5);
  assert.ok(tc.lists.some((p) => !p.includes('limit=')), 'full list issued');
});

test('resync re-delivers cached objects as updates to the handlers that asked', async () => {
  await cm('resync', 'r1');
  const inf = start(new Informer<any>(client, cmPath('resync')));
  const fast = recorder();
  const none = recorder();
  inf.addEventHandler(fast, { resyncPeriodMs: 15 });
  inf.addEventHandler(none);
  await inf.waitForSync();
  await waitFor(() => fast.log.filter((l) => l === 'resync resync/r1').length >= 2, 'resyncs');
  assert.equal(none.log.some((l) => l.startsWith('resync')), false);
});

test('handler exceptions are reported and do not stop delivery; freeze makes cached objects read-only; stop ends delivery', async () => {
  const errors: string[] = [];
  const inf = start(new Informer<any>(client, cmPath('misc'), { freeze: true, onError: (e, ctx) => errors.push(ctx) }));
  const rec = recorder();
  inf.addEventHandler({
    onAdd: (o) => {
      if (o.metadata.name === 'boom') throw new Error('handler bug');
    },
  });
  inf.addEventHandler(rec);
  await inf.waitForSync();
  await cm('misc', 'boom');
  await cm('misc', 'fine');
  await waitFor(() => rec.log.length === 2, 'both adds');
  assert.deepEqual(errors, ['onAdd handler threw']);
  assert.throws(() => {
    inf.get('misc/fine').metadata.name = 'x';
  }, TypeError);
  inf.stop();
  assert.equal(await inf.waitForSync(), true, 'still synced');
  await cm('misc', 'after-stop');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(rec.log.includes('add misc/after-stop'), false);
  const never = new Informer<any>(client, cmPath('misc'));
  never.stop();
  assert.equal(await never.waitForSync(), false, 'stopped before sync');
});

test('SharedInformerFactory: one informer per path and selector, shared by consumers', async () => {
  await cm('fac', 'f1', { app: 'x' });
  const factory = new SharedInformerFactory(client, { backoff: { initialMs: 5 } });
  cleanup.push(() => factory.stop());
  const a = factory.informerFor(cmPath('fac'));
  const b = factory.informerFor(`${cmPath('fac')}/`, { indexers: { app: (o: any) => [o.metadata.labels?.app ?? ''] } });
  const c = factory.informerFor(cmPath('fac'), { labelSelector: 'app=x' });
  assert.equal(a, b);
  assert.notEqual(a, c);
  const ra = recorder();
  const rb = recorder();
  a.addEventHandler(ra);
  b.addEventHandler(rb);
  factory.start();
  assert.equal(await factory.waitForCacheSync(), true);
  assert.deepEqual(ra.log, ['add fac/f1 (initial)']);
  assert.deepEqual(rb.log, ['add fac/f1 (initial)']);
  assert.equal(a.byIndex('app', 'x').length, 1);
  assert.equal(c.hasSynced(), true);
  // Asked for after start: starts at once.
  const d = factory.informerFor('/api/v1/namespaces');
  assert.equal(d.isStarted(), true);
  assert.equal(await d.waitForSync(), true);
  assert.ok(d.get('fac'));
  assert.equal(factory.all().length, 3);
});
