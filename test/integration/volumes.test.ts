// PersistentVolumes end to end through the real kubectl with one simulated
// node: static binding, a claim no volume fits, the default `local-path`
// class (DefaultStorageClass admission, WaitForFirstConsumer, provisioning
// a hostPath volume under the data dir), reclaim Delete and Retain, and
// StatefulSet volumeClaimTemplates.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startKts, eventually, type KtsProcess } from './harness.js';

let kts: KtsProcess;

before(async () => {
  kts = await startKts({ storage: 'memory', extraArgs: ['--sim-nodes', '1'] });
});
after(async () => {
  await kts?.stop();
});

const json = (o: object) => JSON.stringify(o);
const get = async (args: string[]) => JSON.parse(await kts.k(['get', ...args, '-o', 'json']));
const claimPhase = async (ns: string, name: string) => (await kts.k(['get', 'pvc', name, '-n', ns, '-o', 'jsonpath={.status.phase}'])).trim();
const until = (what: string, f: () => Promise<boolean>, ms = 15_000) => eventually(what, async () => ((await f()) ? true : undefined), ms);
const events = async (ns: string, name: string) => kts.k(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=TYPE:.type,REASON:.reason,MSG:.message', '--no-headers']);

const staticPV = (name: string, size: string, policy = 'Retain') =>
  json({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: policy, hostPath: { path: `/tmp/${name}` } } });
const claim = (name: string, size: string, cls?: string) =>
  json({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...(cls !== undefined ? { storageClassName: cls } : {}) } });

test('static PV and PVC bind; Retain volume becomes Released when the claim goes', async () => {
  await kts.k(['create', 'namespace', 'v1']);
  await kts.k(['apply', '-f', '-'], staticPV('pv-static', '1Gi'));
  await kts.k(['apply', '-n', 'v1', '-f', '-'], claim('data', '512Mi', ''));
  await until('claim bound', async () => (await claimPhase('v1', 'data')) === 'Bound');
  const out = await kts.k(['get', 'pv,pvc', '-n', 'v1']);
  assert.match(out, /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE\n/);
  assert.match(out, /persistentvolume\/pv-static\s+1Gi\s+RWO\s+Retain\s+Bound\s+v1\/data\s+<unset>\s+\S+\n/);
  assert.match(out, /NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\n/);
  assert.match(out, /persistentvolumeclaim\/data\s+Bound\s+pv-static\s+1Gi\s+RWO\s+<unset>\s+\S+\n/);
  const pvc = await get(['pvc', 'data', '-n', 'v1']);
  assert.equal(pvc.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
  assert.equal(pvc.metadata.annotations['pv.kubernetes.io/bound-by-controller'], 'yes');
  await kts.k(['delete', 'pvc', 'data', '-n', 'v1']);
  await until('volume released', async () => (await kts.k(['get', 'pv', 'pv-static', '-o', 'jsonpath={.status.phase}'])) === 'Released');
});

test('a claim no volume fits stays Pending with FailedBinding', async () => {
  await kts.k(['create', 'namespace', 'v2']);
  await kts.k(['apply', '-f', '-'], staticPV('pv-small', '1Gi'));
  await kts.k(['apply', '-n', 'v2', '-f', '-'], claim('huge', '100Gi', ''));
  await until('FailedBinding event', async () => /Warning\s+FailedBinding\s+no persistent volumes available for this claim and no storage class is set/.test(await events('v2', 'huge')));
  assert.equal(await claimPhase('v2', 'huge'), 'Pending');
});

test('default class local-path: WaitForFirstConsumer, provisioning on scheduling, reclaim Delete', async () => {
  const sc = await kts.k(['get', 'storageclass']);
  assert.match(sc, /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\n/);
  assert.match(sc, /local-path \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+\S+\n/);
  await kts.k(['create', 'namespace', 'v3']);
  await kts.k(['apply', '-n', 'v3', '-f', '-'], claim('web', '2Gi'));
  let pvc = await get(['pvc', 'web', '-n', 'v3']);
  assert.equal(pvc.spec.storageClassName, 'local-path');
  await until('WaitForFirstConsumer event', async () => /Normal\s+WaitForFirstConsumer\s+waiting for first consumer to be created before binding/.test(await events('v3', 'web')));
  assert.equal(await claimPhase('v3', 'web'), 'Pending');
  await kts.k(['apply', '-n', 'v3', '-f', '-'], json({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'user' }, spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'web' } }] } }));
  await until('claim bound', async () => (await claimPhase('v3', 'web')) === 'Bound');
  pvc = await get(['pvc', 'web', '-n', 'v3']);
  const node = (await kts.k(['get', 'pod', 'user', '-n', 'v3', '-o', 'jsonpath={.spec.nodeName}'])).trim();
  assert.equal(pvc.metadata.annotations['volume.kubernetes.io/selected-node'], node);
  const pv = await get(['pv', pvc.spec.volumeName]);
  assert.equal(pv.metadata.name, `pvc-${pvc.metadata.uid}`);
  assert.equal(pv.metadata.annotations['pv.kubernetes.io/provisioned-by'], 'rancher.io/local-path');
  assert.deepEqual(pv.spec.hostPath, { path: join(kts.dataDir, 'storage', `pvc-${pvc.metadata.uid}_v3_web`), type: 'DirectoryOrCreate' });
  assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms, [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }]);
  assert.equal(pv.spec.capacity.storage, '2Gi');
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
  assert.ok(existsSync(pv.spec.hostPath.path));
  assert.match(await events('v3', 'web'), /Normal\s+ProvisioningSucceeded\s+Successfully provisioned volume pvc-/);
  await kts.k(['delete', 'pod', 'user', '-n', 'v3', '--grace-period=0', '--force']);
  await kts.k(['delete', 'pvc', 'web', '-n', 'v3']);
  await until('volume deleted', async () => (await kts.kubectl(['get', 'pv', pv.metadata.name])).code !== 0);
  assert.ok(!existsSync(pv.spec.hostPath.path));
});

test('a StatefulSet gets a Bound claim per replica', async () => {
  await kts.k(['create', 'namespace', 'v4']);
  await kts.k(['apply', '-n', 'v4', '-f', '-'], json({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db' },
    spec: {
      serviceName: 'db',
      replicas: 2,
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  }));
  await until('both claims bound', async () => (await kts.k(['get', 'pvc', '-n', 'v4', '-o', 'jsonpath={.items[*].status.phase}'])).trim() === 'Bound Bound', 30_000);
  const out = await kts.k(['get', 'pvc', '-n', 'v4', '--no-headers']);
  assert.match(out, /^data-db-0\s+Bound\s+pvc-\S+\s+1Gi\s+RWO\s+local-path\s+<unset>\s+\S+\ndata-db-1\s+Bound\s+pvc-\S+\s+1Gi\s+RWO\s+local-path\s+<unset>\s+\S+\n$/);
});
