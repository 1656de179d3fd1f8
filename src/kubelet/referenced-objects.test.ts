import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, waitFor } from '../controllers/testing.js';
import { ReferencedObjects } from './referenced-objects.js';
import { podReferences } from '../auth/node-graph.js';

const pod = (uid: string, secret: string) => ({
  metadata: { uid, name: `p-${uid}`, namespace: 'default' },
  spec: {
    volumes: [{ name: 'a', secret: { secretName: secret } }, { name: 'b', projected: { sources: [{ configMap: { name: 'kube-root-ca.crt' } }] } }],
    containers: [{ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } }], envFrom: [{ secretRef: { name: 's-env' } }] }],
  },
});

test('podReferences lists volumes, projected sources, env and envFrom', () => {
  const r = podReferences(pod('1', 's1'));
  assert.deepEqual(r.filter((k) => k.startsWith('configmap/')).sort(), ['configmap/default/cm-env', 'configmap/default/kube-root-ca.crt']);
  assert.deepEqual(r.filter((k) => k.startsWith('secret/')).sort(), ['secret/default/s-env', 'secret/default/s1']);
});

test('ReferencedObjects watches each referenced object once, reports changes, and stops with the last user', async () => {
  const { api, admin } = await startTestApi();
  const changes: string[] = [];
  const refs = new ReferencedObjects(admin, (kind, ns, name) => changes.push(`${kind}/${ns}/${name}`));
  try {
    await admin.create('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { k: Buffer.from('v1').toString('base64') } });
    await admin.create('/api/v1/namespaces/default/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'other' }, data: {} });
    await refs.track(pod('1', 's1'));
    await refs.track(pod('2', 's1'));
    assert.equal(refs.size, 4, 'one watch per referenced object, shared by both pods');
    assert.equal(Buffer.from(refs.get('secret', 'default', 's1').data.k, 'base64').toString(), 'v1');
    assert.equal(refs.get('secret', 'default', 'other'), undefined, 'unreferenced objects are not cached');
    await admin.patch('/api/v1/namespaces/default/secrets/s1', { data: { k: Buffer.from('v2').toString('base64') } }, 'merge');
    await waitFor(() => changes.includes('secret/default/s1'), 'a change of s1 is reported');
    assert.equal(Buffer.from(refs.get('secret', 'default', 's1').data.k, 'base64').toString(), 'v2');
    refs.release('1');
    assert.equal(refs.size, 4);
    refs.release('2');
    assert.equal(refs.size, 0);
  } finally {
    refs.stop();
    await api.stop();
  }
});
