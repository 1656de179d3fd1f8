// The garbage collector against an in-process API server: background,
// foreground and orphan propagation, dangling references next to a live
// owner, cluster-scoped owners, and a Deployment's cascade.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import { GarbageCollector, metadataOnly } from './garbage-collector.js';
import { ReplicaSetController } from './replicaset.js';
import { DeploymentController } from './deployment.js';
import { listPods, startTestApi, waitFor, sleep } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let gc: GarbageCollector;
let rsc: ReplicaSetController;
let dc: DeploymentController;
let runs: Promise<void>[];

before(async () => {
  ({ api, client, admin } = await startTestApi());
  for (const ns of ['bg', 'fg', 'orphan', 'partial', 'cluster', 'cascade', 'fgchain']) await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
  factory = new SharedInformerFactory(client);
  rsc = new ReplicaSetController(client, factory);
  dc = new DeploymentController(client, factory);
  gc = new GarbageCollector(client, { resources: () => api.registry.all(), factory });
  factory.start();
  runs = [rsc.run(2), dc.run(2), gc.run()];
});

after(async () => {
  await gc.stop();
  await dc.stop();
  await rsc.stop();
  await Promise.all(runs);
  factory.stop();
  await api.stop();
});

const cmPath = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;

function ref(owner: any, extra: Record<string, unknown> = {}) {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, ...extra };
}

async function cm(ns: string, name: string, owners: any[] = [], extra: any = {}): Promise<any> {
  const obj = await admin.create(cmPath(ns), { metadata: { name, ownerReferences: owners.length ? owners : undefined, ...extra } });
  return { ...obj, apiVersion: 'v1', kind: 'ConfigMap' };
}

async function exists(path: string): Promise<any | undefined> {
  try {
    return await admin.get(path);
  } catch {
    return undefined;
  }
}

test('background: dependents of a deleted owner are deleted, recursively', async () => {
  const owner = await cm('bg', 'owner');
  const child = await cm('bg', 'child', [ref(owner)]);
  await cm('bg', 'grandchild', [ref(child)]);
  await cm('bg', 'unrelated');
  await sleep(50);
  assert.ok(await exists(`${cmPath('bg')}/child`), 'an owned object with its owner present stays');
  await admin.delete(`${cmPath('bg')}/owner`, { propagationPolicy: 'Background' });
  await waitFor(async () => !(await exists(`${cmPath('bg')}/child`)), 'child collected');
  await waitFor(async () => !(await exists(`${cmPath('bg')}/grandchild`)), 'grandchild collected');
  assert.ok(await exists(`${cmPath('bg')}/unrelated`));
});

test('a dependent whose owner never existed is collected; one with a live owner left keeps it', async () => {
  const alive = await cm('partial', 'alive');
  const ghost = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000001' };
  await cm('partial', 'orphaned', [ghost]);
  await cm('partial', 'two-owners', [ghost, ref(alive)]);
  await waitFor(async () => !(await exists(`${cmPath('partial')}/orphaned`)), 'dangling-only dependent collected');
  const kept = await waitFor(async () => {
    const o = await exists(`${cmPath('partial')}/two-owners`);
    return o && o.metadata.ownerReferences?.length === 1 ? o : undefined;
  }, 'dangling reference removed');
  assert.equal(kept.metadata.ownerReferences[0].uid, alive.metadata.uid);
});

test('foreground: blocking dependents go first, then the owner', async () => {
  const owner = await cm('fg', 'owner');
  await cm('fg', 'blocker', [ref(owner, { blockOwnerDeletion: true })], { finalizers: ['example.com/hold'] });
  await cm('fg', 'nonblocking', [ref(owner)]);
  const r = await admin.delete(`${cmPath('fg')}/owner`, { propagationPolicy: 'Foreground' });
  assert.deepEqual(r.metadata.finalizers, ['foregroundDeletion']);
  // Both dependents are deleted; the blocker is held by its own finalizer.
  await waitFor(async () => !(await exists(`${cmPath('fg')}/nonblocking`)), 'non-blocking dependent deleted');
  const blocker = await waitFor(async () => {
    const b = await exists(`${cmPath('fg')}/blocker`);
    return b?.metadata.deletionTimestamp ? b : undefined;
  }, 'blocker being deleted');
  assert.ok(blocker);
  await sleep(100);
  const held = await exists(`${cmPath('fg')}/owner`);
  assert.ok(held, 'the owner waits for its blocking dependent');
  assert.deepEqual(held.metadata.finalizers, ['foregroundDeletion']);
  // The blocker's finalizer goes: then the owner follows.
  await admin.patch(`${cmPath('fg')}/blocker`, { metadata: { finalizers: null } });
  await waitFor(async () => !(await exists(`${cmPath('fg')}/owner`)), 'owner deleted after its dependents');
});

