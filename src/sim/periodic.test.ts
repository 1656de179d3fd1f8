// PeriodicScheduler: one timer for many keys, phases kept, bounded concurrency, clean stop.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeriodicScheduler } from './periodic.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('runs every key about once per interval, never more than `concurrency` at once', async () => {
  const runs = new Map<string, number[]>();
  let inFlight = 0;
  let maxInFlight = 0;
  const s = new PeriodicScheduler({
    intervalMs: 100,
    concurrency: 3,
    run: async (key) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      (runs.get(key) ?? runs.set(key, []).get(key)!).push(performance.now());
      await sleep(2);
      inFlight--;
    },
  });
  const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
  keys.forEach((k, i) => s.add(k, (i / keys.length) * 100));
  await sleep(450);
  await s.stop();
  assert.ok(maxInFlight <= 3, `max in flight ${maxInFlight}`);
  for (const k of keys) {
    const n = runs.get(k)?.length ?? 0;
    assert.ok(n >= 3 && n <= 5, `${k} ran ${n} times`);
  }
});

test('phases given at add are kept: runs are spread over the interval', async () => {
  const at: number[] = [];
  const s = new PeriodicScheduler({ intervalMs: 200, jitter: 0, concurrency: 100, run: async () => void at.push(performance.now()) });
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) s.add(`k${i}`, i * 20);
  await sleep(190);
  await s.stop();
  assert.equal(at.length, 10);
  // One run per 20 ms slot, not a burst.
  const slots = new Set(at.map((t) => Math.round((t - t0) / 20)));
  assert.ok(slots.size >= 8, `runs fell in ${slots.size} distinct 20 ms slots`);
});

test('remove and errors', async () => {
  const ran: string[] = [];
  const errors: string[] = [];
  const s = new PeriodicScheduler({
    intervalMs: 20,
    run: async (key) => {
      ran.push(key);
      if (key === 'bad') throw new Error('boom');
    },
    onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`),
  });
  s.add('a', 0);
  s.add('bad', 0);
  s.add('gone', 0);
  s.remove('gone');
  assert.ok(!s.has('gone'));
  await sleep(70);
  await s.stop();
  assert.ok(!ran.includes('gone'));
  assert.ok(ran.filter((k) => k === 'bad').length >= 2, 'a failing key keeps its schedule');
  assert.equal(errors[0], 'bad: boom');
});

test('stop waits for runs in flight and leaves no timer', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const baseline = timers();
  let finished = false;
  const s = new PeriodicScheduler({
    intervalMs: 10,
    run: async () => {
      await sleep(30);
      finished = true;
    },
  });
  s.add('x', 0);
  s.add('y', 1000);
  await sleep(5);
  assert.equal(s.running, 1);
  await s.stop();
  assert.ok(finished, 'the run in flight completed before stop resolved');
  assert.equal(timers(), baseline);
  s.add('z', 0);
  assert.equal(s.size, 0, 'no adds after stop');
});
