// The watch cache on its own (list once, follow the store's watch, a bounded
// window of events), and ResourceRest's watch over a cache with a tiny window
// so the 410 Expired path of upstream's cacher (watch_cache.go
// getAllEventsSinceLocked: "too old resource version: %d (%d)") is reachable.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../storage/memory.js';
import { WatchCache, type CacheEvent } from './watch-cache.js';
import { ResourceRest, type WatchSink } from './rest.js';
import { ResourceRegistry } from '../api/registry.js';

const PREFIX = '/registry/core/configmaps/';
const key = (ns: string, name: string) => `${PREFIX}${ns}/${name}`;
const value = (ns: string, name: string, data: Record<string, string> = {}) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, uid: `uid-${name}` }, data });

function collect(): { events: CacheEvent[]; onEvent: (e: CacheEvent) => void } {
  const events: CacheEvent[] = [];
  return { events, onEvent: (e) => events.push(e) };
}

test('start lists the existing objects at the store revision, in key order, with resourceVersion set', async () => {
  const store = new MemoryStore();
  const b = await store.create(key('ns', 'b'), value('ns', 'b'));
  const a = await store.create(key('ns', 'a'), value('ns', 'a'));
  await store.create('/registry/core/secrets/ns/s', '{"metadata":{"name":"s"}}');
  const cache = new WatchCache(store, PREFIX);
  await cache.start();
  try {
    assert.equal(cache.revision, await store.currentRevision());
    assert.equal(cache.size, 2);
    assert.deepEqual(
      cache.list().map((c) => c.key),
      [key('ns', 'a'), key('ns', 'b')],
    );
    const ca = cache.get(key('ns', 'a'))!;
    assert.equal(ca.obj.metadata.resourceVersion, String(a.modRevision));
    assert.equal(ca.revision, a.modRevision);
    assert.deepEqual(JSON.parse(ca.json), ca.obj);
    assert.equal(cache.get(key('ns', 'b'))!.obj.metadata.resourceVersion, String(b.modRevision));
    assert.equal(cache.oldestRevision, cache.revision, 'a fresh cache can watch from its list revision');
  } finally {
    cache.stop();
  }
});

test('follows the store: ADDED, MODIFIED (with prev), DELETED with the deletion revision and last state', async () => {
  const store = new MemoryStore();
  const cache = new WatchCache(store, PREFIX);
  await cache.start();
  try {
    const w = collect();
    const cancel = cache.watch(cache.revision, w);
    assert.ok(cancel);
    const c1 = await store.create(key('ns', 'x'), value('ns', 'x', { v: '1' }));
    const c2 = await store.update(key('ns', 'x'), value('ns', 'x', { v: '2' }), c1.modRevision);
    const d = await store.delete(key('ns', 'x'));
    assert.deepEqual(
      w.events.map((e) => [e.type, e.revision]),
      [
        ['ADDED', c1.modRevision],
        ['MODIFIED', c2.modRevision],
        ['DELETED', d.modRevision],
      ],
    );
    assert.equal(w.events[1].prev!.obj.data.v, '1');
    assert.equal(w.events[1].object.obj.data.v, '2');
    const del = w.events[2];
    assert.equal(del.object.obj.metadata.resourceVersion, String(d.modRevision));
    assert.deepEqual(del.object.obj.data, { v: '2' }, 'the last state');
    assert.equal(del.prev!.obj.metadata.resourceVersion, String(c2.modRevision));
    assert.equal(cache.get(key('ns', 'x')), undefined);
    assert.equal(cache.revision, d.modRevision);
    cancel!();
    await store.create(key('ns', 'y'), value('ns', 'y'));
    assert.equal(w.events.length, 3, 'cancelled watchers get nothing');
  } finally {
    cache.stop();
  }
});

