import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedHeap, SchedulingQueue, type QueueOptions } from './queue.js';
import { makePod } from './test-helpers.js';

function setup(opts: Partial<QueueOptions> = {}) {
  let now = 1_000_000;
  const q = new SchedulingQueue({ priorityOf: (p) => p?.spec?.priority ?? 0, flushIntervalMs: 0, now: () => now, ...opts });
  return { q, advance: (ms: number) => (now += ms) };
}

const names = (xs: Array<{ pod: any } | undefined>) => xs.map((x) => x?.pod.metadata.name);

test('activeQ: higher priority first, then arrival order', () => {
  const { q, advance } = setup();
  q.add(makePod('low-1', { priority: 1 }));
  advance(1);
  q.add(makePod('high', { priority: 100 }));
  advance(1);
  q.add(makePod('low-2', { priority: 1 }));
  advance(1);
  q.add(makePod('mid', { priority: 50 }));
  assert.deepEqual(names([q.tryPop(), q.tryPop(), q.tryPop(), q.tryPop()]), ['high', 'mid', 'low-1', 'low-2']);
  assert.equal(q.tryPop(), undefined);
  q.close();
});

test('pop waits for a pod and resolves undefined once closed', async () => {
  const { q } = setup();
  const waiting = q.pop();
  q.add(makePod('p'));
  assert.equal((await waiting)?.pod.metadata.name, 'p');
  const pending = q.pop();
  q.close();
  assert.equal(await pending, undefined);
});

test('back-off: 1 s doubling per attempt up to 10 s', () => {
  const { q } = setup();
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration(a)), [1000, 2000, 4000, 8000, 10000, 10000]);
  q.close();
});

test('a failed attempt backs off before returning to activeQ', () => {
  const { q, advance } = setup();
  q.add(makePod('p'));
  const p = q.tryPop()!;
  assert.equal(q.locate(p.key), 'inflight');
  q.addBackoff(p);
  assert.equal(q.locate(p.key), 'backoff');
  advance(999);
  assert.equal(q.flushBackoffCompleted(), 0);
  advance(1);
  assert.equal(q.flushBackoffCompleted(), 1);
  assert.equal(q.locate(p.key), 'active');
  const again = q.tryPop()!;
  assert.equal(again.attempts, 2);
  q.addBackoff(again);
  advance(1999);
  assert.equal(q.flushBackoffCompleted(), 0, 'second failure: 2 s');
  advance(1);
  assert.equal(q.flushBackoffCompleted(), 1);
  q.close();
});

test('the back-off timer moves pods without polling', async () => {
  const q = new SchedulingQueue({ priorityOf: () => 0, initialBackoffMs: 20, flushIntervalMs: 0 });
  q.add(makePod('p'));
  q.addBackoff(q.tryPop()!);
  const t0 = Date.now();
  const next = await q.pop();
  assert.equal(next?.pod.metadata.name, 'p');
  assert.ok(Date.now() - t0 >= 15);
  q.close();
});

test('unschedulable pods move on events that could help the plugins that rejected them', () => {
  const { q, advance } = setup();
  q.add(makePod('cpu'));
  q.add(makePod('taint'));
  q.add(makePod('affinity'));
  const [a, b, c] = [q.tryPop()!, q.tryPop()!, q.tryPop()!];
  q.addUnschedulable(a, ['NodeResourcesFit']);
  q.addUnschedulable(b, ['TaintToleration']);
  q.addUnschedulable(c, ['NodeAffinity']);
  assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 3, inflight: 0 });

  // A node heartbeat that changed nothing relevant moves nothing.
  assert.equal(q.moveAllToActiveOrBackoff({ kind: 'NodeUpdate', change: { allocatable: false, labels: false, taints: false, unschedulable: false, ready: false } }), 0);
  // An assigned pod going away frees resources: only the cpu pod moves (still backing off).
  assert.equal(q.moveAllToActiveOrBackoff({ kind: 'AssignedPodDelete' }), 1);
  assert.equal(q.locate(a.key), 'backoff');
  // A node's taints changed: the taint pod; its back-off is over by now.
  advance(5000);
  assert.equal(q.moveAllToActiveOrBackoff({ kind: 'NodeUpdate', change: { allocatable: false, labels: false, taints: true, unschedulable: false, ready: false } }), 1);
  assert.equal(q.locate(b.key), 'active');
  // A new node could help anyone.
  assert.equal(q.moveAllToActiveOrBackoff({ kind: 'NodeAdd' }), 1);
  assert.equal(q.locate(c.key), 'active');
  q.close();
});

