// The node lifecycle controller against an in-process API server: a node
// whose Lease goes stale becomes Unknown and unreachable-tainted, its
// non-tolerating pods are evicted at once, tolerating pods after their
// tolerationSeconds; a node that comes back loses the taints. Plus the
// pure taint and toleration rules.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { isAlreadyExists, isNotFound } from '../client/types.js';
import { SharedInformerFactory } from '../client/informer.js';
import {
  NodeLifecycleController,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_UNREACHABLE,
  desiredTaints,
  evictionTime,
  markConditionsUnknown,
  toleratesTaint,
} from './nodelifecycle.js';
import { NO_EVENTS } from './events.js';
import { markPodReady, startTestApi, waitFor, sleep } from './testing.js';
import { nowRFC3339 } from './util.js';

let api: ApiServer;
let client: InProcessClient;
let admin: InProcessClient;
let factory: SharedInformerFactory;
let nlc: NodeLifecycleController;
let running: Promise<void>;
let heartbeats: NodeJS.Timeout | undefined;

const leasePath = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
const micro = () => new Date().toISOString().replace('Z', '000Z');

async function createNode(name: string): Promise<void> {
  const node = await admin.create('/api/v1/nodes', { metadata: { name } });
  await setReady(node.metadata.name, 'True');
  await admin.create(leasePath, { metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: micro() } });
}

async function setReady(name: string, status: string): Promise<void> {
  const cur = await admin.get(`/api/v1/nodes/${name}`);
  const t = nowRFC3339();
  const conditions = ['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({ type, status: 'False', reason: 'KubeletHasSufficient', message: 'ok', lastHeartbeatTime: t, lastTransitionTime: t }));
  conditions.push({ type: 'Ready', status, reason: status === 'True' ? 'KubeletReady' : 'KubeletNotReady', message: 'kubelet', lastHeartbeatTime: t, lastTransitionTime: t });
  await admin.update(`/api/v1/nodes/${name}/status`, { ...cur, status: { ...(cur.status ?? {}), conditions } });
}

async function renew(name: string): Promise<void> {
  const l = await admin.get(`${leasePath}/${name}`);
  await admin.update(`${leasePath}/${name}`, { ...l, spec: { ...l.spec, renewTime: micro() } });
}

async function createPod(name: string, nodeName: string, tolerations?: any[]): Promise<any> {
  const pod = await admin.create('/api/v1/namespaces/nl/pods', {
    metadata: { name },
    spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) },
  });
  return markPodReady(admin, pod);
}

/** Gone, or being deleted. */
async function evicted(name: string): Promise<boolean> {
  try {
    const p = await admin.get(`/api/v1/namespaces/nl/pods/${name}`);
    return !!p.metadata.deletionTimestamp;
  } catch (e) {
    if (isNotFound(e)) return true;
    throw e;
  }
}

const node = (name: string) => admin.get(`/api/v1/nodes/${name}`);
const cond = (n: any, type: string) => n.status?.conditions?.find((c: any) => c.type === type);

before(async () => {
  ({ api, client, admin } = await startTestApi());
  for (const ns of ['nl', 'kube-node-lease']) {
    try {
      await admin.create('/api/v1/namespaces', { metadata: { name: ns } });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
  factory = new SharedInformerFactory(client);
  nlc = new NodeLifecycleController(client, factory, { nodeMonitorPeriodMs: 100, nodeMonitorGracePeriodMs: 800, recorder: NO_EVENTS });
  factory.start();
  running = nlc.run(2);
});

after(async () => {
  clearInterval(heartbeats);
  await nlc.stop();
  await running;
  factory.stop();
  await api.stop();
});

test('a stale Lease makes the node Unknown and unreachable; pods are evicted per their tolerations; recovery removes the taints', async () => {
  await createNode('healthy');
  await createNode('stale');
  let healthyHeartbeat = true;
  heartbeats = setInterval(() => {
    if (healthyHeartbeat) renew('healthy').catch(() => {});
  }, 100);
  await createPod('on-healthy', 'healthy');
  await createPod('plain', 'stale');
  await createPod('tolerates-2s', 'stale', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]);
  await createPod('tolerates-forever', 'stale', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]);
  await createPod('zero-seconds', 'stale', [{ key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }]);

  // Not before the grace period.
  await sleep(300);
  assert.equal(cond(await node('stale'), 'Ready').status, 'True');

  const stale = await waitFor(async () => {
    const n = await node('stale');
    return (n.spec?.taints ?? []).some((t: any) => t.key === TAINT_NODE_UNREACHABLE && t.effect === 'NoExecute') ? n : undefined;
  }, 'the unreachable taint', 5000);
  const taintedAt = Date.now();
  for (const type of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
    const c = cond(stale, type);
    assert.equal(c.status, 'Unknown', type);
    assert.equal(c.reason, 'NodeStatusUnknown');
    assert.equal(c.message, 'Kubelet stopped posting node status.');
  }
  const noExec = stale.spec.taints.find((t: any) => t.key === TAINT_NODE_UNREACHABLE && t.effect === 'NoExecute');
  assert.ok(noExec.timeAdded, 'NoExecute taint has timeAdded');
  assert.ok(stale.spec.taints.some((t: any) => t.key === TAINT_NODE_UNREACHABLE && t.effect === 'NoSchedule'));

  // The healthy node is untouched.
  const h = await node('healthy');
  assert.equal(cond(h, 'Ready').status, 'True');
  assert.equal(h.spec?.taints, undefined);

  // tolerationSeconds 0: evicted at once. A plain pod got the API server's default
  // 300 s tolerations (DefaultTolerationSeconds admission), so it stays for now.
  await waitFor(() => evicted('zero-seconds'), 'the pod tolerating 0 s evicted', 2000);
  assert.equal(await evicted('tolerates-2s'), false, 'tolerating pod not evicted at once');
  // Pods on the unreachable node are marked not ready.
  await waitFor(async () => cond(await admin.get('/api/v1/namespaces/nl/pods/tolerates-forever'), 'Ready')?.status === 'False', 'pod marked Ready=False');
  assert.equal(cond(await admin.get('/api/v1/namespaces/nl/pods/on-healthy'), 'Ready').status, 'True');

  await waitFor(() => evicted('tolerates-2s'), 'the tolerating pod evicted after its tolerationSeconds', 4000);
  assert.ok(Date.now() - taintedAt >= 900, 'not before the toleration expired');
  assert.equal(await evicted('tolerates-forever'), false);
  assert.equal(await evicted('plain'), false, 'the default 300 s toleration still runs');
  const plain = await admin.get('/api/v1/namespaces/nl/pods/plain');
  assert.ok(plain.spec.tolerations.some((t: any) => t.key === TAINT_NODE_UNREACHABLE && t.tolerationSeconds === 300));
  assert.equal(await evicted('on-healthy'), false);

  // Recovery: the kubelet posts Ready again and renews its Lease.
  await setReady('stale', 'True');
  await renew('stale');
  const back = await waitFor(async () => {
    const n = await node('stale');
    return (n.spec?.taints ?? []).length === 0 ? n : undefined;
  }, 'taints removed', 3000);
  assert.equal(cond(back, 'Ready').status, 'True');
  healthyHeartbeat = false;
});

