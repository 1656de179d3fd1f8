// The Deployment controller with the ReplicaSet controller against an
// in-process API server. No kubelet exists: tests mark pods Running and
// Ready through pods/status to move rollouts along.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import { ReplicaSetController } from './replicaset.js';
import { DeploymentController } from './deployment.js';
import type { ApiEventRecorder } from './events.js';
import { computeHash, equalIgnoreHash, getProportion, maxSurge, maxUnavailable, newRSNewReplicas, resolveFenceposts, safeEncodeString } from './deployment-util.js';
import { listPods, markAllPodsReady, startTestApi, waitFor, sleep } from './testing.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let rsc: ReplicaSetController;
let dc: DeploymentController;
let runs: Promise<void>[];

const NAMESPACES = ['create', 'rolling', 'surge0', 'recreate', 'undo', 'history', 'paused', 'deadline', 'proportional', 'collision', 'rollbackto'];

before(async () => {
  ({ api, client, admin } = await startTestApi());
  for (const ns of NAMESPACES) await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
  await admin.create('/api/v1/nodes', { metadata: { name: 'n1' } });
  factory = new SharedInformerFactory(client);
  rsc = new ReplicaSetController(client, factory);
  dc = new DeploymentController(client, factory);
  factory.start();
  runs = [rsc.run(3), dc.run(3)];
});

after(async () => {
  await dc.stop();
  await rsc.stop();
  await Promise.all(runs);
  factory.stop();
  await api.stop();
});

const dPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/deployments`;
const rsPath = (ns: string) => `/apis/apps/v1/namespaces/${ns}/replicasets`;

function deployment(name: string, replicas: number, image = 'nginx:1', spec: any = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
      ...spec,
    },
  };
}

async function getD(ns: string, name: string): Promise<any> {
  return admin.get(`${dPath(ns)}/${name}`);
}

async function listRS(ns: string): Promise<any[]> {
  return (await admin.get(rsPath(ns))).items;
}

/** kubectl rollout status's verdict. */
function rolloutDone(d: any): boolean {
  const s = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) return false;
  const replicas = d.spec.replicas ?? 1;
  return (s.updatedReplicas ?? 0) >= replicas && (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) && (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0);
}

/** Marks pods ready until the rollout completes. */
async function completeRollout(ns: string, name: string, ms = 8000): Promise<any> {
  return waitFor(async () => {
    await markAllPodsReady(admin, ns);
    const d = await getD(ns, name);
    const progressing = (d.status?.conditions ?? []).find((c: any) => c.type === 'Progressing');
    return rolloutDone(d) && progressing?.reason === 'NewReplicaSetAvailable' ? d : undefined;
  }, `rollout of ${ns}/${name}`, ms);
}

function cond(d: any, type: string): any {
  return (d.status?.conditions ?? []).find((c: any) => c.type === type);
}

async function events(ns: string): Promise<any[]> {
  await (dc.recorder as ApiEventRecorder).flush();
  return (await admin.get(`/api/v1/namespaces/${ns}/events`)).items;
}

test('create: a new ReplicaSet named by the template hash, pods, revision and replica annotations', async () => {
  const created = await admin.create(dPath('create'), deployment('web', 3));
  const hash = computeHash(created.spec.template, undefined);
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{9,10}$/);
  const rs = await waitFor(async () => (await listRS('create')).find((r) => r.metadata.name === `web-${hash}`), 'new ReplicaSet');
  assert.equal(rs.metadata.labels['pod-template-hash'], hash);
  assert.equal(rs.metadata.labels.app, 'web');
  assert.deepEqual(rs.spec.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
  assert.equal(rs.spec.template.metadata.labels['pod-template-hash'], hash);
  assert.equal(rs.spec.replicas, 3);
  assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  assert.equal(rs.metadata.annotations['deployment.kubernetes.io/desired-replicas'], '3');
  assert.equal(rs.metadata.annotations['deployment.kubernetes.io/max-replicas'], '4');
  assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  await waitFor(async () => (await listPods(admin, 'create', `pod-template-hash=${hash}`)).length === 3, '3 pods');

  // Not ready yet: unavailable, progressing.
  const pending = await waitFor(async () => {
    const d = await getD('create', 'web');
    return d.status?.replicas === 3 && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '1' ? d : undefined;
  }, 'status replicas 3');
  assert.equal(pending.status.unavailableReplicas, 3);
  assert.equal(cond(pending, 'Available').status, 'False');
  assert.equal(cond(pending, 'Available').reason, 'MinimumReplicasUnavailable');
  assert.equal(cond(pending, 'Available').message, 'Deployment does not have minimum availability.');
  assert.equal(cond(pending, 'Progressing').status, 'True');
  assert.ok(['NewReplicaSetCreated', 'ReplicaSetUpdated'].includes(cond(pending, 'Progressing').reason));

  const done = await completeRollout('create', 'web');
  assert.equal(done.status.replicas, 3);
  assert.equal(done.status.updatedReplicas, 3);
  assert.equal(done.status.readyReplicas, 3);
  assert.equal(done.status.availableReplicas, 3);
  assert.equal(done.status.unavailableReplicas, undefined);
  assert.equal(done.status.observedGeneration, done.metadata.generation);
  assert.deepEqual(
    done.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]),
    [
      ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
      ['Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`],
    ],
  );
  for (const c of done.status.conditions) assert.match(c.lastUpdateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const evs = await events('create');
  const scaling = evs.find((e) => e.reason === 'ScalingReplicaSet');
  assert.ok(scaling);
  assert.equal(scaling.message, `Scaled up replica set web-${hash} from 0 to 3`);
  assert.equal(scaling.source.component, 'deployment-controller');
  assert.equal(scaling.involvedObject.kind, 'Deployment');

  // Scaling is not a rollout: same ReplicaSet, new size.
  await admin.patch(`${dPath('create')}/web`, { spec: { replicas: 5 } });
  const scaled = await completeRollout('create', 'web');
  assert.equal(scaled.status.replicas, 5);
  const rss = await listRS('create');
  assert.equal(rss.length, 1);
  assert.equal(rss[0].metadata.annotations['deployment.kubernetes.io/desired-replicas'], '5');
  assert.ok((await events('create')).some((e) => e.message === `Scaled up replica set web-${hash} from 3 to 5`));
});

test('rolling update with maxSurge 1 / maxUnavailable 0 never exceeds 4 pods nor drops below 3 available', async () => {
  await admin.create(dPath('rolling'), deployment('app', 3, 'img:1', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
  await completeRollout('rolling', 'app');
  await admin.patch(`${dPath('rolling')}/app`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'img:2' }] } } } });

  let maxTotal = 0;
  let minAvailable = Infinity;
  let steps = 0;
  const d = await waitFor(async () => {
    const rss = (await listRS('rolling')).filter((r) => r.metadata.ownerReferences?.[0]?.name === 'app');
    const total = rss.reduce((n, r) => n + r.spec.replicas, 0);
    maxTotal = Math.max(maxTotal, total);
    const cur = await getD('rolling', 'app');
    if (cur.status?.observedGeneration === cur.metadata.generation) minAvailable = Math.min(minAvailable, cur.status?.availableReplicas ?? 0);
    // One new pod at a time becomes ready.
    const pods = await listPods(admin, 'rolling');
    const notReady = pods.find((p: any) => !(p.status.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'));
    if (notReady) {
      steps++;
      await markAllPodsReady(admin, 'rolling', `pod-template-hash=${notReady.metadata.labels['pod-template-hash']}`);
    }
    const progressing = cond(cur, 'Progressing');
    return rolloutDone(cur) && progressing?.reason === 'NewReplicaSetAvailable' && rss.length === 2 ? cur : undefined;
  }, 'rolling update', 10000);
  assert.ok(maxTotal <= 4, `at most replicas + maxSurge ReplicaSet replicas, saw ${maxTotal}`);
  assert.ok(minAvailable >= 3, `never below replicas - maxUnavailable available, saw ${minAvailable}`);
  assert.ok(steps >= 3, 'the new pods came up in steps');
  assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '2');
  const rss = await listRS('rolling');
  const newRS = rss.find((r) => r.spec.template.spec.containers[0].image === 'img:2');
  const oldRS = rss.find((r) => r.spec.template.spec.containers[0].image === 'img:1');
  assert.equal(newRS.spec.replicas, 3);
  assert.equal(newRS.metadata.annotations['deployment.kubernetes.io/revision'], '2');
  assert.equal(oldRS.spec.replicas, 0);
  assert.equal(oldRS.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  assert.equal((await listPods(admin, 'rolling')).length, 3);
  const msgs = (await events('rolling')).map((e) => e.message);
  assert.ok(msgs.includes(`Scaled up replica set ${newRS.metadata.name} from 0 to 1`), msgs.join('\n'));
  assert.ok(msgs.includes(`Scaled down replica set ${oldRS.metadata.name} from 3 to 2`), msgs.join('\n'));
});

