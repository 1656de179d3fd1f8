// Work queue semantics, checked against client-go's util/workqueue:
// dedupe, one worker per key, re-processing of keys added while in flight,
// delayed and rate-limited adds, shutdown, and the worker loop.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BucketRateLimiter,
  ItemExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  WorkQueue,
  defaultControllerRateLimiter,
  runWorkers,
  type RateLimiter,
} from './workqueue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A limiter with a fixed small delay that still counts requeues. */
function fastLimiter(ms = 1): RateLimiter<string> {
  return new ItemExponentialFailureRateLimiter<string>(ms, 20);
}

test('a key waiting in the queue is there once; order is first-added first', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  q.add('c');
  q.add('b');
  assert.equal(q.len(), 3);
  const got = [(await q.get()).item, (await q.get()).item, (await q.get()).item];
  assert.deepEqual(got, ['a', 'b', 'c']);
  assert.equal(q.len(), 0);
  q.shutDown();
});

test('a key in processing is not handed out again; re-added, it comes back after done', async () => {
  const q = new WorkQueue();
  q.add('a');
  const first = await q.get();
  assert.equal(first.item, 'a');
  q.add('a'); // changed while a worker holds it
  assert.equal(q.len(), 0, 'not queued while processing');
  let second: string | undefined;
  const waiting = q.get().then((r) => (second = r.item));
  await sleep(5);
  assert.equal(second, undefined, 'a second worker does not get the key in flight');
  q.done('a');
  await waiting;
  assert.equal(second, 'a');
  q.done('a');
  assert.equal(q.len(), 0);
  q.shutDown();
});

test('done without a re-add does not requeue', async () => {
  const q = new WorkQueue();
  q.add('x');
  await q.get();
  q.done('x');
  assert.equal(q.len(), 0);
  q.done('never-got'); // harmless
  q.shutDown();
  assert.equal((await q.get()).shutdown, true);
});

test('waiting getters are served in order as keys arrive', async () => {
  const q = new WorkQueue();
  const results: string[] = [];
  const g1 = q.get().then((r) => results.push(`1:${r.item}`));
  const g2 = q.get().then((r) => results.push(`2:${r.item}`));
  q.add('a');
  q.add('b');
  await Promise.all([g1, g2]);
  assert.deepEqual(results, ['1:a', '2:b']);
  q.shutDown();
});

test('shutDown: adds are ignored, queued keys drain, then get reports shutdown', async () => {
  const q = new WorkQueue();
  q.add('a');
  const idle = new WorkQueue();
  const idleGet = idle.get();
  idle.shutDown();
  assert.deepEqual(await idleGet, { item: undefined, shutdown: true });

  q.shutDown();
  q.add('b');
  q.addAfter('c', 1);
  assert.equal(q.shuttingDown(), true);
  assert.deepEqual(await q.get(), { item: 'a', shutdown: false });
  assert.deepEqual(await q.get(), { item: undefined, shutdown: true });
});

test('shutDownWithDrain waits for keys in processing', async () => {
  const q = new WorkQueue();
  q.add('a');
  const { item } = await q.get();
  let drained = false;
  const p = q.shutDownWithDrain().then(() => (drained = true));
  await sleep(5);
  assert.equal(drained, false);
  q.done(item!);
  await p;
  assert.equal(drained, true);
});

test('addAfter delays a key; the earliest pending time wins', async () => {
  const q = new WorkQueue();
  const t0 = performance.now();
  q.addAfter('a', 30);
  q.addAfter('a', 200); // later: ignored
  assert.equal(q.len(), 0);
  const r = await q.get();
  const waited = performance.now() - t0;
  assert.equal(r.item, 'a');
  assert.ok(waited >= 25 && waited < 150, `waited ${waited} ms`);
  q.done('a');

  q.addAfter('b', 500);
  q.addAfter('b', 10); // earlier: replaces
  const t1 = performance.now();
  assert.equal((await q.get()).item, 'b');
  assert.ok(performance.now() - t1 < 200);
  q.done('b');

  q.addAfter('now', 0);
  assert.equal(q.len(), 1);
  q.shutDown(); // also cancels pending delayed adds
});