test('a Ready=False node gets the not-ready taints', async () => {
  await createNode('notready');
  const hb = setInterval(() => renew('notready').catch(() => {}), 100);
  try {
    await setReady('notready', 'False');
    const n = await waitFor(async () => {
      const n = await node('notready');
      return (n.spec?.taints ?? []).length === 2 ? n : undefined;
    }, 'not-ready taints');
    assert.deepEqual(n.spec.taints.map((t: any) => `${t.key}:${t.effect}`).sort(), [`${TAINT_NODE_NOT_READY}:NoExecute`, `${TAINT_NODE_NOT_READY}:NoSchedule`]);
    assert.equal(cond(n, 'Ready').status, 'False');
    await setReady('notready', 'True');
    await waitFor(async () => ((await node('notready')).spec?.taints ?? []).length === 0, 'not-ready taints removed');
  } finally {
    clearInterval(hb);
  }
});

test('desiredTaints keeps other taints and timeAdded, and is idempotent', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const n: any = { spec: { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
  const t = desiredTaints(n, now)!;
  assert.deepEqual(t, [
    { key: 'dedicated', value: 'x', effect: 'NoSchedule' },
    { key: TAINT_NODE_UNREACHABLE, effect: 'NoSchedule' },
    { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
  ]);
  assert.equal(desiredTaints({ ...n, spec: { taints: t } }, now + 5000), undefined);
  // Ready False swaps unreachable for not-ready; True removes both.
  const f = desiredTaints({ spec: { taints: t }, status: { conditions: [{ type: 'Ready', status: 'False' }] } } as any, now)!;
  assert.deepEqual(f.map((x) => `${x.key}:${x.effect}`), ['dedicated:NoSchedule', `${TAINT_NODE_NOT_READY}:NoSchedule`, `${TAINT_NODE_NOT_READY}:NoExecute`]);
  assert.deepEqual(desiredTaints({ spec: { taints: t }, status: { conditions: [{ type: 'Ready', status: 'True' }] } } as any, now), [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
});

test('markConditionsUnknown: never-posted conditions are added; already Unknown is a no-op', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const s = markConditionsUnknown({ metadata: { creationTimestamp: '2025-12-31T00:00:00Z' }, status: {} } as any, now);
  assert.equal(s.conditions.length, 4);
  assert.ok(s.conditions.every((c: any) => c.status === 'Unknown' && c.reason === 'NodeStatusNeverUpdated' && c.message === 'Kubelet never posted node status.'));
  assert.equal(markConditionsUnknown({ status: s } as any, now), undefined);
});

test('toleratesTaint and evictionTime follow upstream', () => {
  const taint = { key: 'k', value: 'v', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' };
  assert.equal(toleratesTaint({ operator: 'Exists' }, taint), true);
  assert.equal(toleratesTaint({ key: 'k', value: 'v' }, taint), true);
  assert.equal(toleratesTaint({ key: 'k', value: 'w' }, taint), false);
  assert.equal(toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, taint), false);
  const now = Date.parse('2026-01-01T00:00:10Z');
  const pod = (tolerations: any[]): any => ({ spec: { tolerations } });
  assert.equal(evictionTime(pod([]), [taint], now), now);
  assert.equal(evictionTime(pod([{ operator: 'Exists' }]), [taint], now), undefined);
  assert.equal(evictionTime(pod([{ operator: 'Exists', tolerationSeconds: 30 }, { key: 'k', operator: 'Exists', tolerationSeconds: 60 }]), [taint], now), Date.parse('2026-01-01T00:00:30Z'));
  assert.equal(evictionTime(pod([{ operator: 'Exists', tolerationSeconds: -5 }]), [taint], now), Date.parse('2026-01-01T00:00:00Z'));
});
