// The Namespace controller: a deleted namespace's content is deleted, its
// progress shows in the status conditions, and the namespace is finalized
// once nothing is left.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { NamespaceController } from './namespace.js';
import { startTestApi, waitFor } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let nsc: NamespaceController;

before(async () => {
  ({ api, client, admin } = await startTestApi());
  // Standalone, as the server wires it: its own informers.
  nsc = new NamespaceController(client, () => api.registry.all());
  await nsc.start();
});

after(async () => {
  await nsc.stop();
  await api.stop();
});

async function gone(path: string): Promise<boolean> {
  try {
    await admin.get(path);
    return false;
  } catch {
    return true;
  }
}

test('a deleted namespace loses its content and is then removed', async () => {
  await admin.create('/api/v1/namespaces', { metadata: { name: 'doomed' } });
  await admin.create('/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'a' } });
  await admin.create('/api/v1/namespaces/doomed/secrets', { metadata: { name: 's' } });
  await admin.create('/api/v1/namespaces/doomed/pods', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  await admin.create('/apis/apps/v1/namespaces/doomed/deployments', {
    metadata: { name: 'd' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  });
  await admin.delete('/api/v1/namespaces/doomed');
  await waitFor(() => gone('/api/v1/namespaces/doomed'), 'namespace removed');
  assert.equal((await admin.get('/api/v1/configmaps?fieldSelector=metadata.namespace%3Ddoomed')).items.length, 0);
  assert.equal((await admin.get('/apis/apps/v1/deployments')).items.filter((d: any) => d.metadata.namespace === 'doomed').length, 0);
});

test('content held by a finalizer keeps the namespace, with upstream conditions', async () => {
  await admin.create('/api/v1/namespaces', { metadata: { name: 'held' } });
  await admin.create('/api/v1/namespaces/held/configmaps', { metadata: { name: 'keep', finalizers: ['example.com/hold'] } });
  await admin.create('/api/v1/namespaces/held/configmaps', { metadata: { name: 'free' } });
  await admin.delete('/api/v1/namespaces/held');
  const ns = await waitFor(async () => {
    const n = await admin.get('/api/v1/namespaces/held');
    return (n.status?.conditions ?? []).some((c: any) => c.type === 'NamespaceFinalizersRemaining' && c.status === 'True') ? n : undefined;
  }, 'conditions');
  assert.equal(ns.status.phase, 'Terminating');
  const byType = Object.fromEntries(ns.status.conditions.map((c: any) => [c.type, c]));
  assert.deepEqual(
    ns.status.conditions.map((c: any) => c.type),
    ['NamespaceDeletionDiscoveryFailure', 'NamespaceDeletionGroupVersionParsingFailure', 'NamespaceDeletionContentFailure', 'NamespaceContentRemaining', 'NamespaceFinalizersRemaining'],
  );
  assert.equal(byType.NamespaceDeletionDiscoveryFailure.status, 'False');
  assert.equal(byType.NamespaceDeletionDiscoveryFailure.reason, 'ResourcesDiscovered');
  assert.equal(byType.NamespaceDeletionContentFailure.message, 'All content successfully deleted, may be waiting on finalization');
  assert.equal(byType.NamespaceContentRemaining.reason, 'SomeResourcesRemain');
  assert.equal(byType.NamespaceContentRemaining.message, 'Some resources are remaining: configmaps. has 1 resource instances');
  assert.equal(byType.NamespaceFinalizersRemaining.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
  assert.ok(await gone('/api/v1/namespaces/held/configmaps/free'));

  await admin.patch('/api/v1/namespaces/held/configmaps/keep', { metadata: { finalizers: null } });
  await waitFor(() => gone('/api/v1/namespaces/held'), 'namespace removed after the finalizer', 5000);
});