test('item exponential back-off: 5 ms doubling, capped at 1000 s; forget resets', () => {
  const l = new ItemExponentialFailureRateLimiter<string>(5, 1000 * 1000);
  assert.deepEqual([l.when('a'), l.when('a'), l.when('a'), l.when('a')], [5, 10, 20, 40]);
  assert.equal(l.when('b'), 5, 'per item');
  assert.equal(l.numRequeues('a'), 4);
  for (let i = 0; i < 40; i++) l.when('a');
  assert.equal(l.when('a'), 1000 * 1000);
  l.forget('a');
  assert.equal(l.numRequeues('a'), 0);
  assert.equal(l.when('a'), 5);
});

test('token bucket: the burst goes at once, then qps', () => {
  let now = 0;
  const b = new BucketRateLimiter<string>(10, 3, () => now);
  assert.deepEqual([b.when('a'), b.when('b'), b.when('c')], [0, 0, 0]);
  assert.equal(Math.round(b.when('d')), 100);
  assert.equal(Math.round(b.when('e')), 200);
  now = 1000; // 10 tokens refilled, minus the 2 owed, capped at the burst
  assert.equal(b.when('f'), 0);
});

test('the default limiter is the max of per-item back-off and the bucket', () => {
  let now = 0;
  const m = new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter(5, 1000 * 1000), new BucketRateLimiter(10, 2, () => now));
  assert.equal(m.when('a'), 5);
  assert.equal(m.when('a'), 10);
  assert.equal(Math.round(m.when('b')), 100, 'bucket exhausted dominates a fresh item');
  assert.equal(m.numRequeues('a'), 2);
  m.forget('a');
  assert.equal(m.numRequeues('a'), 0);
  const d = defaultControllerRateLimiter<string>();
  assert.equal(d.when('x'), 5);
  assert.equal(d.when('x'), 10);
});

test('addRateLimited delays by the limiter; numRequeues counts; forget resets', async () => {
  const q = new WorkQueue({ rateLimiter: new ItemExponentialFailureRateLimiter<string>(20, 1000) });
  q.addRateLimited('k');
  assert.equal(q.numRequeues('k'), 1);
  assert.equal(q.len(), 0, 'not ready yet');
  const t0 = performance.now();
  assert.equal((await q.get()).item, 'k');
  assert.ok(performance.now() - t0 >= 15);
  q.done('k');
  q.addRateLimited('k');
  assert.equal(q.numRequeues('k'), 2);
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
  q.shutDown();
});

test('runWorkers: success forgets, failure requeues with back-off, one key never runs twice at once', async () => {
  const q = new WorkQueue({ rateLimiter: fastLimiter() });
  const attempts = new Map<string, number>();
  const active = new Set<string>();
  let overlap = false;
  const errors: string[] = [];
  const done = new Set<string>();
  let finish!: () => void;
  const allDone = new Promise<void>((r) => (finish = r));
  const workers = runWorkers(
    q,
    4,
    async (key) => {
      if (active.has(key)) overlap = true;
      active.add(key);
      await sleep(2);
      active.delete(key);
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      if (key === 'flaky' && n < 3) throw new Error(`attempt ${n}`);
      done.add(key);
      if (done.size === 3) finish();
    },
    { onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`) },
  );
  q.add('a');
  q.add('flaky');
  q.add('b');
  q.add('a');
  // Re-add a key while it is being processed: it must run again, after, not alongside.
  await sleep(1);
  q.add('a');
  await allDone;
  await sleep(10);
  assert.equal(overlap, false);
  assert.equal(attempts.get('flaky'), 3);
  assert.deepEqual(errors, ['flaky: attempt 1', 'flaky: attempt 2']);
  assert.equal(q.numRequeues('flaky'), 0, 'forgotten after success');
  assert.ok((attempts.get('a') ?? 0) >= 1 && (attempts.get('a') ?? 0) <= 2);
  q.shutDown();
  await workers;
});

test('runWorkers: maxRetries gives up on a key', async () => {
  const q = new WorkQueue({ rateLimiter: fastLimiter() });
  let calls = 0;
  const workers = runWorkers(
    q,
    1,
    async () => {
      calls++;
      throw new Error('always');
    },
    { onError: () => {}, maxRetries: 2 },
  );
  q.add('k');
  await sleep(60);
  assert.equal(calls, 3, 'first try plus two retries');
  assert.equal(q.numRequeues('k'), 0);
  q.shutDown();
  await workers;
});
