// The StatefulSet controller against an in-process API server: ordered
// creation and scale-down, Parallel management, claims from
// volumeClaimTemplates and their retention policy, ControllerRevisions,
// RollingUpdate with a partition, OnDelete, status and events.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import { ApiEventRecorder } from './events.js';
import {
  StatefulSetController,
  claimOwnerRefs,
  hashRevision,
  newRevision,
  ordinalOf,
  parentNameOf,
  revisionData,
  CONTROLLER_REVISION_HASH_LABEL,
  POD_INDEX_LABEL,
  STATEFULSET_POD_NAME_LABEL,
} from './statefulset.js';
import { listPods, markPodReady, startTestApi, waitFor, sleep } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let ssc: StatefulSetController;
let running: Promise<void>;

before(async () => {
  ({ api, client, admin } = await startTestApi());
  for (const ns of ['ordered', 'parallel', 'down', 'rolling', 'ondelete', 'retain']) await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
  factory = new SharedInformerFactory(client);
  ssc = new StatefulSetController(client, factory);
  factory.start();
  running = ssc.run(3);
});

after(async () => {
  await ssc.stop();
  await running;
  factory.stop();
  await api.stop();
});

const stsPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/statefulsets`;
const claimTemplate = (name: string) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
const statefulSet = (name: string, replicas: number, extra: any = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name },
  spec: {
    replicas,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
    ...extra,
  },
});

const podNames = async (ns: string) => (await listPods(admin, ns)).map((p: any) => p.metadata.name).sort();
const getSet = (ns: string, name: string) => admin.get(`${stsPath(ns)}/${name}`);

/** Marks the named pod ready once it exists (and is not terminating). */
async function readyWhenPresent(ns: string, name: string): Promise<any> {
  const pod = await waitFor(async () => (await listPods(admin, ns)).find((p: any) => p.metadata.name === name), `pod ${name}`);
  return markPodReady(admin, pod);
}

/** Keeps marking every pod of the namespace ready until `cond` holds. */
async function readyUntil(ns: string, cond: () => Promise<boolean>, what: string): Promise<void> {
  await waitFor(async () => {
    for (const p of await listPods(admin, ns)) {
      if (!(p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')) {
        try {
          await markPodReady(admin, p);
        } catch {
          // deleted meanwhile
        }
      }
    }
    return cond();
  }, what);
}

test('names, ordinals and claim ownership are pure functions', () => {
  assert.equal(ordinalOf({ metadata: { name: 'web-12' } }), 12);
  assert.equal(ordinalOf({ metadata: { name: 'web' } }), -1);
  assert.equal(parentNameOf({ metadata: { name: 'my-web-3' } }), 'my-web');
  const set: any = { metadata: { name: 'web', namespace: 'x', uid: 's1' }, spec: { template: { metadata: { labels: { a: 'b' } } } } };
  const h = hashRevision(revisionData(set), 0);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(h, hashRevision(revisionData(set), 0), 'deterministic');
  assert.notEqual(h, hashRevision(revisionData(set), 1), 'the collision count changes the hash');
  assert.equal(newRevision(set, 1, 0).metadata!.name, `web-${h}`);
  const pod: any = { metadata: { name: 'web-2', uid: 'p2' } };
  const other = { apiVersion: 'v1', kind: 'Foo', name: 'f', uid: 'f1' };
  set.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Retain', whenScaled: 'Retain' };
  assert.deepEqual(claimOwnerRefs([other], set, pod, 1), [other]);
  set.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Delete' };
  assert.deepEqual(
    claimOwnerRefs([], set, pod, 3).map((r) => r.kind),
    ['StatefulSet'],
    'a live ordinal is owned by the set only',
  );
  assert.deepEqual(
    claimOwnerRefs([], set, pod, 2).map((r) => r.kind),
    ['StatefulSet', 'Pod'],
    'a condemned ordinal is owned by its pod too',
  );
});

test('OrderedReady: ordinal i is created only once 0..i-1 are Running and Ready; claims first', async () => {
  const set = await admin.create(stsPath('ordered'), statefulSet('web', 3, { volumeClaimTemplates: [claimTemplate('data')] }));
  await waitFor(async () => (await podNames('ordered')).length === 1, 'web-0');
  await sleep(150);
  assert.deepEqual(await podNames('ordered'), ['web-0'], 'web-1 waits for web-0');

  const [pod] = await listPods(admin, 'ordered');
  assert.equal(pod.spec.hostname, 'web-0');
  assert.equal(pod.spec.subdomain, 'web');
  assert.equal(pod.metadata.labels.app, 'web');
  assert.equal(pod.metadata.labels[STATEFULSET_POD_NAME_LABEL], 'web-0');
  assert.equal(pod.metadata.labels[POD_INDEX_LABEL], '0');
  assert.match(pod.metadata.labels[CONTROLLER_REVISION_HASH_LABEL], /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(
    pod.spec.volumes.find((v: any) => v.name === 'data'),
    { name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } },
  );
  const pvc = await admin.get('/api/v1/namespaces/ordered/persistentvolumeclaims/data-web-0');
  assert.equal(pvc.metadata.labels.app, 'web');
  assert.equal(pvc.metadata.ownerReferences, undefined, 'Retain/Retain: no owners');

  await readyWhenPresent('ordered', 'web-0');
  await waitFor(async () => (await podNames('ordered')).length === 2, 'web-1');
  await sleep(100);
  assert.deepEqual(await podNames('ordered'), ['web-0', 'web-1']);
  await readyWhenPresent('ordered', 'web-1');
  await readyWhenPresent('ordered', 'web-2');

  const st = await waitFor(async () => {
    const cur = await getSet('ordered', 'web');
    return cur.status?.readyReplicas === 3 && cur.status.availableReplicas === 3 ? cur.status : undefined;
  }, 'three ready');
  assert.equal(st.replicas, 3);
  assert.equal(st.currentReplicas, 3);
  assert.equal(st.updatedReplicas, 3);
  assert.equal(st.currentRevision, st.updateRevision);
  assert.equal(st.observedGeneration, 1);
  const revs = (await admin.get('/apis/apps/v1/namespaces/ordered/controllerrevisions')).items;
  assert.equal(revs.length, 1);
  assert.equal(revs[0].metadata.name, st.updateRevision);
  assert.equal(revs[0].revision, 1);
  assert.equal(revs[0].metadata.ownerReferences[0].uid, set.metadata.uid);
  const pvcs = (await admin.get('/api/v1/namespaces/ordered/persistentvolumeclaims')).items.map((c: any) => c.metadata.name).sort();
  assert.deepEqual(pvcs, ['data-web-0', 'data-web-1', 'data-web-2']);

  await (ssc.recorder as ApiEventRecorder).flush();
  const msgs = (await admin.get('/api/v1/namespaces/ordered/events')).items.map((e: any) => `${e.reason}: ${e.message}`);
  assert.ok(msgs.includes('SuccessfulCreate: create Pod web-0 in StatefulSet web successful'), msgs.join('\n'));
  assert.ok(msgs.includes('SuccessfulCreate: create Claim data-web-1 Pod web-1 in StatefulSet web success'), msgs.join('\n'));
});

test('Parallel: every ordinal is created without waiting', async () => {
  await admin.create(stsPath('parallel'), statefulSet('par', 3, { podManagementPolicy: 'Parallel' }));
  await waitFor(async () => (await podNames('parallel')).join() === 'par-0,par-1,par-2', 'three pods, none ready');
  const st = await waitFor(async () => {
    const cur = await getSet('parallel', 'par');
    return cur.status?.replicas === 3 ? cur.status : undefined;
  }, 'status.replicas 3');
  assert.equal(st.readyReplicas, undefined);
  // Scale down all at once.
  await admin.patch(`${stsPath('parallel')}/par`, { spec: { replicas: 1 } });
  await waitFor(async () => (await podNames('parallel')).join() === 'par-0', 'scaled to 1');
});

test('scale down from the highest ordinal, one at a time; whenScaled=Delete hands claims to the pod', async () => {
  await admin.create(
    stsPath('down'),
    statefulSet('db', 3, { volumeClaimTemplates: [claimTemplate('vol')], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }),
  );
  await readyUntil('down', async () => (await getSet('down', 'db')).status?.readyReplicas === 3, 'three ready');
  const set = await getSet('down', 'db');
  const pvc0 = await admin.get('/api/v1/namespaces/down/persistentvolumeclaims/vol-db-0');
  assert.deepEqual(pvc0.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: set.metadata.uid }]);

  const pods = await listPods(admin, 'down');
  const uidOf = (n: string) => pods.find((p: any) => p.metadata.name === n).metadata.uid;
  const deleted: string[] = [];
  const watch = await admin.watch('/api/v1/namespaces/down/pods', (ev) => {
    if (ev.type === 'DELETED') deleted.push((ev.object as any).metadata.name);
  });
  await admin.patch(`${stsPath('down')}/db`, { spec: { replicas: 1 } });
  await waitFor(async () => (await podNames('down')).join() === 'db-0', 'scaled to 1');
  await waitFor(() => deleted.length === 2, 'two deletions observed');
  watch.stop();
  assert.deepEqual(deleted, ['db-2', 'db-1']);
  // The condemned ordinals' claims were handed to their pods before deletion (the garbage collector removes them).
  for (const n of ['1', '2']) {
    const pvc = await admin.get(`/api/v1/namespaces/down/persistentvolumeclaims/vol-db-${n}`);
    assert.deepEqual(
      pvc.metadata.ownerReferences.map((r: any) => `${r.kind}/${r.name}/${r.uid}`),
      [`StatefulSet/db/${set.metadata.uid}`, `Pod/db-${n}/${uidOf(`db-${n}`)}`],
    );
  }
  await (ssc.recorder as ApiEventRecorder).flush();
  const msgs = (await admin.get('/api/v1/namespaces/down/events')).items.map((e: any) => `${e.reason}: ${e.message}`);
  assert.ok(msgs.includes('SuccessfulDelete: delete Pod db-2 in StatefulSet db successful'), msgs.join('\n'));
  const st = await waitFor(async () => {
    const cur = await getSet('down', 'db');
    return cur.status?.replicas === 1 ? cur.status : undefined;
  }, 'status.replicas 1');
  assert.equal(st.readyReplicas, 1);
});

test('RollingUpdate: highest ordinal first, respecting the partition', async () => {
  await admin.create(stsPath('rolling'), statefulSet('app', 3, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
  await readyUntil('rolling', async () => (await getSet('rolling', 'app')).status?.readyReplicas === 3, 'three ready');
  const before = await getSet('rolling', 'app');
  const rev1 = before.status.currentRevision;

  const deleted: string[] = [];
  const watch = await admin.watch('/api/v1/namespaces/rolling/pods', (ev) => {
    if (ev.type === 'DELETED') deleted.push((ev.object as any).metadata.name);
  });
  await admin.patch(`${stsPath('rolling')}/app`, { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
  const revOf = async () => Object.fromEntries((await listPods(admin, 'rolling')).map((p: any) => [p.metadata.name, p.metadata.labels[CONTROLLER_REVISION_HASH_LABEL]]));
  const rev2 = await waitFor(async () => {
    const cur = await getSet('rolling', 'app');
    return cur.status?.updateRevision !== rev1 ? cur.status.updateRevision : undefined;
  }, 'a new update revision');
  await readyUntil(
    'rolling',
    async () => {
      const r = await revOf();
      return r['app-1'] === rev2 && r['app-2'] === rev2 && (await getSet('rolling', 'app')).status?.readyReplicas === 3;
    },
    'ordinals 1 and 2 updated',
  );
  await sleep(150);
  const r = await revOf();
  assert.equal(r['app-0'], rev1, 'below the partition stays at the current revision');
  watch.stop();
  assert.deepEqual(deleted, ['app-2', 'app-1'], 'one at a time, from the highest ordinal');
  const pod2 = (await listPods(admin, 'rolling')).find((p: any) => p.metadata.name === 'app-2');
  assert.equal(pod2.spec.containers[0].image, 'busybox:2');
  let st = (await getSet('rolling', 'app')).status;
  assert.equal(st.currentRevision, rev1);
  assert.equal(st.updatedReplicas, 2);
  assert.equal(st.currentReplicas, 1);

  // Lowering the partition finishes the rollout; the current revision follows.
  await admin.patch(`${stsPath('rolling')}/app`, { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } } });
  await readyUntil('rolling', async () => (await getSet('rolling', 'app')).status?.currentRevision === rev2, 'rollout complete');
  st = (await getSet('rolling', 'app')).status;
  assert.equal(st.currentReplicas, 3);
  assert.equal(st.updatedReplicas, 3);
  const revs = (await admin.get('/apis/apps/v1/namespaces/rolling/controllerrevisions')).items;
  assert.deepEqual(revs.map((x: any) => x.revision).sort(), [1, 2]);
});

test('OnDelete: pods are updated only when deleted', async () => {
  await admin.create(stsPath('ondelete'), statefulSet('od', 2, { updateStrategy: { type: 'OnDelete' } }));
  await readyUntil('ondelete', async () => (await getSet('ondelete', 'od')).status?.readyReplicas === 2, 'two ready');
  const rev1 = (await getSet('ondelete', 'od')).status.currentRevision;
  await admin.patch(`${stsPath('ondelete')}/od`, { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } });
  const rev2 = await waitFor(async () => {
    const cur = await getSet('ondelete', 'od');
    return cur.status?.updateRevision !== rev1 ? cur.status.updateRevision : undefined;
  }, 'a new update revision');
  await sleep(150);
  const pods = await listPods(admin, 'ondelete');
  assert.ok(pods.every((p: any) => p.metadata.labels[CONTROLLER_REVISION_HASH_LABEL] === rev1), 'nothing is deleted');

  const old1 = pods.find((p: any) => p.metadata.name === 'od-1');
  await admin.delete(`/api/v1/namespaces/ondelete/pods/od-1`);
  const fresh = await waitFor(async () => (await listPods(admin, 'ondelete')).find((p: any) => p.metadata.name === 'od-1' && p.metadata.uid !== old1.metadata.uid), 'od-1 recreated');
  assert.equal(fresh.metadata.labels[CONTROLLER_REVISION_HASH_LABEL], rev2);
  assert.equal(fresh.spec.containers[0].image, 'busybox:2');
  const st = await waitFor(async () => {
    const cur = await getSet('ondelete', 'od');
    return cur.status?.updatedReplicas === 1 ? cur.status : undefined;
  }, 'one updated');
  assert.equal(st.currentReplicas, 1);
  assert.equal(st.currentRevision, rev1);
});

test('a deleted pod is recreated with the same identity and claim', async () => {
  await admin.create(stsPath('retain'), statefulSet('kv', 1, { volumeClaimTemplates: [claimTemplate('data')] }));
  const first = await readyWhenPresent('retain', 'kv-0');
  await admin.delete('/api/v1/namespaces/retain/pods/kv-0');
  const again = await waitFor(async () => (await listPods(admin, 'retain')).find((p: any) => p.metadata.uid !== first.metadata.uid), 'kv-0 recreated');
  assert.equal(again.metadata.name, 'kv-0');
  assert.equal(again.spec.volumes.find((v: any) => v.name === 'data').persistentVolumeClaim.claimName, 'data-kv-0');
  const pvcs = (await admin.get('/api/v1/namespaces/retain/persistentvolumeclaims')).items;
  assert.equal(pvcs.length, 1, 'the claim is reused, not recreated');
});