test('list(subPrefix) returns only that namespace, in key order, and tracks inserts and deletes', async () => {
  const store = new MemoryStore();
  const cache = new WatchCache(store, PREFIX);
  await cache.start();
  try {
    for (const [ns, n] of [
      ['b', '2'],
      ['a', '1'],
      ['b', '1'],
      ['ab', '1'],
    ]) {
      await store.create(key(ns, n), value(ns, n));
    }
    assert.deepEqual(
      cache.list(`${PREFIX}b/`).map((c) => c.key),
      [key('b', '1'), key('b', '2')],
    );
    assert.deepEqual(
      cache.list(`${PREFIX}a/`).map((c) => c.key),
      [key('a', '1')],
      'namespace "a" does not include namespace "ab"',
    );
    await store.delete(key('b', '1'));
    await store.create(key('b', '0'), value('b', '0'));
    const kv = await store.get(key('b', '2'));
    await store.update(key('b', '2'), value('b', '2', { new: 'y' }), kv!.modRevision);
    const bs = cache.list(`${PREFIX}b/`);
    assert.deepEqual(
      bs.map((c) => c.key),
      [key('b', '0'), key('b', '2')],
    );
    assert.deepEqual(bs[1].obj.data, { new: 'y' }, 'updates are visible in the sorted view');
    assert.equal(cache.list().length, 4);
  } finally {
    cache.stop();
  }
});

test('watch(after) replays the retained events after that revision, then live ones', async () => {
  const store = new MemoryStore();
  const cache = new WatchCache(store, PREFIX);
  await cache.start();
  try {
    const r1 = await store.create(key('ns', 'a'), value('ns', 'a'));
    await store.create(key('ns', 'b'), value('ns', 'b'));
    await store.create(key('ns', 'c'), value('ns', 'c'));
    const w = collect();
    const cancel = cache.watch(r1.modRevision, w);
    assert.ok(cancel);
    assert.deepEqual(
      w.events.map((e) => e.object.obj.metadata.name),
      ['b', 'c'],
    );
    await store.create(key('ns', 'd'), value('ns', 'd'));
    assert.deepEqual(
      w.events.map((e) => e.object.obj.metadata.name),
      ['b', 'c', 'd'],
    );
    cancel!();
  } finally {
    cache.stop();
  }
});

test('a watch older than the cache window is refused; the window slides with capacity', async () => {
  const store = new MemoryStore(); // revision 1
  const cache = new WatchCache(store, PREFIX, 2);
  await cache.start();
  try {
    assert.equal(cache.watch(0, collect()), undefined, 'before the initial list');
    const revs: number[] = [];
    for (const n of ['a', 'b', 'c', 'd']) revs.push((await store.create(key('ns', n), value('ns', n))).modRevision);
    assert.deepEqual(revs, [2, 3, 4, 5]);
    // Retained: the events at 4 and 5; a watch can start after 3 (upstream: oldest-1).
    assert.equal(cache.oldestRevision, 3);
    assert.equal(cache.watch(2, collect()), undefined);
    const w = collect();
    const cancel = cache.watch(3, w);
    assert.ok(cancel);
    assert.deepEqual(
      w.events.map((e) => e.revision),
      [4, 5],
    );
    cancel!();
    // Objects are all still there: the window only bounds history.
    assert.equal(cache.size, 4);
  } finally {
    cache.stop();
  }
});

test('advance() moves the revision forward and notifies progress; never backwards', async () => {
  const store = new MemoryStore();
  const cache = new WatchCache(store, PREFIX);
  await cache.start();
  try {
    const progress: number[] = [];
    const cancel = cache.watch(cache.revision, { onEvent: () => {}, onProgress: (r) => progress.push(r) });
    cache.advance(10);
    cache.advance(5);
    assert.equal(cache.revision, 10);
    assert.deepEqual(progress, [10]);
    cancel!();
  } finally {
    cache.stop();
  }
});

test('a throwing watcher is dropped without affecting others', async () => {
  const store = new MemoryStore();
  const cache = new WatchCache(store, PREFIX);
  await cache.start();
  try {
    let bad = 0;
    cache.watch(cache.revision, {
      onEvent: () => {
        bad++;
        throw new Error('boom');
      },
    });
    const good = collect();
    cache.watch(cache.revision, good);
    await store.create(key('ns', 'a'), value('ns', 'a'));
    await store.create(key('ns', 'b'), value('ns', 'b'));
    assert.equal(bad, 1);
    assert.equal(good.events.length, 2);
  } finally {
    cache.stop();
  }
});

