import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resourceAverageValueReplicas, resourceUtilizationReplicas, type PodMetrics } from './hpa-replicas.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** A Running, Ready pod started `startedAgoMs` ago and Ready since then, requesting `cpu` (milli) and `mem`. */
function pod(name: string, o: { cpu?: number; mem?: string; phase?: string; ready?: 'True' | 'False' | null; startedAgoMs?: number; readyAgoMs?: number; deleting?: boolean } = {}): Pod {
  const started = NOW - (o.startedAgoMs ?? 10 * 60 * 1000);
  const readyAt = NOW - (o.readyAgoMs ?? o.startedAgoMs ?? 10 * 60 * 1000);
  const conditions = o.ready === null ? [] : [{ type: 'Ready', status: o.ready ?? 'True', lastTransitionTime: iso(readyAt) }];
  return {
    metadata: { name, namespace: 'ns', ...(o.deleting ? { deletionTimestamp: iso(NOW) } : {}) },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: `${o.cpu ?? 100}m`, memory: o.mem ?? '64Mi' } } }] },
    status: { phase: o.phase ?? 'Running', startTime: iso(started), conditions },
  } as Pod;
}

function metrics(values: Record<string, number>, timestamp = NOW): PodMetrics {
  return new Map(Object.entries(values).map(([k, v]) => [k, { value: v, timestamp, windowMs: 10_000 }]));
}

const opts = { now: NOW };

test('utilization: usage over requests, ceil(ratio x ready pods)', () => {
  const r = resourceUtilizationReplicas(1, 50, 'cpu', [pod('a')], metrics({ a: 200 }), opts);
  assert.deepEqual(r, { replicas: 4, utilization: 200, averageMilli: 200, timestamp: NOW });
  const down = resourceUtilizationReplicas(4, 50, 'cpu', ['a', 'b', 'c', 'd'].map((n) => pod(n)), metrics({ a: 20, b: 20, c: 20, d: 20 }), opts);
  assert.equal(down.replicas, 2);
  assert.equal(down.utilization, 20);
});

test('utilization within the 0.1 tolerance keeps the current count', () => {
  const pods = ['a', 'b'].map((n) => pod(n));
  assert.equal(resourceUtilizationReplicas(2, 50, 'cpu', pods, metrics({ a: 54, b: 54 }), opts).replicas, 2); // ratio 1.08
  assert.equal(resourceUtilizationReplicas(2, 50, 'cpu', pods, metrics({ a: 56, b: 56 }), opts).replicas, 3); // ratio 1.12
  assert.equal(resourceUtilizationReplicas(2, 50, 'cpu', pods, metrics({ a: 45, b: 45 }), opts).replicas, 2); // ratio 0.9
});

test('missing metrics: assumed at the request when scaling down, idle when scaling up', () => {
  const pods = ['a', 'b', 'c'].map((n) => pod(n));
  // Up: a, b at 100% of 50% target; c missing counts 0 -> (100+100+0)/300 = 66% -> 1.33 -> ceil(4) = 4.
  assert.equal(resourceUtilizationReplicas(3, 50, 'cpu', pods, metrics({ a: 100, b: 100 }), opts).replicas, 4);
  // Down: a, b at 10%; c missing counts 100% -> 40% of request / 50% target -> 0.8 -> ceil(2.4) = 3: no change.
  assert.equal(resourceUtilizationReplicas(3, 50, 'cpu', pods, metrics({ a: 10, b: 10 }), opts).replicas, 3);
  // Down, direction kept: a, b at 0 -> (0+0+100)/300 = 33% -> ceil(0.66 x 3) = 2.
  assert.equal(resourceUtilizationReplicas(3, 50, 'cpu', pods, metrics({ a: 0, b: 0 }), opts).replicas, 2);
});

