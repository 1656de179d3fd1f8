// LimitRanger and ResourceQuota admission through the API pipeline, without
// the quota controller: status.used is charged at admission, concurrent
// creates never overrun a quota, dry runs charge nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer } from '../api-server.js';
import { MemoryStore } from '../../storage/memory.js';

let api: ApiServer;
const ADMIN = { name: 'admin', groups: ['system:masters'] };

before(async () => {
  api = new ApiServer({ store: new MemoryStore() });
  await api.start();
});
after(async () => {
  await api.stop();
});

async function call(method: string, path: string, body?: unknown, query = '') {
  const res = await api.handle({ method, path, query: new URLSearchParams(query), headers: { contentType: 'application/json' }, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)), user: ADMIN });
  assert.ok('body' in res);
  return { status: res.status, body: JSON.parse(res.body) };
}
const pod = (name: string, resources?: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }] } });
const QUOTAS = '/api/v1/namespaces/default/resourcequotas';
const PODS = '/api/v1/namespaces/default/pods';

/** A quota whose status the (absent) controller would have written. */
async function quotaWithStatus(name: string, hard: Record<string, string>, used: Record<string, string>) {
  const q = await call('POST', QUOTAS, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec: { hard } });
  assert.equal(q.status, 201);
  const s = await call('PUT', `${QUOTAS}/${name}/status`, { ...q.body, status: { hard, used } });
  assert.equal(s.status, 200);
}

test('a quota without status refuses with status unknown', async () => {
  await call('POST', QUOTAS, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'fresh' }, spec: { hard: { secrets: '9' } } });
  // status.hard is empty until the controller runs: the quota does not apply yet.
  assert.equal((await call('POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's0' } })).status, 201);
  await call('PUT', `${QUOTAS}/fresh/status`, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'fresh' }, spec: { hard: { secrets: '9' } }, status: { hard: { secrets: '9' } } });
  const r = await call('POST', '/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' } });
  assert.equal(r.status, 403);
  assert.equal(r.body.message, 'secrets "s1" is forbidden: status unknown for quota: fresh, resources: secrets');
  assert.equal((await call('DELETE', `${QUOTAS}/fresh`)).status, 200);
});

test('concurrent creates are charged one by one and stop at the limit; dry runs charge nothing', async () => {
  await quotaWithStatus('pods', { pods: '3' }, { pods: '0' });
  const dry = await call('POST', PODS, pod('dry'), 'dryRun=All');
  assert.equal(dry.status, 201);
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => call('POST', PODS, pod(`p${i}`))));
  const created = results.filter((r) => r.status === 201).length;
  const refused = results.filter((r) => r.status === 403);
  assert.equal(created, 3);
  assert.equal(refused.length, 5);
  assert.match(refused[0].body.message, /^pods "p\d" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=3, limited: pods=3$/);
  assert.equal(refused[0].body.reason, 'Forbidden');
  const q = await call('GET', `${QUOTAS}/pods`);
  assert.deepEqual(q.body.status.used, { pods: '3' });
  for (const r of results) if (r.status === 201) await call('DELETE', `${PODS}/${r.body.metadata.name}`);
  await call('DELETE', `${QUOTAS}/pods`);
});

test('LimitRanger defaults are charged; its refusal comes before quota', async () => {
  await call('POST', '/api/v1/namespaces/default/limitranges', {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'lr' },
    spec: { limits: [{ type: 'Container', default: { memory: '300Mi' }, max: { memory: '1Gi' } }] },
  });
  await quotaWithStatus('mem', { 'limits.memory': '1Gi', 'requests.memory': '1Gi' }, { 'limits.memory': '0', 'requests.memory': '0' });
  const p = await call('POST', PODS, pod('d'));
  assert.equal(p.status, 201);
  // LimitRange defaulting copies default to defaultRequest, so both are set.
  assert.deepEqual(p.body.spec.containers[0].resources, { limits: { memory: '300Mi' }, requests: { memory: '300Mi' } });
  assert.deepEqual((await call('GET', `${QUOTAS}/mem`)).body.status.used, { 'limits.memory': '300Mi', 'requests.memory': '300Mi' });
  const big = await call('POST', PODS, pod('big', { limits: { memory: '2Gi' }, requests: { memory: '2Gi' } }));
  assert.equal(big.status, 403);
  assert.equal(big.body.message, 'pods "big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi');
  const over = await call('POST', PODS, pod('over', { limits: { memory: '800Mi' } }));
  assert.equal(over.body.message, 'pods "over" is forbidden: exceeded quota: mem, requested: limits.memory=800Mi,requests.memory=800Mi, used: limits.memory=300Mi,requests.memory=300Mi, limited: limits.memory=1Gi,requests.memory=1Gi');
});

test('DefaultStorageClass: a claim without class gets the default; "" and explicit classes stay', async () => {
  const SC = '/apis/storage.k8s.io/v1/storageclasses';
  const PVCS = '/api/v1/namespaces/default/persistentvolumeclaims';
  const claim = (name: string, cls?: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(cls !== undefined ? { storageClassName: cls } : {}) } });
  assert.equal((await call('POST', PVCS, claim('none'))).body.spec.storageClassName, undefined, 'no default class yet');
  for (const name of ['zeta', 'alpha']) {
    const r = await call('POST', SC, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'x' });
    assert.equal(r.status, 201);
  }
  await call('POST', SC, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'plain' }, provisioner: 'x' });
  // Same creation second: the name breaks the tie, as upstream.
  assert.equal((await call('POST', PVCS, claim('c1'))).body.spec.storageClassName, 'alpha');
  assert.equal((await call('POST', PVCS, claim('c2', ''))).body.spec.storageClassName, '');
  assert.equal((await call('POST', PVCS, claim('c3', 'plain'))).body.spec.storageClassName, 'plain');
});