test('stop() stops following the store', async () => {
  const store = new MemoryStore();
  const cache = new WatchCache(store, PREFIX);
  await cache.start();
  cache.stop();
  await store.create(key('ns', 'a'), value('ns', 'a'));
  assert.equal(cache.size, 0);
});

// ------------------------------------------------------------------ ResourceRest watch over a tiny window

interface Sink extends WatchSink {
  events: Array<{ type: string; obj: any }>;
  errors: any[];
  ended: boolean;
}

function sink(): Sink {
  const s: Sink = {
    events: [],
    errors: [],
    ended: false,
    event(type, obj) {
      s.events.push({ type, obj });
    },
    error(status) {
      s.errors.push(status);
    },
    end() {
      s.ended = true;
    },
  };
  return s;
}

async function restWithTinyCache() {
  const store = new MemoryStore();
  const info = new ResourceRegistry().get('', 'v1', 'configmaps')!;
  const cache = new WatchCache(store, PREFIX, 2);
  await cache.start();
  // A variable rather than a literal, so extra members (hooksFor, ...) of the lead's evolving RestContext are tolerated.
  const ctx = {
    store,
    cacheFor: () => cache,
    hooksFor: () => undefined,
    strategyFor: () => undefined,
    namespaceState: () => 'active' as const,
    currentRevision: () => store.currentRevision(),
  };
  const rest = new ResourceRest(ctx, info);
  return { store, cache, rest };
}

test('a watch from a resourceVersion older than the window gets one ERROR: 410 Expired Status, then the stream ends', async () => {
  const { store, cache, rest } = await restWithTinyCache();
  try {
    for (const n of ['a', 'b', 'c', 'd']) await store.create(key('ns', n), value('ns', n));
    const res = rest.watch('ns', '', new URLSearchParams('resourceVersion=2'));
    assert.equal(res.type, 'watch');
    if (res.type !== 'watch') return;
    const s = sink();
    const stop = res.start(s);
    assert.deepEqual(s.events, []);
    assert.deepEqual(s.errors, [
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 2 (3)', reason: 'Expired', code: 410 },
    ]);
    assert.equal(s.ended, true);
    stop();
  } finally {
    cache.stop();
  }
});

test('a watch inside the window replays from there; RV 0 lists current objects as ADDED whatever the window', async () => {
  const { store, cache, rest } = await restWithTinyCache();
  try {
    for (const n of ['a', 'b', 'c', 'd']) await store.create(key('ns', n), value('ns', n));
    const res = rest.watch('ns', '', new URLSearchParams('resourceVersion=3'));
    if (res.type !== 'watch') throw new Error('not a watch');
    const s = sink();
    const stop = res.start(s);
    assert.deepEqual(
      s.events.map((e) => [e.type, e.obj.metadata.name]),
      [
        ['ADDED', 'c'],
        ['ADDED', 'd'],
      ],
    );
    assert.deepEqual(s.errors, []);
    stop();

    const res0 = rest.watch('ns', '', new URLSearchParams('resourceVersion=0'));
    if (res0.type !== 'watch') throw new Error('not a watch');
    const s0 = sink();
    const stop0 = res0.start(s0);
    assert.deepEqual(
      s0.events.map((e) => [e.type, e.obj.metadata.name]),
      [
        ['ADDED', 'a'],
        ['ADDED', 'b'],
        ['ADDED', 'c'],
        ['ADDED', 'd'],
      ],
    );
    for (const e of s0.events) assert.equal(e.obj.kind, 'ConfigMap');
    stop0();
  } finally {
    cache.stop();
  }
});

test('watch timeoutSeconds ends the stream', async (t) => {
  const { cache, rest } = await restWithTinyCache();
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    const res = rest.watch('ns', '', new URLSearchParams('timeoutSeconds=2'));
    if (res.type !== 'watch') throw new Error('not a watch');
    const s = sink();
    res.start(s);
    t.mock.timers.tick(1999);
    assert.equal(s.ended, false);
    t.mock.timers.tick(1);
    assert.equal(s.ended, true);
  } finally {
    t.mock.timers.reset();
    cache.stop();
  }
});
