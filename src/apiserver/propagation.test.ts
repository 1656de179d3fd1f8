// DELETE with a propagation policy hands the object to the garbage
// collector through the orphan / foregroundDeletion finalizers.

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
const CM = '/api/v1/namespaces/default/configmaps';

test('Foreground and Orphan mark the object with the GC finalizer; Background deletes', async () => {
  for (const [name, policy, fin] of [
    ['fg', 'Foreground', 'foregroundDeletion'],
    ['or', 'Orphan', 'orphan'],
  ] as const) {
    await call('POST', CM, { metadata: { name } });
    const r = await call('DELETE', `${CM}/${name}`, { propagationPolicy: policy });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.metadata.finalizers, [fin]);
    assert.ok(r.body.metadata.deletionTimestamp);
    assert.equal((await call('GET', `${CM}/${name}`)).status, 200);
    // Switching to Background drops the GC finalizer and the object goes.
    await call('DELETE', `${CM}/${name}`, { propagationPolicy: 'Background' });
    assert.equal((await call('GET', `${CM}/${name}`)).status, 404);
  }
  await call('POST', CM, { metadata: { name: 'bg' } });
  await call('DELETE', `${CM}/bg`, { propagationPolicy: 'Background' });
  assert.equal((await call('GET', `${CM}/bg`)).status, 404);
});

test('orphanDependents=true means Orphan; an unknown policy is 422', async () => {
  await call('POST', CM, { metadata: { name: 'od' } });
  const r = await call('DELETE', `${CM}/od`, { orphanDependents: true });
  assert.deepEqual(r.body.metadata.finalizers, ['orphan']);
  await call('POST', CM, { metadata: { name: 'bad' } });
  const bad = await call('DELETE', `${CM}/bad`, { propagationPolicy: 'Sideways' });
  assert.equal(bad.status, 422);
  assert.equal((await call('GET', `${CM}/bad`)).status, 200);
});
