// The official @kubernetes/client-node against a real `kts server`: list,
// watch and create, as an application would use them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig, CoreV1Api, AppsV1Api, Watch } from '@kubernetes/client-node';
import { startKts, type KtsProcess } from './harness.js';

let kts: KtsProcess;
let kc: KubeConfig;

before(async () => {
  kts = await startKts();
  kc = new KubeConfig();
  kc.loadFromFile(kts.kubeconfig);
});

after(async () => {
  await kts?.stop();
});

test('client-node: create, get and list', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const created = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'from-client', labels: { via: 'client-node' } }, data: { hello: 'world' } },
  });
  assert.equal(created.metadata?.name, 'from-client');
  assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
  const got = await core.readNamespacedConfigMap({ namespace: 'default', name: 'from-client' });
  assert.equal(got.data?.hello, 'world');
  const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'via=client-node' });
  assert.deepEqual(
    list.items.map((i) => i.metadata?.name),
    ['from-client'],
  );
  assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
  const nss = await core.listNamespace();
  assert.ok(nss.items.some((n) => n.metadata?.name === 'kube-system'));

  const apps = kc.makeApiClient(AppsV1Api);
  const d = await apps.createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'cn-web' },
      spec: {
        selector: { matchLabels: { app: 'cn-web' } },
        template: { metadata: { labels: { app: 'cn-web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    },
  });
  assert.equal(d.spec?.replicas, 1);
  assert.equal(d.metadata?.generation, 1);
});

test('client-node: errors carry the Status', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await assert.rejects(core.readNamespacedConfigMap({ namespace: 'default', name: 'absent' }), (e: any) => {
    assert.equal(e.code, 404);
    const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
    assert.equal(body.reason, 'NotFound');
    assert.equal(body.message, 'configmaps "absent" not found');
    return true;
  });
});

test('client-node: watch delivers ADDED, MODIFIED and DELETED', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace: 'default' });
  const events: string[] = [];
  const w = new Watch(kc);
  const req = await w.watch(
    '/api/v1/namespaces/default/configmaps',
    { resourceVersion: list.metadata?.resourceVersion, labelSelector: 'watch=me' },
    (type: string, obj: any) => events.push(`${type} ${obj.metadata.name} ${obj.data?.v ?? ''}`.trim()),
    () => {},
  );
  try {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'w1', labels: { watch: 'me' } }, data: { v: '1' } } });
    const cur = await core.readNamespacedConfigMap({ namespace: 'default', name: 'w1' });
    cur.data = { v: '2' };
    await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'w1', body: cur });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'w1' });
    const end = Date.now() + 10_000;
    while (events.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(events, ['ADDED w1 1', 'MODIFIED w1 2', 'DELETED w1 2']);
  } finally {
    req.abort();
  }
});
