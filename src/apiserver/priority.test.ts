// Priority admission: pods get spec.priority from their PriorityClass, or
// the global default; unknown classes are refused.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer } from './api-server.js';
import { MemoryStore } from '../storage/memory.js';

let api: ApiServer;
const ADMIN = { name: 'admin', groups: ['system:masters'] };

before(async () => {
  api = new ApiServer({ store: new MemoryStore() });
  await api.start();
});
after(async () => {
  await api.stop();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await api.handle({ method, path, query: new URLSearchParams(), headers: { contentType: 'application/json' }, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)), user: ADMIN });
  assert.ok('body' in res);
  return { status: res.status, body: JSON.parse(res.body) };
}
const pod = (name: string, spec: object = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });
const PODS = '/api/v1/namespaces/default/pods';

test('system PriorityClasses exist; pods get their class value', async () => {
  const pcs = (await call('GET', '/apis/scheduling.k8s.io/v1/priorityclasses')).body.items.map((p: any) => [p.metadata.name, p.value]);
  assert.deepEqual(pcs, [['system-cluster-critical', 2000000000], ['system-node-critical', 2000001000]]);
  const p = await call('POST', PODS, pod('crit', { priorityClassName: 'system-cluster-critical' }));
  assert.equal(p.status, 201);
  assert.equal(p.body.spec.priority, 2000000000);
  assert.equal(p.body.spec.preemptionPolicy, 'PreemptLowerPriority');
  assert.equal((await call('POST', PODS, pod('plain'))).body.spec.priority, 0);
});

test('the global default applies to pods without a class; unknown classes are 403', async () => {
  await call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'normal' }, value: 100, globalDefault: true });
  const p = await call('POST', PODS, pod('defaulted'));
  assert.equal(p.body.spec.priority, 100);
  assert.equal(p.body.spec.priorityClassName, 'normal');
  const bad = await call('POST', PODS, pod('nope', { priorityClassName: 'missing' }));
  assert.equal(bad.status, 403);
  assert.equal(bad.body.message, 'pods "nope" is forbidden: no PriorityClass with name missing was found');
});

test('DefaultTolerationSeconds: pods tolerate not-ready and unreachable nodes for 300 s', async () => {
  const p = (await call('POST', PODS, pod('tol'))).body;
  assert.deepEqual(p.spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  const own = (await call('POST', PODS, pod('own', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] }))).body;
  assert.deepEqual(
    own.spec.tolerations.map((t: any) => [t.key, t.tolerationSeconds]),
    [['node.kubernetes.io/unreachable', 5], ['node.kubernetes.io/not-ready', 300]],
  );
});