test('an event during an attempt sends the failed pod to back-off, not unschedulable', () => {
  const { q } = setup();
  q.add(makePod('p'));
  q.add(makePod('other'));
  const p = q.tryPop()!;
  q.moveAllToActiveOrBackoff({ kind: 'NodeAdd' });
  q.addUnschedulable(p, ['NodeResourcesFit']);
  assert.equal(q.locate(p.key), 'backoff');
  const o = q.tryPop()!;
  q.moveAllToActiveOrBackoff({ kind: 'AssignedPodAdd' });
  q.addUnschedulable(o, ['NodeResourcesFit']);
  assert.equal(q.locate(o.key), 'unschedulable', 'no event that could free resources since this attempt began');
  q.close();
});

test('the periodic flush moves pods that waited too long', () => {
  const { q, advance } = setup({ maxUnschedulableMs: 60_000 });
  q.add(makePod('p'));
  q.addUnschedulable(q.tryPop()!, ['NodeAffinity']);
  advance(30_000);
  assert.equal(q.flushUnschedulableLeftover(), 0);
  advance(30_000);
  assert.equal(q.flushUnschedulableLeftover(), 1);
  assert.equal(q.locate(makePod('p').metadata.uid), undefined);
  assert.equal(q.counts().active, 1);
  q.close();
});

test('updates: status-only changes keep an unschedulable pod parked, spec or label changes requeue it', () => {
  const { q, advance } = setup();
  const pod = makePod('p', { uid: 'u1' });
  q.add(pod);
  q.addUnschedulable(q.tryPop()!, ['NodeAffinity']);
  q.update({ ...pod, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } });
  assert.equal(q.locate('u1'), 'unschedulable');
  advance(2000);
  q.update({ ...pod, metadata: { ...pod.metadata, labels: { app: 'x' } } });
  assert.equal(q.locate('u1'), 'active');
  q.delete('u1');
  assert.equal(q.locate('u1'), undefined);
  assert.equal(q.size, 0);
  q.close();
});

test('a pod deleted during its attempt is not re-queued', () => {
  const { q } = setup();
  const pod = makePod('p', { uid: 'u2' });
  q.add(pod);
  const p = q.tryPop()!;
  q.delete(pod);
  q.addUnschedulable(p, []);
  q.addBackoff(p);
  assert.equal(q.size, 0);
  q.close();
});

test('priority changes re-order a waiting pod', () => {
  const { q, advance } = setup();
  const a = makePod('a', { uid: 'a', priority: 1 });
  q.add(a);
  advance(1);
  q.add(makePod('b', { uid: 'b', priority: 5 }));
  q.update({ ...a, spec: { ...a.spec, priority: 10 } });
  assert.equal(q.tryPop()?.key, 'a');
  q.close();
});

test('the nominator follows status.nominatedNodeName and keeps in-memory nominations', () => {
  const { q } = setup();
  const pod = makePod('p', { uid: 'n1', priority: 7 });
  q.add({ ...pod, status: { nominatedNodeName: 'node-a' } });
  assert.deepEqual(q.nominator.forNode('node-a')?.map((n) => [n.pod.key, n.priority]), [['n1', 7]]);
  q.update({ ...pod, status: {} });
  assert.equal(q.nominator.forNode('node-a'), undefined, 'cleared in status');
  q.delete('n1');
  const other = makePod('o', { uid: 'n2' });
  q.add(other);
  q.nominator.set(q.tryPop()!.podInfo, 0, 'node-b');
  q.update({ ...other, status: { conditions: [] } });
  assert.equal(q.nominator.nodeFor('n2'), 'node-b', 'an update not yet carrying the nomination keeps it');
  q.delete('n2');
  assert.equal(q.nominator.nodeFor('n2'), undefined);
  q.close();
});

test('KeyedHeap: removal and re-positioning by key keep heap order', () => {
  const h = new KeyedHeap<{ key: string; v: number }>((a, b) => a.v < b.v);
  const vals = [5, 3, 8, 1, 9, 2, 7, 4, 6, 0];
  vals.forEach((v) => h.push({ key: `k${v}`, v }));
  h.delete('k0');
  h.delete('k5');
  h.push({ key: 'k9', v: -1 });
  const out: number[] = [];
  for (let x = h.pop(); x; x = h.pop()) out.push(x.v);
  assert.deepEqual(out, [-1, 1, 2, 3, 4, 6, 7, 8]);
});
