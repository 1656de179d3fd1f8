// The event recorder: upstream's Event shape, and aggregation of repeats.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { ApiEventRecorder } from './events.js';
import { startTestApi } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;

before(async () => {
  ({ api, client, admin } = await startTestApi());
});

after(async () => {
  await api.stop();
});

test('events name the object and the component; a repeat bumps count', async () => {
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default', uid: 'u-1', resourceVersion: '7' } };
  const rec = new ApiEventRecorder(client, 'replicaset-controller');
  rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-abcde');
  rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-abcde');
  rec.event(rs, 'Warning', 'FailedCreate', 'Error creating: nope');
  await rec.flush();
  const items = (await admin.get('/api/v1/namespaces/default/events')).items;
  assert.equal(items.length, 2);
  const created = items.find((e: any) => e.reason === 'SuccessfulCreate');
  assert.match(created.metadata.name, /^web\.[0-9a-f]+$/);
  assert.equal(created.count, 2);
  assert.deepEqual(created.involvedObject, { kind: 'ReplicaSet', namespace: 'default', name: 'web', uid: 'u-1', apiVersion: 'apps/v1', resourceVersion: '7' });
  assert.deepEqual(created.source, { component: 'replicaset-controller' });
  assert.equal(created.type, 'Normal');
  assert.equal(created.message, 'Created pod: web-abcde');
  assert.ok(created.firstTimestamp && created.lastTimestamp);
  assert.equal(items.find((e: any) => e.reason === 'FailedCreate').type, 'Warning');

  // A cluster-scoped object's events go to the default namespace.
  rec.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u-2' } }, 'Normal', 'Ping', 'pong');
  await rec.flush();
  const node = (await admin.get('/api/v1/namespaces/default/events')).items.find((e: any) => e.reason === 'Ping');
  assert.equal(node.involvedObject.namespace, undefined);
});
