// The PersistentVolume binder: matching (class, access modes, size, volume
// mode, selector, pre-binding, smallest fit) and, against an in-process API
// server, binding, provisioning after the first consumer and reclaiming.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SharedInformerFactory } from '../client/informer.js';
import { ensureLocalPathStorageClass, findBestMatch, mismatch, PersistentVolumeBinder } from './pv-binder.js';
import { startTestApi, waitFor } from './testing.js';

const pv = (name: string, size: string, extra: any = {}): any => ({
  metadata: { name, labels: extra.labels ?? {} },
  spec: { capacity: { storage: size }, accessModes: extra.modes ?? ['ReadWriteOnce'], storageClassName: extra.cls, volumeMode: extra.volumeMode ?? 'Filesystem', claimRef: extra.claimRef },
  status: { phase: extra.phase ?? 'Available' },
});
const pvc = (size: string, extra: any = {}): any => ({
  metadata: { name: 'c', namespace: 'ns', uid: 'u1' },
  spec: { resources: { requests: { storage: size } }, accessModes: extra.modes ?? ['ReadWriteOnce'], storageClassName: extra.cls, volumeMode: extra.volumeMode, selector: extra.selector },
});

test('matching: class, access modes, size, volume mode, selector', () => {
  assert.equal(mismatch(pvc('1Gi'), pv('a', '1Gi')), '');
  assert.equal(mismatch(pvc('1Gi', { cls: '' }), pv('a', '1Gi')), '', '"" matches a volume without class');
  assert.equal(mismatch(pvc('1Gi', { cls: 'fast' }), pv('a', '1Gi')), 'storage class');
  assert.equal(mismatch(pvc('1Gi', { cls: 'fast' }), pv('a', '1Gi', { cls: 'fast' })), '');
  assert.equal(mismatch(pvc('1Gi', { modes: ['ReadWriteMany'] }), pv('a', '1Gi')), 'access modes');
  assert.equal(mismatch(pvc('1Gi', { modes: ['ReadOnlyMany'] }), pv('a', '1Gi', { modes: ['ReadWriteOnce', 'ReadOnlyMany'] })), '');
  assert.equal(mismatch(pvc('2Gi'), pv('a', '1Gi')), 'capacity');
  assert.equal(mismatch(pvc('1000Mi'), pv('a', '1Gi')), '');
  assert.equal(mismatch(pvc('1Gi', { volumeMode: 'Block' }), pv('a', '1Gi')), 'volume mode');
  assert.equal(mismatch(pvc('1Gi', { selector: { matchLabels: { tier: 'db' } } }), pv('a', '1Gi', { labels: { tier: 'web' } })), 'selector');
  assert.equal(mismatch(pvc('1Gi', { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'x'] }] } }), pv('a', '1Gi', { labels: { tier: 'db' } })), '');
});

test('best match: smallest fit, claimed and released volumes skipped, pre-bound wins', () => {
  const vols = [pv('big', '10Gi'), pv('small', '2Gi'), pv('tiny', '1Gi'), pv('taken', '2Gi', { claimRef: { namespace: 'ns', name: 'other' } }), pv('rel', '2Gi', { phase: 'Released' })];
  assert.equal(findBestMatch(pvc('1500Mi'), vols)?.metadata?.name, 'small');
  assert.equal(findBestMatch(pvc('20Gi'), vols), undefined);
  vols.push(pv('mine', '5Gi', { claimRef: { namespace: 'ns', name: 'c' } }));
  assert.equal(findBestMatch(pvc('1500Mi'), vols)?.metadata?.name, 'mine');
  vols[vols.length - 1].spec.claimRef.uid = 'someone-else';
  assert.equal(findBestMatch(pvc('1500Mi'), vols)?.metadata?.name, 'small');
});

test('controller: static binding, WaitForFirstConsumer provisioning, reclaim Delete and Retain', async () => {
  const { api, client, admin } = await startTestApi();
  const storageDir = mkdtempSync(join(tmpdir(), 'kts-pv-'));
  const factory = new SharedInformerFactory(client);
  const ctrl = new PersistentVolumeBinder(client, factory, { storageDir });
  factory.start();
  const running = ctrl.run(2);
  try {
    await admin.create('/api/v1/namespaces', { metadata: { name: 'ns' } });
    await ensureLocalPathStorageClass(admin);
    await admin.create('/api/v1/persistentvolumes', { metadata: { name: 'static' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/x' } } });
    await admin.create('/api/v1/namespaces/ns/persistentvolumeclaims', { metadata: { name: 's' }, spec: { storageClassName: '', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '500Mi' } } } });
    const bound = await waitFor(async () => {
      const c = await admin.get('/api/v1/namespaces/ns/persistentvolumeclaims/s');
      return c.status?.phase === 'Bound' ? c : undefined;
    }, 'static claim bound');
    assert.equal(bound.spec.volumeName, 'static');
    assert.deepEqual(bound.status.capacity, { storage: '1Gi' });
    assert.equal(bound.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
    const spv = await admin.get('/api/v1/persistentvolumes/static');
    assert.equal(spv.status.phase, 'Bound');
    assert.equal(spv.spec.claimRef.uid, bound.metadata.uid);
    // The default class: waits for a scheduled consumer, then provisions.
    const c = await admin.create('/api/v1/namespaces/ns/persistentvolumeclaims', { metadata: { name: 'd' }, spec: { storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await admin.get('/api/v1/namespaces/ns/persistentvolumeclaims/d')).status.phase, 'Pending');
    await admin.create('/api/v1/namespaces/ns/pods', { metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'd' } }] } });
    const dyn = await waitFor(async () => {
      const x = await admin.get('/api/v1/namespaces/ns/persistentvolumeclaims/d');
      return x.status?.phase === 'Bound' ? x : undefined;
    }, 'provisioned claim bound');
    assert.equal(dyn.metadata.annotations['volume.kubernetes.io/selected-node'], 'n1');
    const dpv = await admin.get(`/api/v1/persistentvolumes/pvc-${c.metadata.uid}`);
    assert.equal(dpv.spec.hostPath.path, join(storageDir, `pvc-${c.metadata.uid}_ns_d`));
    assert.equal(dpv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0], 'n1');
    assert.ok(existsSync(dpv.spec.hostPath.path));
    await admin.delete('/api/v1/namespaces/ns/persistentvolumeclaims/d');
    await waitFor(async () => {
      try {
        await admin.get(`/api/v1/persistentvolumes/pvc-${c.metadata.uid}`);
        return false;
      } catch {
        return true;
      }
    }, 'provisioned volume deleted');
    assert.ok(!existsSync(dpv.spec.hostPath.path));
    // Retain: released, kept.
    await admin.delete('/api/v1/namespaces/ns/persistentvolumeclaims/s');
    await waitFor(async () => (await admin.get('/api/v1/persistentvolumes/static')).status?.phase === 'Released', 'static volume released');
  } finally {
    await ctrl.stop();
    await running;
    factory.stop();
    await api.stop();
    rmSync(storageDir, { recursive: true, force: true });
  }
});
