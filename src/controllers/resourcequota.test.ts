import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedInformerFactory } from '../client/informer.js';
import { ResourceQuotaController } from './resourcequota.js';
import { startTestApi, waitFor } from './testing.js';

const NS = '/api/v1/namespaces/default';

test('resource quota controller: status from objects, follows deletions, terminal pods and spec changes', async () => {
  const { api, client, admin } = await startTestApi();
  const factory = new SharedInformerFactory(client);
  const ctrl = new ResourceQuotaController(client, factory, { resources: () => api.registry.all(), resyncMs: 60_000 });
  factory.start();
  const running = ctrl.run(2);
  try {
    const podWith = (name: string, cpu: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu }, limits: { cpu } } }] } });
    await admin.create(`${NS}/pods`, podWith('a', '250m'));
    await admin.create(`${NS}/pods`, podWith('b', '500m'));
    await admin.create('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    await admin.create(`${NS}/resourcequotas`, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '10', 'requests.cpu': '4', 'count/deployments.apps': '2' } } });
    const status = async () => (await admin.get(`${NS}/resourcequotas/q`)).status;
    const usedIs = (want: object) => waitFor(async () => JSON.stringify((await status())?.used) === JSON.stringify(want), `used ${JSON.stringify(want)}`);
    await usedIs({ 'count/deployments.apps': '1', pods: '2', 'requests.cpu': '750m' });
    assert.deepEqual((await status()).hard, { 'count/deployments.apps': '2', pods: '10', 'requests.cpu': '4' });

    await admin.delete(`${NS}/pods/a`, { gracePeriodSeconds: 0 });
    await usedIs({ 'count/deployments.apps': '1', pods: '1', 'requests.cpu': '500m' });

    const b = await admin.get(`${NS}/pods/b`);
    await admin.update(`${NS}/pods/b/status`, { ...b, status: { ...b.status, phase: 'Failed' } });
    await usedIs({ 'count/deployments.apps': '1', pods: '0', 'requests.cpu': '0' });

    await admin.delete('/apis/apps/v1/namespaces/default/deployments/d', {});
    await usedIs({ 'count/deployments.apps': '0', pods: '0', 'requests.cpu': '0' });

    const q = await admin.get(`${NS}/resourcequotas/q`);
    await admin.update(`${NS}/resourcequotas/q`, { ...q, spec: { hard: { pods: '5', configmaps: '3' } } });
    await usedIs({ configmaps: '0', pods: '0' });
    assert.deepEqual((await status()).hard, { configmaps: '3', pods: '5' });
  } finally {
    await ctrl.stop();
    factory.stop();
    await running;
    await api.stop();
  }
});
