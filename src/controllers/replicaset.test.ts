// The ReplicaSet controller against an in-process API server: scale up in
// slow-start batches, scale down by rank, adoption and release, status
// counts, expectations against a lagging cache, ReplicaFailure, events.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { ApiRequestError } from '../client/types.js';
import { SharedInformerFactory } from '../client/informer.js';
import { ReplicaSetController, getPodsToDelete, podDeletionLess, slowStartBatch } from './replicaset.js';
import { ApiEventRecorder } from './events.js';
import { FaultyClient, listPods, markPodReady, startTestApi, waitFor, sleep } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let rsc: ReplicaSetController;
let running: Promise<void>;

before(async () => {
  ({ api, client, admin } = await startTestApi());
  for (const ns of ['up', 'down', 'adopt', 'status', 'minready']) await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
  await admin.create('/api/v1/nodes', { metadata: { name: 'node-a' } });
  factory = new SharedInformerFactory(client);
  rsc = new ReplicaSetController(client, factory);
  factory.start();
  running = rsc.run(3);
});

after(async () => {
  await rsc.stop();
  await running;
  factory.stop();
  await api.stop();
});

const rsPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/replicasets`;
const template = (labels: Record<string, string>) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
const replicaSet = (name: string, replicas: number, labels: Record<string, string> = { app: name }, extra: any = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name },
  spec: { replicas, selector: { matchLabels: labels }, template: template(labels), ...extra },
});

async function getRS(ns: string, name: string): Promise<any> {
  return admin.get(`${rsPath(ns)}/${name}`);
}

test('scale up: pods from the template, owned by the ReplicaSet, with events and status', async () => {
  const rs = await admin.create(rsPath('up'), replicaSet('web', 3));
  const pods = await waitFor(async () => {
    const p = await listPods(admin, 'up');
    return p.length === 3 ? p : undefined;
  }, '3 pods');
  for (const p of pods) {
    assert.match(p.metadata.name, /^web-[a-z0-9]{5}$/);
    assert.equal(p.metadata.generateName, 'web-');
    assert.deepEqual(p.metadata.labels, { app: 'web' });
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(p.spec.containers[0].image, 'busybox');
  }
  const st = await waitFor(async () => {
    const cur = await getRS('up', 'web');
    return cur.status?.replicas === 3 && cur.status.observedGeneration === cur.metadata.generation ? cur.status : undefined;
  }, 'status.replicas 3');
  assert.equal(st.fullyLabeledReplicas, 3);
  assert.equal(st.readyReplicas, undefined, 'zero counts are omitted as upstream');
  await (rsc.recorder as ApiEventRecorder).flush();
  const events = await waitFor(async () => {
    const list = await admin.get('/api/v1/namespaces/up/events');
    const created = list.items.filter((e: any) => e.reason === 'SuccessfulCreate');
    return created.length === 3 ? list.items : undefined;
  }, '3 SuccessfulCreate events');
  for (const e of events) {
    assert.equal(e.source.component, 'replicaset-controller');
    assert.equal(e.involvedObject.kind, 'ReplicaSet');
    assert.equal(e.involvedObject.name, 'web');
    assert.equal(e.type, 'Normal');
    assert.ok(pods.some((p: any) => e.message === `Created pod: ${p.metadata.name}`), e.message);
  }

  // Scaling up again creates only the difference.
  await admin.patch(`${rsPath('up')}/web`, { spec: { replicas: 5 } });
  await waitFor(async () => (await listPods(admin, 'up')).length === 5, '5 pods');
  await sleep(100);
  assert.equal((await listPods(admin, 'up')).length, 5);

  // A deleted pod is replaced.
  const victim = (await listPods(admin, 'up'))[0];
  await admin.delete(`/api/v1/namespaces/up/pods/${victim.metadata.name}`);
  await waitFor(async () => {
    const p = await listPods(admin, 'up');
    return p.length === 5 && !p.some((x: any) => x.metadata.name === victim.metadata.name);
  }, 'replacement pod');
});

test('scale down deletes by rank: unassigned, pending, not ready, newer first', async () => {
  await admin.create(rsPath('down'), replicaSet('db', 4));
  const pods = await waitFor(async () => {
    const p = await listPods(admin, 'down');
    return p.length === 4 ? p : undefined;
  }, '4 pods');
  // Two pods bound to a node; one of them Running and Ready.
  const [bound1, bound2] = pods;
  for (const p of [bound1, bound2]) {
    await admin.create(`/api/v1/namespaces/down/pods/${p.metadata.name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: p.metadata.name }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } });
  }
  await markPodReady(admin, { metadata: { namespace: 'down', name: bound1.metadata.name } });
  await waitFor(async () => (await getRS('down', 'db')).status?.readyReplicas === 1, 'one ready');

  await admin.patch(`${rsPath('down')}/db`, { spec: { replicas: 2 } });
  // The two unassigned pods go first.
  await waitFor(async () => (await listPods(admin, 'down')).length === 2, '2 pods left');
  let left = (await listPods(admin, 'down')).map((p: any) => p.metadata.name).sort();
  assert.deepEqual(left, [bound1.metadata.name, bound2.metadata.name].sort());

  await admin.patch(`${rsPath('down')}/db`, { spec: { replicas: 1 } });
  // Of two assigned pods the not-ready one goes (it is deleted gracefully: it has a node).
  await waitFor(async () => (await listPods(admin, 'down')).length === 1, '1 pod left');
  left = (await listPods(admin, 'down')).map((p: any) => p.metadata.name);
  assert.deepEqual(left, [bound1.metadata.name]);
  const st = await waitFor(async () => {
    const cur = await getRS('down', 'db');
    return cur.status?.replicas === 1 ? cur.status : undefined;
  }, 'status.replicas 1 (terminating pods do not count)');
  assert.equal(st.readyReplicas, 1);
  await (rsc.recorder as ApiEventRecorder).flush();
  const events = (await admin.get('/api/v1/namespaces/down/events')).items;
  assert.equal(events.filter((e: any) => e.reason === 'SuccessfulDelete').length, 3);
  assert.ok(events.some((e: any) => e.message === `Deleted pod: ${bound2.metadata.name}`));
});