test('rolling update with maxSurge 0 / maxUnavailable 1 never exceeds 3 pods', async () => {
  await admin.create(dPath('surge0'), deployment('app', 3, 'img:1', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } } }));
  await completeRollout('surge0', 'app');
  await admin.patch(`${dPath('surge0')}/app`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'img:2' }] } } } });
  let maxTotal = 0;
  await waitFor(async () => {
    const rss = await listRS('surge0');
    maxTotal = Math.max(maxTotal, rss.reduce((n, r) => n + r.spec.replicas, 0));
    await markAllPodsReady(admin, 'surge0');
    const cur = await getD('surge0', 'app');
    return rolloutDone(cur) && cond(cur, 'Progressing')?.reason === 'NewReplicaSetAvailable' && rss.length === 2;
  }, 'rolling update', 10000);
  assert.ok(maxTotal <= 3, `saw ${maxTotal}`);
});

test('Recreate: old pods are gone before the new ReplicaSet is created', async () => {
  await admin.create(dPath('recreate'), deployment('app', 2, 'img:1', { strategy: { type: 'Recreate' } }));
  await completeRollout('recreate', 'app');
  const [oldRS] = await listRS('recreate');
  // Bind the old pods to a node so their deletion is graceful and visible.
  for (const p of await listPods(admin, 'recreate')) {
    await admin.create(`/api/v1/namespaces/recreate/pods/${p.metadata.name}/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: p.metadata.name }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } });
  }
  await admin.patch(`${dPath('recreate')}/app`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'img:2' }] } } } });
  await waitFor(async () => (await admin.get(`${rsPath('recreate')}/${oldRS.metadata.name}`)).spec.replicas === 0, 'old scaled to 0');
  await sleep(150);
  // The old pods are terminating (they have a node), so no new ReplicaSet yet.
  assert.equal((await listRS('recreate')).length, 1);
  // The "kubelet" finishes them off.
  for (const p of (await admin.get('/api/v1/namespaces/recreate/pods')).items) {
    await admin.delete(`/api/v1/namespaces/recreate/pods/${p.metadata.name}`, { gracePeriodSeconds: 0 });
  }
  const d = await completeRollout('recreate', 'app');
  const rss = await listRS('recreate');
  assert.equal(rss.length, 2);
  const newRS = rss.find((r) => r.metadata.uid !== oldRS.metadata.uid);
  assert.equal(newRS.spec.replicas, 2);
  assert.equal(newRS.metadata.annotations['deployment.kubernetes.io/max-replicas'], '2', 'Recreate has no surge');
  assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '2');
});

test('rollout undo (template set back) reuses the old ReplicaSet with the next revision', async () => {
  await admin.create(dPath('undo'), deployment('app', 2, 'img:1', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }));
  await completeRollout('undo', 'app');
  const [rs1] = await listRS('undo');
  await admin.patch(`${dPath('undo')}/app`, { metadata: { annotations: { 'kubernetes.io/change-cause': 'v2' } }, spec: { template: { spec: { containers: [{ name: 'web', image: 'img:2' }] } } } });
  await completeRollout('undo', 'app');
  const rs2 = (await listRS('undo')).find((r) => r.metadata.uid !== rs1.metadata.uid);
  assert.equal(rs2.metadata.annotations['kubernetes.io/change-cause'], 'v2', 'Deployment annotations are copied to the new ReplicaSet');

  // What `kubectl rollout undo` does: the revision-1 template (without the hash label) goes back.
  const d = await getD('undo', 'app');
  const template = structuredClone(rs1.spec.template);
  delete template.metadata.labels['pod-template-hash'];
  await admin.patch(`${dPath('undo')}/app`, [{ op: 'replace', path: '/spec/template', value: template }], 'json');
  const back = await completeRollout('undo', 'app');
  assert.ok(back.metadata.generation > d.metadata.generation);
  const rss = await listRS('undo');
  assert.equal(rss.length, 2, 'no new ReplicaSet for a template that exists');
  const reused = rss.find((r) => r.metadata.uid === rs1.metadata.uid);
  assert.equal(reused.spec.replicas, 2);
  assert.equal(reused.metadata.annotations['deployment.kubernetes.io/revision'], '3');
  assert.equal(reused.metadata.annotations['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(back.metadata.annotations['deployment.kubernetes.io/revision'], '3');
  assert.equal(rss.find((r) => r.metadata.uid === rs2.metadata.uid).spec.replicas, 0);
  assert.ok(equalIgnoreHash(reused.spec.template, back.spec.template));
});

test('revisionHistoryLimit keeps that many old ReplicaSets; rollout restart makes a new one', async () => {
  await admin.create(dPath('history'), deployment('app', 1, 'img:1', { revisionHistoryLimit: 1 }));
  await completeRollout('history', 'app');
  for (let i = 2; i <= 4; i++) {
    await admin.patch(`${dPath('history')}/app`, { spec: { template: { spec: { containers: [{ name: 'web', image: `img:${i}` }] } } } });
    await completeRollout('history', 'app');
  }
  const rss = await waitFor(async () => {
    const list = await listRS('history');
    return list.length === 2 ? list : undefined;
  }, 'old ReplicaSets cleaned up');
  assert.deepEqual(rss.map((r) => r.metadata.annotations['deployment.kubernetes.io/revision']).sort(), ['3', '4']);

  // kubectl rollout restart: a template annotation.
  await admin.patch(`${dPath('history')}/app`, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } } } } });
  const d = await completeRollout('history', 'app');
  assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '5');
  const after = await waitFor(async () => {
    const list = await listRS('history');
    return list.length === 2 ? list : undefined;
  }, 'history limit after restart');
  const newest = after.find((r) => r.metadata.annotations['deployment.kubernetes.io/revision'] === '5');
  assert.equal(newest.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], '2025-01-01T00:00:00Z');
});

test('paused: template changes wait, scaling still applies, resume rolls out', async () => {
  await admin.create(dPath('paused'), deployment('app', 2, 'img:1'));
  await completeRollout('paused', 'app');
  await admin.patch(`${dPath('paused')}/app`, { spec: { paused: true } });
  const pausedD = await waitFor(async () => {
    const d = await getD('paused', 'app');
    return cond(d, 'Progressing')?.reason === 'DeploymentPaused' ? d : undefined;
  }, 'paused condition');
  assert.equal(cond(pausedD, 'Progressing').status, 'Unknown');
  assert.equal(cond(pausedD, 'Progressing').message, 'Deployment is paused');
  await admin.patch(`${dPath('paused')}/app`, { spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'img:2' }] } } } });
  await waitFor(async () => {
    const rss = await listRS('paused');
    return rss.length === 1 && rss[0].spec.replicas === 3;
  }, 'scaled, not rolled');
  await sleep(100);
  assert.equal((await listRS('paused')).length, 1);

  await admin.patch(`${dPath('paused')}/app`, { spec: { paused: false } });
  await waitFor(async () => cond(await getD('paused', 'app'), 'Progressing')?.reason !== 'DeploymentPaused', 'resumed');
  const d = await completeRollout('paused', 'app');
  assert.equal(d.status.replicas, 3);
  const rss = await listRS('paused');
  assert.equal(rss.length, 2);
  assert.equal(rss.find((r) => r.spec.template.spec.containers[0].image === 'img:2').spec.replicas, 3);
});

test('progress deadline: a rollout that makes no progress is reported as timed out', async () => {
  await admin.create(dPath('deadline'), deployment('app', 1, 'img:1', { progressDeadlineSeconds: 1 }));
  const d = await waitFor(async () => {
    const cur = await getD('deadline', 'app');
    return cond(cur, 'Progressing')?.reason === 'ProgressDeadlineExceeded' ? cur : undefined;
  }, 'ProgressDeadlineExceeded', 8000);
  const rs = (await listRS('deadline'))[0];
  assert.equal(cond(d, 'Progressing').status, 'False');
  assert.equal(cond(d, 'Progressing').message, `ReplicaSet "${rs.metadata.name}" has timed out progressing.`);
  // A rollout that completes after all is reported complete.
  const done = await completeRollout('deadline', 'app');
  assert.equal(cond(done, 'Progressing').status, 'True');
});

test('scaling during a rollout is proportional', async () => {
  await admin.create(dPath('proportional'), deployment('app', 10, 'img:1', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }));
  await completeRollout('proportional', 'app');
  const [oldRS] = await listRS('proportional');
  await admin.patch(`${dPath('proportional')}/app`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'bad' }] } } } });
  // The new pods never become ready: the rollout stalls at old 8 / new 5.
  const stalled = await waitFor(async () => {
    const rss = await listRS('proportional');
    const n = rss.find((r) => r.metadata.uid !== oldRS.metadata.uid);
    const o = rss.find((r) => r.metadata.uid === oldRS.metadata.uid);
    return n && o.spec.replicas === 8 && n.spec.replicas === 5 ? n : undefined;
  }, 'stalled rollout');
  await sleep(100);
  await admin.patch(`${dPath('proportional')}/app`, { spec: { replicas: 15 } });
  await waitFor(async () => {
    const rss = await listRS('proportional');
    const o = rss.find((r) => r.metadata.uid === oldRS.metadata.uid);
    const n = rss.find((r) => r.metadata.uid === stalled.metadata.uid);
    return o.spec.replicas === 11 && n.spec.replicas === 7;
  }, 'proportional 11 / 7');
});

test('a name taken by someone else\'s ReplicaSet bumps collisionCount and changes the hash', async () => {
  const d = deployment('app', 1, 'img:1');
  const probe = await admin.create(dPath('collision'), { ...d, metadata: { name: 'probe' } });
  await admin.delete(`${dPath('collision')}/probe`);
  const hash = computeHash(probe.spec.template, undefined);
  // A squatter with the name the Deployment would use (labels that do not match its selector).
  await admin.create(rsPath('collision'), {
    metadata: { name: `app-${hash}`, labels: { squat: 'yes' } },
    spec: { replicas: 0, selector: { matchLabels: { squat: 'yes' } }, template: { metadata: { labels: { squat: 'yes' } }, spec: { containers: [{ name: 'x', image: 'other' }] } } },
  });
  const created = await admin.create(dPath('collision'), d);
  const done = await completeRollout('collision', 'app');
  assert.equal(done.status.collisionCount, 1);
  const hash1 = computeHash(created.spec.template, 1);
  assert.notEqual(hash1, hash);
  const rs = (await listRS('collision')).find((r) => r.metadata.ownerReferences?.[0]?.uid === created.metadata.uid);
  assert.equal(rs.metadata.name, `app-${hash1}`);
});

test('the deprecated rollback annotation restores the previous template', async () => {
  await admin.create(dPath('rollbackto'), deployment('app', 1, 'img:1'));
  await completeRollout('rollbackto', 'app');
  await admin.patch(`${dPath('rollbackto')}/app`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'img:2' }] } } } });
  await completeRollout('rollbackto', 'app');
  await admin.patch(`${dPath('rollbackto')}/app`, { metadata: { annotations: { 'deprecated.deployment.rollback.to': '0' } } });
  const d = await waitFor(async () => {
    const cur = await getD('rollbackto', 'app');
    return cur.spec.template.spec.containers[0].image === 'img:1' && !cur.metadata.annotations['deprecated.deployment.rollback.to'] ? cur : undefined;
  }, 'template rolled back');
  assert.equal(d.spec.template.metadata.labels['pod-template-hash'], undefined);
  const back = await completeRollout('rollbackto', 'app');
  assert.equal(back.metadata.annotations['deployment.kubernetes.io/revision'], '3');
  assert.equal((await listRS('rollbackto')).length, 2);
  assert.ok((await events('rollbackto')).some((e) => e.reason === 'DeploymentRollback' && e.message === 'Rolled back deployment "app" to revision 1'));
});

// ---- pure parts ----

test('computeHash: deterministic, 9-10 safe characters, sensitive to template and collision count', () => {
  const t = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'a' }] } };
  const h = computeHash(t, undefined);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{9,10}$/);
  assert.equal(computeHash(structuredClone(t), undefined), h);
  assert.equal(computeHash({ spec: t.spec, metadata: t.metadata }, undefined), h, 'key order does not matter');
  assert.notEqual(computeHash({ ...t, spec: { containers: [{ name: 'c', image: 'b' }] } }, undefined), h);
  assert.notEqual(computeHash(t, 1), h);
  assert.notEqual(computeHash(t, 1), computeHash(t, 2));
  for (let i = 0; i < 200; i++) assert.match(computeHash({ n: i }, undefined), /^[bcdfghjklmnpqrstvwxz2456789]{9,10}$/);
  assert.equal(safeEncodeString('0123456789'), '456789bcdf');
});

test('fenceposts, surge and proportions as upstream rounds them', () => {
  assert.deepEqual(resolveFenceposts('25%', '25%', 3), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), { surge: 3, unavailable: 2 });
  assert.deepEqual(resolveFenceposts(0, 0, 3), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts('0%', '10%', 5), { surge: 0, unavailable: 1 });
  const d: any = { spec: { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }, status: { replicas: 13 } };
  assert.equal(maxSurge(d), 3);
  assert.equal(maxUnavailable(d), 2);
  assert.equal(maxUnavailable({ spec: { replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } } } } as any), 1);
  assert.equal(maxSurge({ spec: { replicas: 3, strategy: { type: 'Recreate' } } } as any), 0);
  const old: any = { metadata: { name: 'o', annotations: { 'deployment.kubernetes.io/max-replicas': '13' } }, spec: { replicas: 8 } };
  const neu: any = { metadata: { name: 'n', annotations: { 'deployment.kubernetes.io/max-replicas': '13' } }, spec: { replicas: 5 } };
  const d15: any = { ...d, spec: { ...d.spec, replicas: 15 } };
  assert.equal(getProportion(old, d15, 5, 0), 3);
  assert.equal(getProportion(neu, d15, 5, 3), 2);
  assert.equal(newRSNewReplicas(d, [old, { spec: { replicas: 0 } } as any], { spec: { replicas: 0 } } as any), 5);
});