test('foreground through a chain: a dependent with dependents is deleted in the foreground too', async () => {
  const top = await cm('fgchain', 'top');
  const mid = await cm('fgchain', 'mid', [ref(top, { blockOwnerDeletion: true })]);
  await cm('fgchain', 'leaf', [ref(mid, { blockOwnerDeletion: true })], { finalizers: ['example.com/hold'] });
  await admin.delete(`${cmPath('fgchain')}/top`, { propagationPolicy: 'Foreground' });
  const m = await waitFor(async () => {
    const x = await exists(`${cmPath('fgchain')}/mid`);
    return x?.metadata.deletionTimestamp ? x : undefined;
  }, 'mid in foreground deletion');
  assert.ok(m.metadata.finalizers.includes('foregroundDeletion'));
  await sleep(100);
  assert.ok(await exists(`${cmPath('fgchain')}/top`));
  await admin.patch(`${cmPath('fgchain')}/leaf`, { metadata: { finalizers: null } });
  await waitFor(async () => !(await exists(`${cmPath('fgchain')}/top`)), 'whole chain deleted');
  assert.equal(await exists(`${cmPath('fgchain')}/mid`), undefined);
  assert.equal(await exists(`${cmPath('fgchain')}/leaf`), undefined);
});

test('orphan: dependents lose the reference and stay, then the owner goes', async () => {
  const owner = await cm('orphan', 'owner');
  const other = await cm('orphan', 'other-owner');
  await cm('orphan', 'dep1', [ref(owner, { blockOwnerDeletion: true })]);
  await cm('orphan', 'dep2', [ref(owner), ref(other)]);
  const r = await admin.delete(`${cmPath('orphan')}/owner`, { propagationPolicy: 'Orphan' });
  assert.deepEqual(r.metadata.finalizers, ['orphan']);
  await waitFor(async () => !(await exists(`${cmPath('orphan')}/owner`)), 'owner deleted');
  const dep1 = await exists(`${cmPath('orphan')}/dep1`);
  const dep2 = await exists(`${cmPath('orphan')}/dep2`);
  assert.ok(dep1 && dep2);
  assert.equal((dep1.metadata.ownerReferences ?? []).length, 0);
  assert.deepEqual(
    dep2.metadata.ownerReferences.map((r: any) => r.uid),
    [other.metadata.uid],
  );
  await sleep(100);
  assert.ok(await exists(`${cmPath('orphan')}/dep1`), 'orphans are not collected');
});

test('a cluster-scoped owner of namespaced dependents', async () => {
  const role = await admin.create('/apis/rbac.authorization.k8s.io/v1/clusterroles', { metadata: { name: 'gc-owner' }, rules: [] });
  await cm('cluster', 'dep', [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'gc-owner', uid: role.metadata.uid }]);
  await sleep(50);
  assert.ok(await exists(`${cmPath('cluster')}/dep`));
  await admin.delete('/apis/rbac.authorization.k8s.io/v1/clusterroles/gc-owner');
  await waitFor(async () => !(await exists(`${cmPath('cluster')}/dep`)), 'dependent of the cluster-scoped owner collected');
});

test('deleting a Deployment cascades to its ReplicaSets and pods', async () => {
  await admin.create('/apis/apps/v1/namespaces/cascade/deployments', {
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  });
  await waitFor(async () => (await listPods(admin, 'cascade')).length === 2, 'pods');
  await admin.delete('/apis/apps/v1/namespaces/cascade/deployments/web', { propagationPolicy: 'Background' });
  await waitFor(async () => (await admin.get('/apis/apps/v1/namespaces/cascade/replicasets')).items.length === 0, 'ReplicaSets collected');
  await waitFor(async () => (await admin.get('/api/v1/namespaces/cascade/pods')).items.length === 0, 'pods collected');

  // Foreground: the Deployment stays until its ReplicaSet and pods are gone.
  await admin.create('/apis/apps/v1/namespaces/cascade/deployments', {
    metadata: { name: 'fg' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'fg' } }, template: { metadata: { labels: { app: 'fg' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  });
  await waitFor(async () => (await listPods(admin, 'cascade')).length === 2, 'pods');
  await admin.delete('/apis/apps/v1/namespaces/cascade/deployments/fg', { propagationPolicy: 'Foreground' });
  await waitFor(async () => !(await exists('/apis/apps/v1/namespaces/cascade/deployments/fg')), 'Deployment deleted last');
  assert.equal((await admin.get('/apis/apps/v1/namespaces/cascade/replicasets')).items.length, 0);
  assert.equal((await admin.get('/api/v1/namespaces/cascade/pods')).items.length, 0);
});

test('metadataOnly keeps what the graph needs', () => {
  const o = metadataOnly({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n', uid: 'u', resourceVersion: '3', labels: { a: 'b' }, finalizers: ['f'] }, data: { k: 'v' } });
  assert.deepEqual(o, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n', uid: 'u', resourceVersion: '3', finalizers: ['f'] } });
});