test('adopts matching orphans and releases pods that stop matching', async () => {
  const orphan = await admin.create('/api/v1/namespaces/adopt/pods', { metadata: { name: 'stray', labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const other = await admin.create('/api/v1/namespaces/adopt/pods', { metadata: { name: 'other', labels: { app: 'other' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const rs = await admin.create(rsPath('adopt'), replicaSet('api', 2));
  await waitFor(async () => (await listPods(admin, 'adopt', 'app=api')).length === 2, '2 pods');
  await sleep(100);
  const pods = await listPods(admin, 'adopt', 'app=api');
  assert.equal(pods.length, 2, 'the orphan counts: only one pod is created');
  const adopted = pods.find((p: any) => p.metadata.name === 'stray');
  assert.ok(adopted);
  assert.equal(adopted.metadata.uid, orphan.metadata.uid);
  assert.deepEqual(adopted.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  const untouched = await admin.get(`/api/v1/namespaces/adopt/pods/${other.metadata.name}`);
  assert.equal(untouched.metadata.ownerReferences, undefined);

  // Relabel the adopted pod: it is released and replaced.
  await admin.patch('/api/v1/namespaces/adopt/pods/stray', { metadata: { labels: { app: 'gone' } } });
  const released = await waitFor(async () => {
    const p = await admin.get('/api/v1/namespaces/adopt/pods/stray');
    return (p.metadata.ownerReferences ?? []).length === 0 ? p : undefined;
  }, 'release');
  assert.equal(released.metadata.labels.app, 'gone');
  await waitFor(async () => (await listPods(admin, 'adopt', 'app=api')).length === 2, 'replacement');
});

test('status: ready, available with minReadySeconds, fully labeled', async () => {
  await admin.create(rsPath('status'), replicaSet('s', 3));
  const pods = await waitFor(async () => {
    const p = await listPods(admin, 'status');
    return p.length === 3 ? p : undefined;
  }, '3 pods');
  await markPodReady(admin, pods[0]);
  await markPodReady(admin, pods[1]);
  await admin.patch(`/api/v1/namespaces/status/pods/${pods[2].metadata.name}`, { metadata: { labels: { app: 's', extra: 'x' } } });
  const st = await waitFor(async () => {
    const cur = await getRS('status', 's');
    return cur.status?.readyReplicas === 2 ? cur.status : undefined;
  }, 'ready 2');
  assert.equal(st.replicas, 3);
  assert.equal(st.availableReplicas, 2);
  assert.equal(st.fullyLabeledReplicas, 3, 'extra labels still match the template');

  // Change the template labels: pods no longer carry all of them.
  await admin.patch(`${rsPath('status')}/s`, { spec: { template: { metadata: { labels: { app: 's', tier: 'new' } } } } });
  const st2 = await waitFor(async () => {
    const cur = await getRS('status', 's');
    return cur.status?.observedGeneration === cur.metadata.generation && cur.metadata.generation > 1 ? cur.status : undefined;
  }, 'generation observed');
  assert.equal(st2.fullyLabeledReplicas, undefined);
  assert.equal(st2.replicas, 3);
});

test('minReadySeconds: available only after the pods were ready long enough', async () => {
  await admin.create(rsPath('minready'), replicaSet('m', 2, { app: 'm' }, { minReadySeconds: 1 }));
  const pods = await waitFor(async () => {
    const p = await listPods(admin, 'minready');
    return p.length === 2 ? p : undefined;
  }, '2 pods');
  await markPodReady(admin, pods[0], new Date(Date.now() - 60_000));
  await markPodReady(admin, pods[1]);
  const st = await waitFor(async () => {
    const cur = await getRS('minready', 'm');
    return cur.status?.readyReplicas === 2 ? cur.status : undefined;
  }, 'ready 2');
  assert.equal(st.availableReplicas, 1, 'the pod ready for a minute is available, the new one not yet');
  await waitFor(async () => (await getRS('minready', 'm')).status?.availableReplicas === 2, 'available after minReadySeconds', 5000);
});

test('expectations: a sync on a lagging cache does not create pods twice', async () => {
  const { api: api2, client: c2, admin: admin2 } = await startTestApi();
  const faulty = new FaultyClient(c2);
  const f2 = new SharedInformerFactory(faulty);
  const ctl = new ReplicaSetController(faulty, f2);
  f2.start();
  try {
    await f2.waitForCacheSync();
    await admin2.create('/apis/apps/v1/namespaces/default/replicasets', replicaSet('lag', 3));
    await waitFor(() => ctl.queue.len() > 0, 'rs key queued');
    faulty.holdWatch('/api/v1/pods');
    await ctl.syncHandler('default/lag');
    assert.equal((await listPods(admin2, 'default')).length, 3);
    assert.deepEqual(ctl.expectations.get('default/lag')?.add, 3);
    // The pod cache has seen none of them; expectations stop a second round.
    await ctl.syncHandler('default/lag');
    await ctl.syncHandler('default/lag');
    assert.equal((await listPods(admin2, 'default')).length, 3);
    faulty.releaseWatch();
    await waitFor(() => ctl.expectations.satisfied('default/lag'), 'expectations satisfied');
    await ctl.syncHandler('default/lag');
    assert.equal((await listPods(admin2, 'default')).length, 3);
    const creates = faulty.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/pods'));
    assert.equal(creates.length, 3);
  } finally {
    await ctl.stop();
    f2.stop();
    await api2.stop();
  }
});

test('create failures: slow start stops at the first failed batch and sets ReplicaFailure', async () => {
  const { api: api2, client: c2, admin: admin2 } = await startTestApi();
  const faulty = new FaultyClient(c2);
  const f2 = new SharedInformerFactory(faulty);
  const ctl = new ReplicaSetController(faulty, f2, { onError: () => {} });
  const perSync: number[] = [];
  const inner = ctl.syncHandler;
  ctl.syncHandler = async (key) => {
    const before = faulty.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/pods')).length;
    try {
      await inner(key);
    } finally {
      perSync.push(faulty.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/pods')).length - before);
    }
  };
  f2.start();
  const run = ctl.run(1);
  try {
    let allowed = 3;
    faulty.failWith = (method, path) => {
      if (method !== 'POST' || !path.endsWith('/pods')) return undefined;
      if (allowed > 0) {
        allowed--;
        return undefined;
      }
      return new ApiRequestError(403, { kind: 'Status', status: 'Failure', message: 'pods "x" is forbidden: exceeded quota', reason: 'Forbidden', code: 403 });
    };
    await admin2.create('/apis/apps/v1/namespaces/default/replicasets', replicaSet('q', 10));
    const st = await waitFor(async () => {
      const cur = await admin2.get('/apis/apps/v1/namespaces/default/replicasets/q');
      return (cur.status?.conditions ?? []).length ? cur.status : undefined;
    }, 'ReplicaFailure');
    // Batches of 1 and 2 succeed, the batch of 4 fails.
    assert.equal(perSync.find((n) => n > 0), 7, 'batches of 1 and 2 succeed, the batch of 4 fails, no more are tried');
    assert.equal(st.replicas, 3);
    assert.deepEqual(
      st.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]),
      [['ReplicaFailure', 'True', 'FailedCreate', 'pods "x" is forbidden: exceeded quota']],
    );
    faulty.failWith = undefined;
    const st2 = await waitFor(async () => {
      const cur = await admin2.get('/apis/apps/v1/namespaces/default/replicasets/q');
      return cur.status?.replicas === 10 && !cur.status.conditions ? cur.status : undefined;
    }, 'recovery', 10000);
    assert.equal(st2.replicas, 10);
    await (ctl.recorder as ApiEventRecorder).flush();
    const events = (await admin2.get('/api/v1/namespaces/default/events')).items;
    assert.ok(events.some((e: any) => e.reason === 'FailedCreate' && e.type === 'Warning' && e.message === 'Error creating: pods "x" is forbidden: exceeded quota'));
  } finally {
    await ctl.stop();
    await run;
    f2.stop();
    await api2.stop();
  }
});

// ---- pure parts ----

const pod = (name: string, o: { node?: string; phase?: string; ready?: boolean; readyAgoS?: number; restarts?: number; createdAgoS?: number; cost?: string } = {}) => ({
  metadata: {
    name,
    uid: name,
    creationTimestamp: new Date(Date.now() - (o.createdAgoS ?? 100) * 1000).toISOString(),
    annotations: o.cost !== undefined ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : undefined,
  },
  spec: { nodeName: o.node },
  status: {
    phase: o.phase ?? 'Running',
    conditions: o.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(Date.now() - (o.readyAgoS ?? 50) * 1000).toISOString() }] : [],
    containerStatuses: [{ restartCount: o.restarts ?? 0 }],
  },
});

test('podDeletionLess follows upstream ranking', () => {
  const now = Date.now();
  const less = (a: any, b: any, ra = 0, rb = 0) => podDeletionLess(a, b, ra, rb, now);
  assert.ok(less(pod('a'), pod('b', { node: 'n' })), 'unassigned before assigned');
  assert.ok(less(pod('a', { node: 'n', phase: 'Pending' }), pod('b', { node: 'n', phase: 'Unknown' })), 'Pending before Unknown');
  assert.ok(less(pod('a', { node: 'n', phase: 'Unknown' }), pod('b', { node: 'n', phase: 'Running' })), 'Unknown before Running');
  assert.ok(less(pod('a', { node: 'n' }), pod('b', { node: 'n', ready: true })), 'not ready before ready');
  assert.ok(less(pod('a', { node: 'n', ready: true, cost: '-5' }), pod('b', { node: 'n', ready: true })), 'lower deletion cost first');
  assert.ok(less(pod('a', { node: 'n', ready: true }), pod('b', { node: 'n', ready: true }), 3, 1), 'more co-located first');
  assert.ok(less(pod('a', { node: 'n', ready: true, readyAgoS: 10 }), pod('b', { node: 'n', ready: true, readyAgoS: 10_000 })), 'ready for less time first');
  assert.ok(less(pod('a', { node: 'n', restarts: 5 }), pod('b', { node: 'n', restarts: 1 })), 'more restarts first');
  assert.ok(less(pod('a', { node: 'n', createdAgoS: 10 }), pod('b', { node: 'n', createdAgoS: 10_000 })), 'newer first');
  assert.ok(!less(pod('b', { node: 'n', createdAgoS: 10_000 }), pod('a', { node: 'n', createdAgoS: 10 })));

  const pods = [pod('ready-old', { node: 'n', ready: true, readyAgoS: 5000, createdAgoS: 6000 }), pod('pending', { node: 'n', phase: 'Pending' }), pod('unassigned', { phase: 'Pending' }), pod('not-ready', { node: 'n' })];
  assert.deepEqual(
    getPodsToDelete(pods as any, pods as any, 3, now).map((p) => p.metadata!.name),
    ['unassigned', 'pending', 'not-ready'],
  );
});

test('slowStartBatch: batches of 1, 2, 4 ... and a stop at the first failing batch', async () => {
  const batches: number[] = [];
  let inBatch = 0;
  let calls = 0;
  const r = await slowStartBatch(10, 1, async () => {
    calls++;
    inBatch++;
    await sleep(1);
    if (inBatch > 0) {
      batches.push(inBatch);
      inBatch = 0;
    }
  });
  assert.equal(r.successes, 10);
  assert.equal(calls, 10);
  let n = 0;
  const failing = await slowStartBatch(10, 1, async () => {
    n++;
    if (n > 3) throw new Error('boom');
  });
  assert.equal(n, 7, '1 + 2 + 4 attempts');
  assert.equal(failing.successes, 3);
  assert.equal((failing.error as Error).message, 'boom');
});