test('unready pods: left out, and counted idle when scaling up', () => {
  // b became ready 5 s ago, inside its first metric window: unready for cpu.
  const pods = [pod('a'), pod('b', { startedAgoMs: 60_000, readyAgoMs: 5_000 })];
  // a at 200% alone would give 4 replicas; counting b idle: (200 + 0) / 200 = 100% -> ratio 2 -> 4.
  assert.equal(resourceUtilizationReplicas(2, 50, 'cpu', pods, metrics({ a: 200, b: 100 }), opts).replicas, 4);
  // a at 100% with b idle: 50%, exactly the target: no change.
  assert.equal(resourceUtilizationReplicas(2, 50, 'cpu', pods, metrics({ a: 100, b: 100 }), opts).replicas, 2);
  // b unready and a at target: ratio 1 with a alone, no scale-up with unready -> stays.
  assert.equal(resourceUtilizationReplicas(2, 50, 'cpu', pods, metrics({ a: 50, b: 100 }), opts).replicas, 2);
  // Pending pods count as unready; Failed and deleting pods are ignored.
  const more = [pod('a'), pod('p', { phase: 'Pending' }), pod('f', { phase: 'Failed' }), pod('d', { deleting: true })];
  assert.equal(resourceUtilizationReplicas(4, 50, 'cpu', more, metrics({ a: 25, f: 500, d: 500 }), opts).replicas, 1);
  // Past the initialization period, a pod that was Ready once is counted even when not Ready now.
  const old = [pod('a'), pod('b', { ready: 'False', readyAgoMs: 60_000 })];
  assert.equal(resourceUtilizationReplicas(2, 50, 'cpu', old, metrics({ a: 100, b: 100 }), opts).replicas, 4);
  // Memory has no readiness rule.
  const mem = [pod('a'), pod('b', { startedAgoMs: 60_000, readyAgoMs: 5_000 })];
  assert.equal(resourceUtilizationReplicas(2, 50, 'memory', mem, metrics({ a: 64 * 2 ** 20 * 1000, b: 64 * 2 ** 20 * 1000 }), opts).replicas, 4);
});

test('errors carry upstream texts', () => {
  assert.throws(() => resourceUtilizationReplicas(1, 50, 'cpu', [], metrics({}), opts), /no pods returned by selector while calculating replica count/);
  assert.throws(() => resourceUtilizationReplicas(1, 50, 'cpu', [pod('a', { ready: null })], metrics({ a: 1 }), opts), /did not receive metrics for targeted pods \(pods might be unready\)/);
  const noRequest = pod('a');
  delete (noRequest.spec!.containers[0].resources!.requests as any).cpu;
  assert.throws(() => resourceUtilizationReplicas(1, 50, 'cpu', [noRequest], metrics({ a: 1 }), opts), /missing request for cpu in container c of Pod a/);
});

test('container metrics count only the named container', () => {
  const p = pod('a');
  p.spec!.containers.push({ name: 'side', resources: { requests: { cpu: '900m' } } } as any);
  assert.equal(resourceUtilizationReplicas(1, 50, 'cpu', [p], metrics({ a: 100 }), opts, 'c').utilization, 100);
  assert.equal(resourceUtilizationReplicas(1, 50, 'cpu', [p], metrics({ a: 100 }), opts).utilization, 10);
});

test('average value: usage per pod over the target', () => {
  const mi = (n: number) => n * 2 ** 20 * 1000;
  const r = resourceAverageValueReplicas(1, mi(32), 'memory', [pod('a')], metrics({ a: mi(64) }), opts);
  assert.deepEqual(r, { replicas: 2, averageMilli: mi(64), timestamp: NOW });
  assert.equal(resourceAverageValueReplicas(2, mi(32), 'memory', [pod('a'), pod('b')], metrics({ a: mi(33), b: mi(34) }), opts).replicas, 2);
  // Missing pod at the target while scaling down: (16 + 32) / 2 = 24 -> 0.75 -> ceil(1.5) = 2.
  assert.equal(resourceAverageValueReplicas(2, mi(32), 'memory', [pod('a'), pod('b')], metrics({ a: mi(16) }), opts).replicas, 2);
});
