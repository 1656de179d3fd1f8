// The ServiceAccount controller: every active namespace gets a `default`
// ServiceAccount, recreated when deleted.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import { ServiceAccountsController } from './serviceaccount.js';
import { startTestApi, waitFor, sleep } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let ctrl: ServiceAccountsController;
let running: Promise<void>;

before(async () => {
  ({ api, client, admin } = await startTestApi());
  factory = new SharedInformerFactory(client);
  ctrl = new ServiceAccountsController(client, factory);
  factory.start();
  running = ctrl.run(1);
});

after(async () => {
  await ctrl.stop();
  await running;
  factory.stop();
  await api.stop();
});

const exists = async (path: string): Promise<boolean> => {
  try {
    await admin.get(path);
    return true;
  } catch {
    return false;
  }
};

test('system and new namespaces get a default ServiceAccount', async () => {
  for (const ns of ['default', 'kube-system']) await waitFor(() => exists(`/api/v1/namespaces/${ns}/serviceaccounts/default`), `default SA in ${ns}`);
  await admin.create('/api/v1/namespaces', { metadata: { name: 'team-a' } });
  await waitFor(() => exists('/api/v1/namespaces/team-a/serviceaccounts/default'), 'default SA in team-a');
});

test('a deleted default ServiceAccount is recreated', async () => {
  await admin.create('/api/v1/namespaces', { metadata: { name: 'team-b' } });
  const first = await waitFor(() => admin.get('/api/v1/namespaces/team-b/serviceaccounts/default').catch(() => undefined), 'default SA');
  await admin.delete('/api/v1/namespaces/team-b/serviceaccounts/default');
  const second = await waitFor(async () => {
    const sa = await admin.get('/api/v1/namespaces/team-b/serviceaccounts/default').catch(() => undefined);
    return sa && sa.metadata.uid !== first.metadata.uid ? sa : undefined;
  }, 'recreated SA');
  assert.ok(second);
});

test('a terminating namespace gets none', async () => {
  await admin.create('/api/v1/namespaces', { metadata: { name: 'team-c', finalizers: [] } });
  await waitFor(() => exists('/api/v1/namespaces/team-c/serviceaccounts/default'), 'default SA');
  // Without a namespace controller the namespace stays Terminating.
  await admin.delete('/api/v1/namespaces/team-c');
  await sleep(100);
  await admin.delete('/api/v1/namespaces/team-c/serviceaccounts/default');
  await ctrl.syncHandler('team-c');
  await sleep(100);
  assert.equal(await exists('/api/v1/namespaces/team-c/serviceaccounts/default'), false);
});
