// Conformance tests every Store backend must pass. A backend's test file calls
// `storeConformance(name, factory)`; each test gets a fresh, empty store.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError, type KeyValue, type Store, type StoreErrorCode, type StoreEvent } from './types.js';

export type StoreFactory = () => Promise<Store>;

async function rejectsWith(p: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof StoreError, `expected StoreError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

function kv(key: string, value: string, createRevision: number, modRevision: number): KeyValue {
  return { key, value, createRevision, modRevision };
}

/** Plain copies, so events compare equal regardless of how a backend builds them. */
function plain(events: StoreEvent[]): StoreEvent[] {
  return events.map((e) => {
    const out: StoreEvent = { type: e.type, kv: { ...e.kv } };
    if (e.prev) out.prev = { ...e.prev };
    return out;
  });
}

export function storeConformance(name: string, factory: StoreFactory): void {
  async function withStore(fn: (s: Store) => Promise<void>): Promise<void> {
    const s = await factory();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  }

  describe(`${name} store conformance`, () => {
    test('an empty store is at revision 1 and not compacted', () =>
      withStore(async (s) => {
        assert.equal(await s.currentRevision(), 1);
        assert.equal(await s.compactedRevision(), 0);
        assert.equal(await s.get('/a'), undefined);
        assert.equal(await s.get('/a', { revision: 1 }), undefined);
        assert.deepEqual(await s.list('/'), { items: [], revision: 1, more: false, remaining: 0 });
      }));

    test('create, get, AlreadyExists', () =>
      withStore(async (s) => {
        const a = await s.create('/a', 'v1');
        assert.deepEqual({ ...a }, kv('/a', 'v1', 2, 2));
        assert.equal(await s.currentRevision(), 2);
        assert.deepEqual({ ...(await s.get('/a'))! }, kv('/a', 'v1', 2, 2));
        assert.equal(await s.get('/b'), undefined);
        await rejectsWith(s.create('/a', 'v2'), 'AlreadyExists');
        assert.equal(await s.currentRevision(), 2, 'a failed write does not bump the revision');
        assert.equal((await s.get('/a'))!.value, 'v1');
      }));

    test('update: success, Conflict with current state, NotFound', () =>
      withStore(async (s) => {
        await s.create('/a', 'v1');
        const u = await s.update('/a', 'v2', 2);
        assert.deepEqual({ ...u }, kv('/a', 'v2', 2, 3));
        const err = await rejectsWith(s.update('/a', 'v3', 2), 'Conflict');
        assert.deepEqual({ ...err.current! }, kv('/a', 'v2', 2, 3));
        await rejectsWith(s.update('/missing', 'x', 1), 'NotFound');
        assert.equal(await s.currentRevision(), 3);
        const u2 = await s.update('/a', 'v2', 3); // same value is still a write
        assert.equal(u2.modRevision, 4);
        assert.deepEqual({ ...(await s.get('/a'))! }, kv('/a', 'v2', 2, 4));
      }));

    test('delete: returns last state at the deletion revision, guards, NotFound', () =>
      withStore(async (s) => {
        await s.create('/a', 'v1'); // 2
        await s.update('/a', 'v2', 2); // 3
        const err = await rejectsWith(s.delete('/a', 2), 'Conflict');
        assert.deepEqual({ ...err.current! }, kv('/a', 'v2', 2, 3));
        const d = await s.delete('/a', 3); // 4
        assert.deepEqual({ ...d }, kv('/a', 'v2', 2, 4));
        assert.equal(await s.get('/a'), undefined);
        await rejectsWith(s.delete('/a'), 'NotFound');
        await rejectsWith(s.update('/a', 'x', 4), 'NotFound');
        await s.create('/b', 'b'); // 5
        const d2 = await s.delete('/b'); // 6, unconditional
        assert.deepEqual({ ...d2 }, kv('/b', 'b', 5, 6));
        // Recreating starts a new life with a new createRevision.
        const a2 = await s.create('/a', 'again'); // 7
        assert.deepEqual({ ...a2 }, kv('/a', 'again', 7, 7));
        assert.equal(await s.currentRevision(), 7);
      }));

    test('get at older revisions', () =>
      withStore(async (s) => {
        await s.create('/a', 'v1'); // 2
        await s.create('/b', 'b'); // 3
        await s.update('/a', 'v2', 2); // 4
        await s.delete('/a'); // 5
        await s.create('/a', 'v3'); // 6
        assert.equal(await s.get('/a', { revision: 1 }), undefined);
        assert.deepEqual({ ...(await s.get('/a', { revision: 2 }))! }, kv('/a', 'v1', 2, 2));
        assert.deepEqual({ ...(await s.get('/a', { revision: 3 }))! }, kv('/a', 'v1', 2, 2));
        assert.deepEqual({ ...(await s.get('/a', { revision: 4 }))! }, kv('/a', 'v2', 2, 4));
        assert.equal(await s.get('/a', { revision: 5 }), undefined);
        assert.deepEqual({ ...(await s.get('/a', { revision: 6 }))! }, kv('/a', 'v3', 6, 6));
        assert.deepEqual({ ...(await s.get('/a', { revision: 0 }))! }, kv('/a', 'v3', 6, 6), '0 means current');
        await rejectsWith(s.get('/a', { revision: 7 }), 'FutureRevision');
      }));

    test('list: prefix filtering and byte order', () =>
      withStore(async (s) => {
        const keys = ['/r/b', '/r/a', '/r/B', '/r/a/x', '/r/', '/r0', '/q/z', '/r/\u00e9', '/r/\uff01', '/r/\u{1f600}', '/r/~'];
        for (const k of keys) await s.create(k, `v:${k}`);
        const r = await s.list('/r/');
        // Code point order (= UTF-8 byte order): U+FF01 sorts before U+1F600.
        assert.deepEqual(
          r.items.map((i) => i.key),
          ['/r/', '/r/B', '/r/a', '/r/a/x', '/r/b', '/r/~', '/r/\u00e9', '/r/\uff01', '/r/\u{1f600}'],
        );
        assert.equal(r.revision, 1 + keys.length);
        assert.equal(r.more, false);
        assert.equal(r.remaining, 0);
        for (const item of r.items) assert.equal(item.value, `v:${item.key}`);
        assert.deepEqual(
          (await s.list('/r')).items.map((i) => i.key),
          ['/r/', '/r/B', '/r/a', '/r/a/x', '/r/b', '/r/~', '/r/\u00e9', '/r/\uff01', '/r/\u{1f600}', '/r0'],
        );
        assert.equal((await s.list('')).items.length, keys.length);
        assert.deepEqual((await s.list('/nothing/')).items, []);
        await s.delete('/r/b');
        assert.ok(!(await s.list('/r/')).items.some((i) => i.key === '/r/b'));
      }));

    test('list: pagination with limit, startKey, more, remaining', () =>
      withStore(async (s) => {
        for (let i = 0; i < 25; i++) await s.create(`/p/${String(i).padStart(2, '0')}`, `v${i}`);
        await s.create('/pz', 'outside'); // shares the prefix string '/p' but not '/p/'
        await s.create('/o/x', 'before');
        const p1 = await s.list('/p/', { limit: 10 });
        assert.deepEqual(p1.items.map((i) => i.key), Array.from({ length: 10 }, (_, i) => `/p/${String(i).padStart(2, '0')}`));
        assert.equal(p1.more, true);
        assert.equal(p1.remaining, 15);
        // Writes between pages must not show up when paging at the first page's revision.
        await s.create('/p/05a', 'new');
        await s.delete('/p/20');
        await s.update('/p/15', 'changed', (await s.get('/p/15'))!.modRevision);
        const p2 = await s.list('/p/', { limit: 10, startKey: p1.items[9]!.key + '\0', revision: p1.revision });
        assert.equal(p2.revision, p1.revision);
        assert.deepEqual(p2.items.map((i) => i.key), Array.from({ length: 10 }, (_, i) => `/p/${String(i + 10).padStart(2, '0')}`));
        assert.equal(p2.items[5]!.value, 'v15');
        assert.equal(p2.more, true);
        assert.equal(p2.remaining, 5);
        const p3 = await s.list('/p/', { limit: 10, startKey: p2.items[9]!.key + '\0', revision: p1.revision });
        assert.equal(p3.items.length, 5);
        assert.equal(p3.more, false);
        assert.equal(p3.remaining, 0);
        // Exact fit: limit equal to what is left.
        const exact = await s.list('/p/', { limit: 5, startKey: '/p/20', revision: p1.revision });
        assert.equal(exact.items.length, 5);
        assert.equal(exact.more, false);
        assert.equal(exact.remaining, 0);
        // At the current revision.
        const cur = await s.list('/p/', { limit: 7, startKey: '/p/05' });
        assert.deepEqual(cur.items.map((i) => i.key), ['/p/05', '/p/05a', '/p/06', '/p/07', '/p/08', '/p/09', '/p/10']);
        assert.equal(cur.remaining, 25 + 1 - 1 - 7 - 5); // 25 + /p/05a - /p/20 - page - keys before /p/05
        assert.equal(cur.more, true);
        assert.equal((await s.list('/p/', { limit: 100 })).items.length, 25);
        // startKey below the prefix starts at the prefix; above everything gives nothing.
        assert.equal((await s.list('/p/', { startKey: '/a' })).items.length, 25);
        assert.deepEqual((await s.list('/p/', { startKey: '/p/zz' })).items, []);
        // limit 0 means no limit.
        assert.equal((await s.list('/p/', { limit: 0 })).items.length, 25);
        // Paging through everything collects every key once.
        const seen: string[] = [];
        let startKey: string | undefined;
        const rev = await s.currentRevision();
        for (;;) {
          const page = await s.list('/p/', { limit: 4, startKey, revision: rev });
          seen.push(...page.items.map((i) => i.key));
          if (!page.more) break;
          startKey = page.items[page.items.length - 1]!.key + '\0';
        }
        assert.deepEqual(seen, (await s.list('/p/')).items.map((i) => i.key));
      }));

    test('list at an older revision', () =>
      withStore(async (s) => {
        await s.create('/l/a', 'a1'); // 2
        await s.create('/l/b', 'b1'); // 3
        await s.create('/l/c', 'c1'); // 4
        await s.update('/l/a', 'a2', 2); // 5
        await s.delete('/l/b'); // 6
        await s.create('/l/d', 'd1'); // 7
        await s.create('/l/b', 'b2'); // 8
        const at = async (revision: number) =>
          (await s.list('/l/', { revision })).items.map((i) => `${i.key}=${i.value}@${i.createRevision}/${i.modRevision}`);
        assert.deepEqual(await at(1), []);
        assert.deepEqual(await at(3), ['/l/a=a1@2/2', '/l/b=b1@3/3']);
        assert.deepEqual(await at(5), ['/l/a=a2@2/5', '/l/b=b1@3/3', '/l/c=c1@4/4']);
        assert.deepEqual(await at(6), ['/l/a=a2@2/5', '/l/c=c1@4/4']);
        assert.deepEqual(await at(8), ['/l/a=a2@2/5', '/l/b=b2@8/8', '/l/c=c1@4/4', '/l/d=d1@7/7']);
        const r = await s.list('/l/', { revision: 6, limit: 1 });
        assert.equal(r.revision, 6);
        assert.equal(r.remaining, 1);
        assert.equal(r.more, true);
        await rejectsWith(s.list('/l/', { revision: 9 }), 'FutureRevision');
      }));

    test('watch: history replay, then live events, with prefix filtering', () =>
      withStore(async (s) => {
        await s.create('/w/a', 'a1'); // 2
        await s.create('/x/a', 'x'); // 3
        await s.update('/w/a', 'a2', 2); // 4
        await s.create('/w/b', 'b1'); // 5
        await s.delete('/w/a'); // 6
        const all: StoreEvent[] = [];
        const unwatch = await s.watch('/w/', 0, (e) => all.push(e));
        assert.deepEqual(plain(all), [
          { type: 'create', kv: kv('/w/a', 'a1', 2, 2) },
          { type: 'update', kv: kv('/w/a', 'a2', 2, 4), prev: kv('/w/a', 'a1', 2, 2) },
          { type: 'create', kv: kv('/w/b', 'b1', 5, 5) },
          { type: 'delete', kv: kv('/w/a', 'a2', 2, 6), prev: kv('/w/a', 'a2', 2, 4) },
        ]);
        const fromFour: StoreEvent[] = [];
        const unwatch2 = await s.watch('/w/', 4, (e) => fromFour.push(e));
        assert.deepEqual(fromFour.map((e) => e.kv.modRevision), [5, 6]);
        const live: StoreEvent[] = [];
        const unwatch3 = await s.watch('/w/', await s.currentRevision(), (e) => live.push(e));
        assert.equal(live.length, 0);

        // Live events arrive by the time the write resolves.
        await s.create('/w/c', 'c1'); // 7
        assert.equal(all.length, 5);
        assert.deepEqual(plain(live), [{ type: 'create', kv: kv('/w/c', 'c1', 7, 7) }]);
        await s.create('/x/b', 'x'); // 8: other prefix
        await s.update('/w/c', 'c2', 7); // 9
        await s.delete('/w/b', 5); // 10
        assert.deepEqual(plain(live.slice(1)), [
          { type: 'update', kv: kv('/w/c', 'c2', 7, 9), prev: kv('/w/c', 'c1', 7, 7) },
          { type: 'delete', kv: kv('/w/b', 'b1', 5, 10), prev: kv('/w/b', 'b1', 5, 5) },
        ]);
        assert.deepEqual(all.map((e) => e.kv.modRevision), [2, 4, 5, 6, 7, 9, 10]);
        assert.deepEqual(fromFour.map((e) => e.kv.modRevision), [5, 6, 7, 9, 10]);

        // A history replay of the same range sees the same events.
        const replay: StoreEvent[] = [];
        const unwatch4 = await s.watch('/w/', 6, (e) => replay.push(e));
        assert.deepEqual(plain(replay), plain(live));

        // Unwatch stops delivery (and is idempotent).
        unwatch();
        unwatch();
        await s.create('/w/d', 'd'); // 11
        assert.equal(all.length, 7);
        assert.equal(live.length, 4);
        unwatch2();
        unwatch3();
        unwatch4();
        await s.create('/w/e', 'e');
        assert.equal(live.length, 4);

        // A watch on everything.
        const every: number[] = [];
        const u5 = await s.watch('', 1, (e) => every.push(e.kv.modRevision));
        assert.deepEqual(every, Array.from({ length: 11 }, (_, i) => i + 2));
        u5();
        await rejectsWith(s.watch('/w/', (await s.currentRevision()) + 1, () => {}), 'FutureRevision');
      }));

    test('watch: writes from inside a callback keep every watcher in revision order', () =>
      withStore(async (s) => {
        const a: number[] = [];
        const b: number[] = [];
        const ua = await s.watch('/n/', 1, (e) => {
          a.push(e.kv.modRevision);
          if (e.kv.key === '/n/1') void s.create('/n/2', 'from-callback');
        });
        const ub = await s.watch('/n/', 1, (e) => b.push(e.kv.modRevision));
        await s.create('/n/1', 'x');
        assert.deepEqual(a, [2, 3]);
        assert.deepEqual(b, [2, 3]);
        // A watcher that throws does not break the write or the other watchers.
        const origError = console.error;
        console.error = () => {};
        try {
          const ut = await s.watch('/n/', await s.currentRevision(), () => {
            throw new Error('boom');
          });
          const c = await s.create('/n/3', 'y');
          assert.equal(c.modRevision, 4);
          ut();
        } finally {
          console.error = origError;
        }
        assert.deepEqual(b, [2, 3, 4]);
        ua();
        ub();
      }));

    test('compaction: TooOld below, everything at and above still readable', () =>
      withStore(async (s) => {
        await s.create('/c/a', 'a1'); // 2
        await s.create('/c/b', 'b1'); // 3
        await s.update('/c/a', 'a2', 2); // 4
        await s.create('/c/gone', 'g'); // 5
        await s.delete('/c/gone'); // 6
        await s.update('/c/a', 'a3', 4); // 7
        await s.create('/c/c', 'c1'); // 8
        await s.delete('/c/b'); // 9
        await s.create('/c/b', 'b2'); // 10
        await s.update('/c/c', 'c2', 8); // 11
        const before7 = await s.list('/c/', { revision: 7 });
        const before11 = await s.list('/c/');
        const history: StoreEvent[] = [];
        (await s.watch('/c/', 7, (e) => history.push(e)))();

        await s.compact(7);
        assert.equal(await s.compactedRevision(), 7);
        assert.equal(await s.currentRevision(), 11, 'compaction does not change the revision');

        await rejectsWith(s.get('/c/a', { revision: 6 }), 'TooOld');
        await rejectsWith(s.list('/c/', { revision: 3 }), 'TooOld');
        await rejectsWith(s.watch('/c/', 6, () => {}), 'TooOld');
        await rejectsWith(s.watch('/c/', 0, () => {}), 'TooOld');

        assert.deepEqual(await s.list('/c/', { revision: 7 }), before7);
        assert.deepEqual(await s.list('/c/'), before11);
        assert.equal((await s.get('/c/a', { revision: 7 }))!.value, 'a3');
        assert.equal((await s.get('/c/b', { revision: 8 }))!.value, 'b1');
        assert.equal(await s.get('/c/b', { revision: 9 }), undefined);
        assert.equal(await s.get('/c/gone', { revision: 7 }), undefined);

        const after: StoreEvent[] = [];
        const u = await s.watch('/c/', 7, (e) => after.push(e));
        assert.deepEqual(plain(after), plain(history));
        assert.deepEqual(after.map((e) => e.kv.modRevision), [8, 9, 10, 11]);
        await s.update('/c/a', 'a4', 7);
        assert.equal(after.length, 5);
        u();

        // Compacting again at or below is a no-op; above the current revision fails.
        await s.compact(5);
        assert.equal(await s.compactedRevision(), 7);
        await rejectsWith(s.compact(100), 'FutureRevision');
        // Compacting at the current revision keeps the current state.
        const now = await s.currentRevision();
        const state = await s.list('');
        await s.compact(now);
        assert.deepEqual(await s.list(''), state);
        assert.deepEqual(await s.list('', { revision: now }), state);
        await rejectsWith(s.get('/c/a', { revision: now - 1 }), 'TooOld');
        const empty: StoreEvent[] = [];
        (await s.watch('', now, (e) => empty.push(e)))();
        assert.equal(empty.length, 0);
        // Writes continue at the next revision.
        const next = await s.update('/c/a', 'a5', (await s.get('/c/a'))!.modRevision);
        assert.equal(next.modRevision, now + 1);
        assert.equal(next.createRevision, 2);
      }));

    test('revisions are monotonic: +1 per write, unchanged by failures', () =>
      withStore(async (s) => {
        let expected = 1;
        for (let i = 0; i < 50; i++) {
          const key = `/m/${i % 7}`;
          const cur = await s.get(key);
          let res: KeyValue | undefined;
          if (!cur) res = await s.create(key, `v${i}`);
          else if (i % 3 === 0) res = await s.delete(key, cur.modRevision);
          else res = await s.update(key, `v${i}`, cur.modRevision);
          expected++;
          assert.equal(res.modRevision, expected);
          assert.equal(await s.currentRevision(), expected);
          // A create that may fail: the revision moves only if it succeeds.
          const existed = (await s.get('/m/0')) !== undefined;
          const created = await s.create('/m/0', 'x').then(
            () => true,
            (err: unknown) => {
              assert.ok(err instanceof StoreError && err.code === 'AlreadyExists');
              return false;
            },
          );
          assert.equal(created, !existed);
          if (created) expected++;
          assert.equal(await s.currentRevision(), expected);
          if (i === 25) await s.compact(expected - 3);
        }
        await rejectsWith(s.update('/m/none', 'x', 1), 'NotFound');
        assert.equal(await s.currentRevision(), expected);
      }));

    test('random operations match a reference model at every revision, across compactions', () =>
      withStore(async (s) => {
        let seed = 12345;
        const rand = (n: number) => {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          return seed % n;
        };
        const keys = Array.from({ length: 12 }, (_, i) => (i < 10 ? `/z/k${i}` : `/y/k${i}`));
        const state = new Map<string, KeyValue>();
        const snapshots: Map<string, KeyValue>[] = [new Map(), new Map()]; // index = revision
        const events: StoreEvent[] = [];
        let compacted = 0;
        for (let step = 0; step < 400; step++) {
          const key = keys[rand(keys.length)]!;
          const cur = state.get(key);
          const op = rand(10);
          if (!cur) {
            const r = await s.create(key, `v${step}`);
            state.set(key, { ...r });
            events.push({ type: 'create', kv: { ...r } });
          } else if (op < 2) {
            const r = await s.delete(key, op === 0 ? cur.modRevision : undefined);
            state.delete(key);
            events.push({ type: 'delete', kv: { ...r }, prev: cur });
          } else if (op < 4) {
            await rejectsWith(s.update(key, 'x', cur.modRevision - 1), 'Conflict');
            continue;
          } else {
            const r = await s.update(key, `v${step}`, cur.modRevision);
            state.set(key, { ...r });
            events.push({ type: 'update', kv: { ...r }, prev: cur });
          }
          snapshots.push(new Map(state));
          const rev = snapshots.length - 1;
          assert.equal(await s.currentRevision(), rev);
          if (step % 97 === 96) {
            compacted = Math.max(compacted, rev - rand(20));
            await s.compact(compacted);
          }
          if (step % 20 === 19) {
            for (let k = 0; k < 5; k++) {
              const at = Math.max(compacted, 1) + rand(rev - Math.max(compacted, 1) + 1);
              const expectedList = [...snapshots[at]!.entries()]
                .filter(([k2]) => k2.startsWith('/z/'))
                .sort(([x], [y]) => (x < y ? -1 : 1))
                .map(([, v]) => v);
              const limit = rand(4);
              const got = await s.list('/z/', { revision: at, limit });
              const page = limit ? expectedList.slice(0, limit) : expectedList;
              assert.deepEqual(got.items.map((i) => ({ ...i })), page, `list at ${at}`);
              assert.equal(got.remaining, expectedList.length - page.length);
              assert.equal(got.more, got.remaining > 0);
              const gk = keys[rand(keys.length)]!;
              const g = await s.get(gk, { revision: at });
              assert.deepEqual(g && { ...g }, snapshots[at]!.get(gk), `get ${gk} at ${at}`);
              const seen: StoreEvent[] = [];
              (await s.watch('/z/', at, (e) => seen.push(e)))();
              assert.deepEqual(
                plain(seen),
                events.filter((e) => e.kv.modRevision > at && e.kv.key.startsWith('/z/')),
                `watch after ${at}`,
              );
            }
            if (compacted > 1) await rejectsWith(s.get('/z/k1', { revision: compacted - 1 }), 'TooOld');
          }
        }
      }));

    test('closed store rejects calls with Closed', async () => {
      const s = await factory();
      await s.create('/a', 'a');
      const seen: StoreEvent[] = [];
      await s.watch('/', 0, (e) => seen.push(e));
      await s.close();
      await s.close(); // idempotent
      await rejectsWith(s.get('/a'), 'Closed');
      await rejectsWith(s.list('/'), 'Closed');
      await rejectsWith(s.create('/b', 'b'), 'Closed');
      await rejectsWith(s.update('/a', 'b', 2), 'Closed');
      await rejectsWith(s.delete('/a'), 'Closed');
      await rejectsWith(s.watch('/', 0, () => {}), 'Closed');
      await rejectsWith(s.compact(1), 'Closed');
      await rejectsWith(s.currentRevision(), 'Closed');
      assert.equal(seen.length, 1);
    });
  });
}
