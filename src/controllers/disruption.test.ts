// The disruption controller against an in-process API server: PDB status
// for integer and percentage minAvailable and maxUnavailable, expectedPods
// from the owning ReplicaSet or Deployment, pod changes, and the pure
// budget arithmetic.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import { DisruptionController, activeDisruptedPods, computeExpected, computeStatus } from './disruption.js';
import { NO_EVENTS } from './events.js';
import { markPodReady, startTestApi, waitFor } from './testing.js';
import { newControllerRef } from './util.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let dc: DisruptionController;
let running: Promise<void>;

const NS = 'pdb';
const pdbPath = `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`;

before(async () => {
  ({ api, client, admin } = await startTestApi());
  await admin.create('/api/v1/namespaces', { metadata: { name: NS } });
  factory = new SharedInformerFactory(client);
  dc = new DisruptionController(client, factory, { recorder: NO_EVENTS });
  factory.start();
  running = dc.run(2);
});

after(async () => {
  await dc.stop();
  await running;
  factory.stop();
  await api.stop();
});

const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

async function createPods(prefix: string, n: number, labels: Record<string, string>, owner?: any): Promise<any[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const metadata: any = { name: `${prefix}-${i}`, labels };
    if (owner) metadata.ownerReferences = [owner];
    const pod = await admin.create(`/api/v1/namespaces/${NS}/pods`, { metadata, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    out.push(await markPodReady(admin, pod));
  }
  return out;
}

async function createPDB(name: string, app: string, spec: any): Promise<void> {
  await admin.create(pdbPath, { metadata: { name }, spec: { selector: { matchLabels: { app } }, ...spec } });
}

async function statusOf(name: string, want: Record<string, number>): Promise<any> {
  return waitFor(async () => {
    const pdb = await admin.get(`${pdbPath}/${name}`);
    const s = pdb.status ?? {};
    // Only a status the controller wrote (zero counts are also what an unwritten status reads as).
    if (s.observedGeneration === undefined) return undefined;
    return Object.entries(want).every(([k, v]) => (s[k] ?? 0) === v) ? pdb : undefined;
  }, `${name} status ${JSON.stringify(want)}`);
}

const condition = (pdb: any) => pdb.status.conditions.find((c: any) => c.type === 'DisruptionAllowed');

test('integer minAvailable over bare pods: counts, condition, and a pod going away', async () => {
  await createPods('a', 3, { app: 'a' });
  await createPDB('min-int', 'a', { minAvailable: 2 });
  const pdb = await statusOf('min-int', { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1 });
  assert.equal(pdb.status.observedGeneration, pdb.metadata.generation);
  assert.equal(condition(pdb).status, 'True');
  assert.equal(condition(pdb).reason, 'SufficientPods');

  await admin.delete(`/api/v1/namespaces/${NS}/pods/a-0`, { gracePeriodSeconds: 0 });
  const after = await statusOf('min-int', { currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, disruptionsAllowed: 0 });
  assert.equal(condition(after).status, 'False');
  assert.equal(condition(after).reason, 'InsufficientPods');
});

test('integer maxUnavailable takes expectedPods from the owning ReplicaSet', async () => {
  const rs = await admin.create(`/apis/apps/v1/namespaces/${NS}/replicasets`, {
    metadata: { name: 'b' },
    spec: { replicas: 4, selector: { matchLabels: { app: 'b' } }, template: template({ app: 'b' }) },
  });
  await createPods('b', 3, { app: 'b' }, newControllerRef(rs, 'apps/v1', 'ReplicaSet'));
  await createPDB('max-int', 'b', { maxUnavailable: 1 });
  const pdb = await statusOf('max-int', { currentHealthy: 3, desiredHealthy: 3, expectedPods: 4, disruptionsAllowed: 0 });
  assert.equal(condition(pdb).reason, 'InsufficientPods');
  // The fourth pod arrives and becomes ready: one disruption allowed.
  await createPods('b4', 1, { app: 'b' }, newControllerRef(rs, 'apps/v1', 'ReplicaSet'));
  const later = await statusOf('max-int', { currentHealthy: 4, desiredHealthy: 3, expectedPods: 4, disruptionsAllowed: 1 });
  assert.equal(condition(later).reason, 'SufficientPods');
});

test('percentage minAvailable takes expectedPods from the Deployment above the ReplicaSet', async () => {
  const d = await admin.create(`/apis/apps/v1/namespaces/${NS}/deployments`, {
    metadata: { name: 'c' },
    spec: { replicas: 5, selector: { matchLabels: { app: 'c' } }, template: template({ app: 'c' }) },
  });
  const rs = await admin.create(`/apis/apps/v1/namespaces/${NS}/replicasets`, {
    metadata: { name: 'c-123', ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')] },
    spec: { replicas: 2, selector: { matchLabels: { app: 'c' } }, template: template({ app: 'c' }) },
  });
  await createPods('c', 4, { app: 'c' }, newControllerRef(rs, 'apps/v1', 'ReplicaSet'));
  await createPDB('min-pct', 'c', { minAvailable: '50%' });
  // ceil(50% of 5) = 3.
  await statusOf('min-pct', { currentHealthy: 4, desiredHealthy: 3, expectedPods: 5, disruptionsAllowed: 1 });
});

test('percentage maxUnavailable over bare pods counts the pods; not-ready pods are not healthy', async () => {
  const pods = await createPods('e', 4, { app: 'e' });
  // One pod not ready.
  const p = await admin.get(`/api/v1/namespaces/${NS}/pods/${pods[0].metadata.name}`);
  const conditions = p.status.conditions.map((c: any) => (c.type === 'Ready' ? { ...c, status: 'False' } : c));
  await admin.update(`/api/v1/namespaces/${NS}/pods/${p.metadata.name}/status`, { ...p, status: { ...p.status, conditions } });
  await createPDB('max-pct', 'e', { maxUnavailable: '25%' });
  // expected 4, ceil(25% of 4) = 1 unavailable, desired 3, healthy 3.
  await statusOf('max-pct', { currentHealthy: 3, desiredHealthy: 3, expectedPods: 4, disruptionsAllowed: 0 });
});

test('a PDB selecting nothing allows no disruptions', async () => {
  await createPDB('empty', 'nothing-here', { minAvailable: 0 });
  const pdb = await statusOf('empty', { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 });
  assert.equal(condition(pdb).reason, 'InsufficientPods');
});

test('pure: computeExpected, disruptedPods expiry and the status', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const ready = (name: string, owner?: string): any => ({
    metadata: { name, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] } : {}) },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const pods = [ready('p1', 'rs'), ready('p2', 'rs'), ready('p3')];
  const scale = (p: any) => (p.metadata.ownerReferences ? { uid: 'rs', replicas: 5 } : undefined);
  const pdb = (spec: any, status?: any): any => ({ metadata: { generation: 2 }, spec, status });
  assert.deepEqual(computeExpected(pdb({ maxUnavailable: '10%' }), pods, scale), { expectedPods: 6, desiredHealthy: 5, unmanaged: ['p3'] });
  assert.deepEqual(computeExpected(pdb({ minAvailable: 1 }), pods, scale), { expectedPods: 3, desiredHealthy: 1, unmanaged: [] });
  assert.throws(() => computeExpected(pdb({ minAvailable: 'abc' }), pods, scale));

  const disrupted = pdb({ minAvailable: 1 }, { disruptedPods: { p1: '2026-01-01T00:09:00Z', p2: '2026-01-01T00:00:00Z', gone: '2026-01-01T00:09:30Z' } });
  const { disruptedPods, recheckMs } = activeDisruptedPods(disrupted, pods, now);
  assert.deepEqual(disruptedPods, { p1: '2026-01-01T00:09:00Z' });
  assert.equal(recheckMs, Date.parse('2026-01-01T00:11:00Z'));
  const s = computeStatus(disrupted, pods, disruptedPods, 3, 1, now);
  assert.equal(s.currentHealthy, 2);
  assert.equal(s.disruptionsAllowed, 1);
  assert.equal(s.observedGeneration, 2);
  assert.deepEqual(s.disruptedPods, { p1: '2026-01-01T00:09:00Z' });
  assert.equal(s.conditions[0].reason, 'SufficientPods');
  // Idempotent: the same inputs give the same status, transition time kept.
  assert.deepEqual(computeStatus({ ...disrupted, status: s }, pods, disruptedPods, 3, 1, now + 60_000), s);
});
