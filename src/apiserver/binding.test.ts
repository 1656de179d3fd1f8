// pods/binding and the legacy bindings resource: how a pod gets its node.

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

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const binding = (name: string, node: string) => ({ apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } });

test('binding sets spec.nodeName and PodScheduled, once', async () => {
  assert.equal((await call('POST', '/api/v1/namespaces/default/pods', pod('p1'))).status, 201);
  const r = await call('POST', '/api/v1/namespaces/default/pods/p1/binding', binding('p1', 'node-a'));
  assert.equal(r.status, 201);
  assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  const p = (await call('GET', '/api/v1/namespaces/default/pods/p1')).body;
  assert.equal(p.spec.nodeName, 'node-a');
  const cond = p.status.conditions.find((c: any) => c.type === 'PodScheduled');
  assert.equal(cond.status, 'True');
  const again = await call('POST', '/api/v1/namespaces/default/pods/p1/binding', binding('p1', 'node-b'));
  assert.equal(again.status, 409);
  assert.equal(again.body.message, 'Operation cannot be fulfilled on pods/binding "p1": pod p1 is already assigned to node "node-a"');
});

test('the legacy bindings resource binds by the Binding name', async () => {
  await call('POST', '/api/v1/namespaces/default/pods', pod('p2'));
  const r = await call('POST', '/api/v1/namespaces/default/bindings', binding('p2', 'node-b'));
  assert.equal(r.status, 201);
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods/p2')).body.spec.nodeName, 'node-b');
});

test('bad bindings: name mismatch 400, missing target 422, missing pod 404', async () => {
  await call('POST', '/api/v1/namespaces/default/pods', pod('p3'));
  assert.equal((await call('POST', '/api/v1/namespaces/default/pods/p3/binding', binding('other', 'n'))).status, 400);
  const inv = await call('POST', '/api/v1/namespaces/default/pods/p3/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p3' }, target: {} });
  assert.equal(inv.status, 422);
  assert.equal(inv.body.details.causes[0].field, 'target.name');
  assert.equal((await call('POST', '/api/v1/namespaces/default/pods/nope/binding', binding('nope', 'n'))).status, 404);
});
