import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorder } from './events.js';
import type { ApiClient } from '../client/index.js';
import { makePod } from './test-helpers.js';

function fakeClient() {
  const calls: Array<{ method: string; path: string; body: any }> = [];
  const client = {
    create: async (path: string, body: any) => (calls.push({ method: 'POST', path, body }), body),
    patch: async (path: string, body: any) => (calls.push({ method: 'PATCH', path, body }), body),
  } as unknown as ApiClient;
  return { client, calls };
}

test('events: core/v1 Event about the pod; a repeat bumps count instead of creating another', async () => {
  const { client, calls } = fakeClient();
  const rec = new EventRecorder(client, { component: 'default-scheduler', instance: 'sched-1', now: () => new Date('2024-05-01T10:00:00.123Z') });
  const pod = makePod('web', { uid: 'u-1' });
  pod.metadata.resourceVersion = '42';
  rec.event(pod, 'Warning', 'FailedScheduling', 'Scheduling', '0/1 nodes are available: 1 Insufficient cpu.');
  await rec.flush();
  rec.event(pod, 'Warning', 'FailedScheduling', 'Scheduling', '0/1 nodes are available: 1 Insufficient cpu.');
  await rec.flush();
  assert.equal(calls.length, 2);
  const [create, patch] = calls;
  assert.equal(create.path, '/api/v1/namespaces/default/events');
  assert.match(create.body.metadata.name, /^web\.[0-9a-f]+$/);
  assert.deepEqual(create.body.involvedObject, { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name: 'web', uid: 'u-1', resourceVersion: '42' });
  assert.deepEqual(
    [create.body.type, create.body.reason, create.body.action, create.body.source, create.body.reportingComponent, create.body.reportingInstance, create.body.count, create.body.firstTimestamp],
    ['Warning', 'FailedScheduling', 'Scheduling', { component: 'default-scheduler' }, 'default-scheduler', 'sched-1', 1, '2024-05-01T10:00:00Z'],
  );
  assert.equal(patch.method, 'PATCH');
  assert.equal(patch.path, `/api/v1/namespaces/default/events/${create.body.metadata.name}`);
  assert.equal(patch.body.count, 2);
  await rec.stop();
});
