// The DaemonSet controller against an in-process API server: one pod per
// eligible node (nodeSelector, taints and tolerations), nodes coming and
// going, RollingUpdate within maxUnavailable or maxSurge, OnDelete, status, events;
// and the pure placement and update helpers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiServer } from '../apiserver/api-server.js';
import type { InProcessClient } from '../client/in-process.js';
import { SharedInformerFactory } from '../client/informer.js';
import {
  DaemonSetController,
  allowsSurge,
  computeNodeActions,
  countedDaemonPod,
  daemonSetMaxSurge,
  daemonSetMaxUnavailable,
  daemonSetTolerations,
  getTargetNodeName,
  nodeShouldRunDaemonPod,
  replaceNodeNameAffinity,
  rollingUpdate,
  rollingUpdateDeletions,
  nodesToDaemonPods,
} from './daemonset.js';
import { ApiEventRecorder } from './events.js';
import { listPods, markPodReady, startTestApi, waitFor, sleep } from './testing.js';

const NS = 'default';
const dsPath = `/apis/apps/v1/namespaces/${NS}/daemonsets`;

interface Env {
  api: ApiServer;
  client: InProcessClient;
  admin: InProcessClient;
  dsc: DaemonSetController;
  recorder: ApiEventRecorder;
  done: () => Promise<void>;
}

async function setup(): Promise<Env> {
  const { api, client, admin } = await startTestApi();
  await admin.create('/api/v1/namespaces', { metadata: { name: NS } }).catch(() => undefined);
  const factory = new SharedInformerFactory(client);
  const recorder = new ApiEventRecorder(client, 'daemonset-controller');
  const dsc = new DaemonSetController(client, factory, { recorder });
  factory.start();
  const running = dsc.run(2);
  return {
    api,
    client,
    admin,
    dsc,
    recorder,
    done: async () => {
      await dsc.stop();
      await running;
      await recorder.flush();
      recorder.stop();
      factory.stop();
      await api.stop();
    },
  };
}

const readyNode = (name: string, labels: Record<string, string> = {}, taints: any[] = []) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
  spec: taints.length ? { taints } : {},
  status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] },
});

const daemonSet = (name: string, podSpec: any = {}, extra: any = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }], ...podSpec } },
    ...extra,
  },
});

const nodeOf = (p: any) => getTargetNodeName(p);

async function podsByNode(admin: InProcessClient, app: string): Promise<Map<string, any[]>> {
  const m = new Map<string, any[]>();
  for (const p of await listPods(admin, NS, `app=${app}`)) {
    const n = nodeOf(p) ?? '';
    m.set(n, [...(m.get(n) ?? []), p]);
  }
  return m;
}

async function waitNodes(admin: InProcessClient, app: string, nodes: string[], what: string): Promise<Map<string, any[]>> {
  return waitFor(async () => {
    const m = await podsByNode(admin, app);
    const keys = [...m.keys()].sort();
    return keys.join(',') === [...nodes].sort().join(',') && [...m.values()].every((l) => l.length === 1) ? m : undefined;
  }, what);
}

test('one pod per node, placed by node affinity, labelled and owned; events and status', async () => {
  const env = await setup();
  try {
    for (const n of ['n1', 'n2', 'n3']) await env.admin.create('/api/v1/nodes', readyNode(n));
    const ds = await env.admin.create(dsPath, daemonSet('agent'));
    const m = await waitNodes(env.admin, 'agent', ['n1', 'n2', 'n3'], 'a pod on each of 3 nodes');
    for (const [node, [p]] of m) {
      assert.match(p.metadata.name, /^agent-[a-z0-9]{5}$/);
      assert.deepEqual(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution, {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
      });
      assert.equal(p.spec.nodeName, undefined, 'the scheduler binds it');
      const ref = p.metadata.ownerReferences[0];
      assert.equal(ref.kind, 'DaemonSet');
      assert.equal(ref.uid, ds.metadata.uid);
      assert.equal(ref.controller, true);
      assert.ok(p.metadata.labels['controller-revision-hash']);
      assert.equal(p.metadata.labels['pod-template-generation'], '1');
      const keys = p.spec.tolerations.map((t: any) => `${t.key}:${t.effect}`);
      for (const k of ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unschedulable:NoSchedule', 'node.kubernetes.io/disk-pressure:NoSchedule']) {
        assert.ok(keys.includes(k), k);
      }
      assert.ok(!keys.includes('node.kubernetes.io/network-unavailable:NoSchedule'));
    }
    // A ControllerRevision holds the template.
    const revs = (await env.admin.get(`/apis/apps/v1/namespaces/${NS}/controllerrevisions`)).items;
    assert.equal(revs.length, 1);
    assert.equal(revs[0].revision, 1);
    assert.equal(revs[0].metadata.ownerReferences[0].uid, ds.metadata.uid);
    assert.equal(revs[0].metadata.labels['controller-revision-hash'], [...m.values()][0][0].metadata.labels['controller-revision-hash']);
    const st = await waitFor(async () => {
      const cur = await env.admin.get(`${dsPath}/agent`);
      return cur.status?.currentNumberScheduled === 3 ? cur.status : undefined;
    }, 'status');
    assert.equal(st.desiredNumberScheduled, 3);
    assert.equal(st.numberMisscheduled, 0);
    assert.equal(st.numberReady, 0);
    assert.equal(st.numberUnavailable, 3);
    assert.equal(st.updatedNumberScheduled, 3);
    assert.equal(st.observedGeneration, 1);
    // Ready pods are counted.
    for (const [, [p]] of m) await markPodReady(env.admin, { ...p, spec: { ...p.spec, nodeName: nodeOf(p) } });
    const st2 = await waitFor(async () => {
      const cur = await env.admin.get(`${dsPath}/agent`);
      return cur.status?.numberAvailable === 3 ? cur.status : undefined;
    }, 'ready status');
    assert.equal(st2.numberReady, 3);
    assert.equal(st2.numberUnavailable, undefined, 'zero is omitted');
    await env.recorder.flush();
    const events = (await env.admin.get(`/api/v1/namespaces/${NS}/events`)).items.filter((e: any) => e.reason === 'SuccessfulCreate');
    assert.equal(events.length, 3);
    assert.equal(events[0].involvedObject.kind, 'DaemonSet');
    // Idempotent: nothing more happens.
    await sleep(100);
    assert.equal((await listPods(env.admin, NS, 'app=agent')).length, 3);
  } finally {
    await env.done();
  }
});

test('nodeSelector and taints: only eligible nodes; tolerations admit tainted nodes', async () => {
  const env = await setup();
  try {
    await env.admin.create('/api/v1/nodes', readyNode('plain'));
    await env.admin.create('/api/v1/nodes', readyNode('ssd', { disk: 'ssd' }));
    await env.admin.create('/api/v1/nodes', readyNode('tainted', { disk: 'ssd' }, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]));
    await env.admin.create(dsPath, daemonSet('sel', { nodeSelector: { disk: 'ssd' } }));
    await env.admin.create(dsPath, daemonSet('all'));
    await env.admin.create(dsPath, daemonSet('tol', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }));
    await waitNodes(env.admin, 'sel', ['ssd'], 'sel on ssd only');
    await waitNodes(env.admin, 'all', ['plain', 'ssd'], 'all on untainted nodes');
    await waitNodes(env.admin, 'tol', ['plain', 'ssd', 'tainted'], 'tol everywhere');
    const st = await waitFor(async () => {
      const cur = await env.admin.get(`${dsPath}/all`);
      return cur.status?.currentNumberScheduled === 2 ? cur.status : undefined;
    }, 'all status');
    assert.equal(st.desiredNumberScheduled, 2);
    // Labelling a node away from the selector removes its pod (misscheduled until then).
    const ssd = await env.admin.get('/api/v1/nodes/ssd');
    await env.admin.update('/api/v1/nodes/ssd', { ...ssd, metadata: { ...ssd.metadata, labels: { 'kubernetes.io/hostname': 'ssd' } } });
    await waitFor(async () => (await podsByNode(env.admin, 'sel')).size === 0, 'sel pod deleted');
    // A NoExecute taint evicts pods that do not tolerate it; a NoSchedule one does not.
    const plain = await env.admin.get('/api/v1/nodes/plain');
    await env.admin.update('/api/v1/nodes/plain', { ...plain, spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } });
    await sleep(150);
    assert.equal((await podsByNode(env.admin, 'all')).get('plain')?.length, 1, 'NoSchedule leaves the running pod');
    const st2 = await waitFor(async () => {
      const cur = await env.admin.get(`${dsPath}/all`);
      return cur.status?.numberMisscheduled === 1 ? cur.status : undefined;
    }, 'misscheduled');
    assert.equal(st2.desiredNumberScheduled, 1);
    const plain2 = await env.admin.get('/api/v1/nodes/plain');
    await env.admin.update('/api/v1/nodes/plain', { ...plain2, spec: { taints: [{ key: 'evict', effect: 'NoExecute' }] } });
    await waitNodes(env.admin, 'all', ['ssd'], 'all evicted from plain');
    await waitNodes(env.admin, 'tol', ['ssd', 'tainted'], 'tol evicted from plain');
  } finally {
    await env.done();
  }
});

test('a new node gets a pod; a removed node loses it; a deleted pod is replaced', async () => {
  const env = await setup();
  try {
    await env.admin.create('/api/v1/nodes', readyNode('a'));
    await env.admin.create(dsPath, daemonSet('logs'));
    await waitNodes(env.admin, 'logs', ['a'], 'pod on a');
    await env.admin.create('/api/v1/nodes', readyNode('b'));
    const m = await waitNodes(env.admin, 'logs', ['a', 'b'], 'pod on b too');
    await env.admin.delete('/api/v1/nodes/a', {});
    await waitNodes(env.admin, 'logs', ['b'], 'pod on a deleted');
    const old = m.get('b')![0];
    await env.admin.delete(`/api/v1/namespaces/${NS}/pods/${old.metadata.name}`, {});
    const m2 = await waitNodes(env.admin, 'logs', ['b'], 'pod on b replaced');
    assert.notEqual(m2.get('b')![0].metadata.name, old.metadata.name);
    await env.recorder.flush();
    const deleted = (await env.admin.get(`/api/v1/namespaces/${NS}/events`)).items.filter((e: any) => e.reason === 'SuccessfulDelete');
    assert.ok(deleted.length >= 1);
    const st = await waitFor(async () => {
      const cur = await env.admin.get(`${dsPath}/logs`);
      return cur.status?.desiredNumberScheduled === 1 && cur.status?.currentNumberScheduled === 1 ? cur.status : undefined;
    }, 'status after node removal');
    assert.equal(st.numberMisscheduled, 0);
  } finally {
    await env.done();
  }
});

test('RollingUpdate replaces pods without exceeding maxUnavailable', async () => {
  const env = await setup();
  try {
    const nodes = ['r1', 'r2', 'r3', 'r4'];
    for (const n of nodes) await env.admin.create('/api/v1/nodes', readyNode(n));
    await env.admin.create(dsPath, daemonSet('roll', {}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } }));
    const m = await waitNodes(env.admin, 'roll', nodes, 'initial pods');
    const oldHash = [...m.values()][0][0].metadata.labels['controller-revision-hash'];
    for (const [node, [p]] of m) await markPodReady(env.admin, { ...p, spec: { ...p.spec, nodeName: node } });
    await waitFor(async () => (await env.admin.get(`${dsPath}/roll`)).status?.numberAvailable === 4, 'all available');

    const cur = await env.admin.get(`${dsPath}/roll`);
    cur.spec.template.spec.containers[0].image = 'busybox:2';
    await env.admin.update(`${dsPath}/roll`, cur);

    // Act as a kubelet: make new pods ready, one at a time, checking the bound as we go.
    let maxDown = 0;
    await waitFor(
      async () => {
        const pods = await listPods(env.admin, NS, 'app=roll');
        const fresh = pods.filter((p) => p.metadata.labels['controller-revision-hash'] !== oldHash);
        const readyOld = pods.filter((p) => p.metadata.labels['controller-revision-hash'] === oldHash && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
        const readyNew = fresh.filter((p) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
        maxDown = Math.max(maxDown, 4 - readyOld.length - readyNew.length);
        const notReady = fresh.find((p) => !readyNew.includes(p));
        if (notReady) await markPodReady(env.admin, { ...notReady, spec: { ...notReady.spec, nodeName: nodeOf(notReady) } }).catch(() => undefined);
        return readyNew.length === 4 && pods.length === 4;
      },
      'rollout complete',
      10000,
    );
    assert.ok(maxDown <= 2, `at most 2 unavailable, saw ${maxDown}`);
    assert.ok(maxDown >= 1);
    for (const p of await listPods(env.admin, NS, 'app=roll')) {
      assert.equal(p.spec.containers[0].image, 'busybox:2');
      assert.equal(p.metadata.labels['pod-template-generation'], '2');
    }
    const st = await waitFor(async () => {
      const s = (await env.admin.get(`${dsPath}/roll`)).status;
      return s?.updatedNumberScheduled === 4 && s?.numberAvailable === 4 && s?.observedGeneration === 2 ? s : undefined;
    }, 'updated status');
    assert.equal(st.desiredNumberScheduled, 4);
    const revs = (await env.admin.get(`/apis/apps/v1/namespaces/${NS}/controllerrevisions`)).items;
    assert.deepEqual(revs.map((r: any) => r.revision).sort(), [1, 2]);
  } finally {
    await env.done();
  }
});

test('RollingUpdate with maxSurge 1: a new pod next to the old one, one node at a time, never a node without a ready pod', async () => {
  const env = await setup();
  try {
    const nodes = ['s1', 's2', 's3'];
    for (const n of nodes) await env.admin.create('/api/v1/nodes', readyNode(n));
    await env.admin.create(dsPath, daemonSet('surge', {}, { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } }));
    const m = await waitNodes(env.admin, 'surge', nodes, 'initial pods');
    const oldHash = [...m.values()][0][0].metadata.labels['controller-revision-hash'];
    for (const [node, [p]] of m) await markPodReady(env.admin, { ...p, spec: { ...p.spec, nodeName: node } });
    await waitFor(async () => (await env.admin.get(`${dsPath}/surge`)).status?.numberAvailable === 3, 'all available');

    const cur = await env.admin.get(`${dsPath}/surge`);
    cur.spec.template.spec.containers[0].image = 'busybox:2';
    await env.admin.update(`${dsPath}/surge`, cur);

    // Act as a kubelet, making one new pod ready at a time and checking every state seen.
    let maxDoubled = 0;
    let sawSurge = false;
    const isReady = (p: any) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
    await waitFor(
      async () => {
        const byNode = await podsByNode(env.admin, 'surge');
        const doubled = [...byNode.values()].filter((l) => l.length > 1);
        maxDoubled = Math.max(maxDoubled, doubled.length);
        for (const d of doubled) {
          // A surge pair is one old and one new pod.
          assert.deepEqual(d.map((p: any) => p.metadata.labels['controller-revision-hash'] === oldHash).sort(), [false, true]);
          sawSurge = true;
        }
        for (const n of nodes) assert.ok((byNode.get(n) ?? []).some(isReady), `node ${n} has a ready pod`);
        const fresh = [...byNode.values()].flat().filter((p) => p.metadata.labels['controller-revision-hash'] !== oldHash);
        const notReady = fresh.find((p) => !isReady(p));
        if (notReady) await markPodReady(env.admin, { ...notReady, spec: { ...notReady.spec, nodeName: nodeOf(notReady) } }).catch(() => undefined);
        return fresh.length === 3 && fresh.every(isReady) && [...byNode.values()].flat().length === 3;
      },
      'surge rollout complete',
      10000,
    );
    assert.equal(maxDoubled, 1, 'at most maxSurge nodes with two pods');
    assert.ok(sawSurge, 'old pods stayed until their replacement was ready');
    const st = await waitFor(async () => {
      const s = (await env.admin.get(`${dsPath}/surge`)).status;
      return s?.updatedNumberScheduled === 3 && s?.numberAvailable === 3 && s?.observedGeneration === 2 ? s : undefined;
    }, 'updated status');
    assert.equal(st.numberUnavailable, undefined);
    assert.equal(st.desiredNumberScheduled, 3);
  } finally {
    await env.done();
  }
});

test('OnDelete: a template change replaces only pods the user deletes', async () => {
  const env = await setup();
  try {
    for (const n of ['o1', 'o2']) await env.admin.create('/api/v1/nodes', readyNode(n));
    await env.admin.create(dsPath, daemonSet('od', {}, { updateStrategy: { type: 'OnDelete' } }));
    const m = await waitNodes(env.admin, 'od', ['o1', 'o2'], 'initial pods');
    const cur = await env.admin.get(`${dsPath}/od`);
    cur.spec.template.spec.containers[0].image = 'busybox:2';
    await env.admin.update(`${dsPath}/od`, cur);
    await waitFor(async () => (await env.admin.get(`${dsPath}/od`)).status?.observedGeneration === 2, 'observed');
    await sleep(100);
    const same = await podsByNode(env.admin, 'od');
    assert.equal(same.get('o1')![0].metadata.name, m.get('o1')![0].metadata.name);
    assert.equal(same.get('o2')![0].metadata.name, m.get('o2')![0].metadata.name);
    assert.equal((await env.admin.get(`${dsPath}/od`)).status.updatedNumberScheduled, undefined);
    await env.admin.delete(`/api/v1/namespaces/${NS}/pods/${m.get('o1')![0].metadata.name}`, {});
    const after = await waitFor(async () => {
      const x = await podsByNode(env.admin, 'od');
      return x.get('o1')?.[0]?.spec.containers[0].image === 'busybox:2' ? x : undefined;
    }, 'o1 replaced with the new template');
    assert.equal(after.get('o2')![0].spec.containers[0].image, 'busybox:1');
  } finally {
    await env.done();
  }
});

// ---- pure helpers ----

const node = (name: string, labels: Record<string, string> = {}, taints: any[] = [], ready = 'True'): any => ({
  metadata: { name, labels },
  spec: { taints },
  status: { conditions: [{ type: 'Ready', status: ready }] },
});

test('nodeShouldRunDaemonPod: selector, affinity, NoSchedule vs NoExecute, default tolerations', () => {
  const ds: any = daemonSet('x');
  assert.deepEqual(nodeShouldRunDaemonPod(node('n'), ds), { shouldRun: true, shouldContinueRunning: true });
  const sel: any = daemonSet('x', { nodeSelector: { a: 'b' } });
  assert.equal(nodeShouldRunDaemonPod(node('n'), sel).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('n', { a: 'b' }), sel).shouldRun, true);
  const aff: any = daemonSet('x', {
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }] } } },
  });
  assert.equal(nodeShouldRunDaemonPod(node('n', { zone: 'z2' }), aff).shouldContinueRunning, false);
  assert.equal(nodeShouldRunDaemonPod(node('n', { zone: 'z1' }), aff).shouldRun, true);
  assert.deepEqual(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', effect: 'NoSchedule' }]), ds), { shouldRun: false, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node('n', {}, [{ key: 'k', effect: 'NoExecute' }]), ds), { shouldRun: false, shouldContinueRunning: false });
  // Default tolerations: unschedulable, pressure and not-ready NoExecute taints are tolerated.
  for (const t of [
    { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
  ]) {
    assert.equal(nodeShouldRunDaemonPod(node('n', {}, [t]), ds).shouldRun, true, t.key);
  }
  const net = { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' };
  assert.equal(nodeShouldRunDaemonPod(node('n', {}, [net]), ds).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('n', {}, [net]), daemonSet('x', { hostNetwork: true }) as any).shouldRun, true);
  // spec.nodeName pins the DaemonSet to one node.
  assert.equal(nodeShouldRunDaemonPod(node('other'), daemonSet('x', { nodeName: 'n' }) as any).shouldRun, false);
});

test('daemonSetTolerations replaces a matching toleration instead of duplicating it', () => {
  const t = daemonSetTolerations({ tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] });
  const nr = t.filter((x) => x.key === 'node.kubernetes.io/not-ready');
  assert.deepEqual(nr, [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }]);
  assert.equal(t.length, 6);
});

test('replaceNodeNameAffinity keeps preferred terms; getTargetNodeName reads it back', () => {
  const pref = [{ weight: 1, preference: { matchExpressions: [{ key: 'a', operator: 'Exists' }] } }];
  const a = replaceNodeNameAffinity({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: pref, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }, 'n9');
  assert.deepEqual(a.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution, pref);
  assert.equal(getTargetNodeName({ spec: { affinity: a } } as any), 'n9');
  assert.equal(getTargetNodeName({ spec: { nodeName: 'bound', affinity: a } } as any), 'bound');
});

test('daemonSetMaxUnavailable: percentages round up; default 1', () => {
  const ds = (ru: any): any => ({ spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: ru } } });
  assert.equal(daemonSetMaxUnavailable(ds(undefined), 10), 1);
  assert.equal(daemonSetMaxUnavailable(ds({ maxUnavailable: '25%' }), 10), 3);
  assert.equal(daemonSetMaxUnavailable(ds({ maxUnavailable: 0, maxSurge: 0 }), 10), 1);
});

test('rollingUpdateDeletions: unavailable old pods always go; available ones within maxUnavailable', () => {
  const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2020-01-01T00:00:00Z' }] };
  const ds: any = { ...daemonSet('x'), metadata: { name: 'x', generation: 2 }, spec: { ...daemonSet('x').spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } } };
  const pod = (n: string, hash: string, isReady: boolean): any => ({
    metadata: { name: `p-${n}`, labels: { 'controller-revision-hash': hash, 'pod-template-generation': hash === 'new' ? '2' : '1' }, creationTimestamp: '2020-01-01T00:00:00Z' },
    spec: { nodeName: n },
    status: isReady ? ready : { phase: 'Pending' },
  });
  const nodes = ['a', 'b', 'c', 'd'].map((n) => node(n));
  const del = (pods: any[]) => rollingUpdateDeletions(ds, nodes, nodesToDaemonPods(pods), 'new', Date.now()).map((p: any) => p.metadata.name);
  assert.deepEqual(del([pod('a', 'old', true), pod('b', 'old', true), pod('c', 'old', true), pod('d', 'old', true)]), ['p-a']);
  // A new pod not yet available uses up the budget.
  assert.deepEqual(del([pod('a', 'new', false), pod('b', 'old', true), pod('c', 'old', true), pod('d', 'old', true)]), []);
  // An old pod that is not available is replaced regardless.
  assert.deepEqual(del([pod('a', 'new', false), pod('b', 'old', false), pod('c', 'old', true), pod('d', 'old', true)]), ['p-b']);
  assert.deepEqual(del([pod('a', 'new', true), pod('b', 'new', true), pod('c', 'new', true), pod('d', 'new', true)]), []);
});

test('daemonSetMaxSurge: ints, percentages rounding up, 0 when unset or OnDelete; allowsSurge', () => {
  const ds = (ru: any, type = 'RollingUpdate'): any => ({ spec: { updateStrategy: { type, rollingUpdate: ru } } });
  assert.equal(daemonSetMaxSurge(ds({ maxSurge: 2, maxUnavailable: 0 }), 10), 2);
  assert.equal(daemonSetMaxSurge(ds({ maxSurge: '25%', maxUnavailable: 0 }), 10), 3);
  assert.equal(daemonSetMaxSurge(ds({ maxUnavailable: 1 }), 10), 0);
  assert.equal(daemonSetMaxSurge(ds({ maxSurge: 1 }, 'OnDelete'), 10), 0);
  assert.equal(allowsSurge(ds({ maxSurge: '1%', maxUnavailable: 0 })), true, 'a percentage of one node rounds up to 1');
  assert.equal(allowsSurge(ds({ maxSurge: 0, maxUnavailable: 1 })), false);
  assert.equal(allowsSurge(ds({ maxSurge: 'x', maxUnavailable: 0 })), false);
});

// Surge decisions over pure data: pods old/new, ready since long ago or not.
const surgeDs = (maxSurge: number | string, minReadySeconds = 0): any => ({
  ...daemonSet('x'),
  metadata: { name: 'x', generation: 2 },
  spec: { ...daemonSet('x').spec, minReadySeconds, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable: 0 } } },
});
const surgePod = (name: string, nodeName: string, hash: string, state: 'ready' | 'fresh' | 'pending', created = '2020-01-01T00:00:00Z'): any => {
  const since = state === 'ready' ? '2020-01-01T00:00:00Z' : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    metadata: { name, labels: { 'controller-revision-hash': hash, 'pod-template-generation': hash === 'new' ? '2' : '1' }, creationTimestamp: created },
    spec: { nodeName },
    status: state === 'pending' ? { phase: 'Pending' } : { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] },
  };
};

test('rollingUpdate with maxSurge: candidates within maxSurge, unavailable old pods replaced at once, available new pods retire old ones', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((n) => node(n));
  const step = (ds: any, pods: any[]) => {
    const r = rollingUpdate(ds, nodes, nodesToDaemonPods(pods), 'new', Date.now());
    return { create: r.nodesNeedingPods, del: r.podsToDelete.map((p: any) => p.metadata.name) };
  };
  const allOld = ['a', 'b', 'c', 'd'].map((n) => surgePod(`o-${n}`, n, 'old', 'ready'));
  // Nothing surging yet: maxSurge nodes get a new pod, no pod is deleted.
  assert.deepEqual(step(surgeDs(1), allOld), { create: ['a'], del: [] });
  assert.deepEqual(step(surgeDs(2), allOld), { create: ['a', 'b'], del: [] });
  assert.deepEqual(step(surgeDs('50%'), allOld), { create: ['a', 'b'], del: [] });
  assert.deepEqual(step(surgeDs('30%'), allOld), { create: ['a', 'b'], del: [] }, '30% of 4 rounds up to 2');
  // A new pod not yet available is a surge in progress: no further candidates.
  const surging = [surgePod('n-a', 'a', 'new', 'pending'), ...allOld];
  assert.deepEqual(step(surgeDs(1), surging), { create: [], del: [] });
  assert.deepEqual(step(surgeDs(2), surging), { create: ['b'], del: [] });
  // Ready but within minReadySeconds still counts as surging.
  assert.deepEqual(step(surgeDs(1, 60), [surgePod('n-a', 'a', 'new', 'fresh'), ...allOld]), { create: [], del: [] });
  // The new pod available: the old one goes, and the surge budget is free again.
  assert.deepEqual(step(surgeDs(1), [surgePod('n-a', 'a', 'new', 'ready'), ...allOld]), { create: ['b'], del: ['o-a'] });
  // An unavailable old pod is replaced at once, beyond maxSurge.
  const broken = [surgePod('n-a', 'a', 'new', 'pending'), allOld[0], allOld[1], surgePod('o-c', 'c', 'old', 'pending'), allOld[3]];
  assert.deepEqual(step(surgeDs(1), broken), { create: ['c'], del: [] });
  // Up-to-date nodes and nodes waiting for their first pod are left to the manage step.
  assert.deepEqual(step(surgeDs(1), ['a', 'b', 'c'].map((n) => surgePod(`n-${n}`, n, 'new', 'ready'))), { create: [], del: [] });
  // Two old pods on a node: the manage step settles it first; it counts against maxSurge.
  assert.deepEqual(step(surgeDs(1), [...allOld, surgePod('o-a2', 'a', 'old', 'ready', '2020-01-02T00:00:00Z')]), { create: [], del: [] });
});

test('rollingUpdate with maxSurge: an old pod on a node that should no longer run it waits until the others cover the desired count', () => {
  // Node d is tainted NoSchedule: its pod may keep running, but no new pod goes there.
  const nodes = [node('a'), node('b'), node('c'), node('d', {}, [{ key: 'k', effect: 'NoSchedule' }])];
  const step = (pods: any[]) => rollingUpdate(surgeDs(1), nodes, nodesToDaemonPods(pods), 'new', Date.now()).podsToDelete.map((p: any) => p.metadata.name);
  const oldD = surgePod('o-d', 'd', 'old', 'ready');
  assert.deepEqual(step([...['a', 'b'].map((n) => surgePod(`n-${n}`, n, 'new', 'ready')), surgePod('n-c', 'c', 'new', 'pending'), oldD]), [], '2 of 3 desired available elsewhere');
  assert.deepEqual(step([...['a', 'b', 'c'].map((n) => surgePod(`n-${n}`, n, 'new', 'ready')), oldD]), ['o-d']);
  // Unavailable there: deleted at once, never replaced on that node.
  const r = rollingUpdate(surgeDs(1), nodes, nodesToDaemonPods([...['a', 'b'].map((n) => surgePod(`n-${n}`, n, 'new', 'ready')), surgePod('o-d', 'd', 'old', 'pending')]), 'new', Date.now());
  assert.deepEqual(r.podsToDelete.map((p: any) => p.metadata.name), ['o-d']);
  assert.deepEqual(r.nodesNeedingPods, []);
});

test('computeNodeActions with maxSurge: an old and a new pod coexist only while the old is ready and the new not yet available', () => {
  const nodes = [node('a')];
  const del = (ds: any, pods: any[]) => computeNodeActions(ds, nodes, nodesToDaemonPods(pods), 'new', Date.now()).podsToDelete.map((p: any) => p.metadata.name);
  const oldReady = surgePod('old', 'a', 'old', 'ready');
  assert.deepEqual(del(surgeDs(1), [oldReady, surgePod('new', 'a', 'new', 'pending', '2020-01-02T00:00:00Z')]), []);
  assert.deepEqual(del(surgeDs(1, 60), [oldReady, surgePod('new', 'a', 'new', 'fresh', '2020-01-02T00:00:00Z')]), [], 'within minReadySeconds');
  assert.deepEqual(del(surgeDs(1), [oldReady, surgePod('new', 'a', 'new', 'ready', '2020-01-02T00:00:00Z')]), ['old']);
  assert.deepEqual(del(surgeDs(1), [surgePod('old', 'a', 'old', 'pending'), surgePod('new', 'a', 'new', 'pending', '2020-01-02T00:00:00Z')]), ['old'], 'an old pod that is not ready goes');
  // Extra pods of either kind beyond the oldest go.
  assert.deepEqual(
    del(surgeDs(1), [oldReady, surgePod('new', 'a', 'new', 'pending', '2020-01-02T00:00:00Z'), surgePod('new2', 'a', 'new', 'pending', '2020-01-03T00:00:00Z'), surgePod('old2', 'a', 'old', 'ready', '2020-01-04T00:00:00Z')]),
    ['new2', 'old2'],
  );
  // Without surge only the oldest stays.
  const noSurge: any = { ...surgeDs(1), spec: { ...surgeDs(1).spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } } };
  assert.deepEqual(del(noSurge, [oldReady, surgePod('new', 'a', 'new', 'pending', '2020-01-02T00:00:00Z')]), ['new']);
});

test('countedDaemonPod: scheduled first, then the oldest; within one second the outdated pod is the older', () => {
  const name = (pods: any[]) => countedDaemonPod(pods, 'new', 2).metadata!.name;
  const t0 = '2020-01-01T00:00:00Z';
  const t1 = '2020-01-01T00:00:01Z';
  assert.equal(name([surgePod('b', 'a', 'old', 'ready', t1), surgePod('a', 'a', 'old', 'ready', t0)]), 'a');
  // The same second: the old pod is counted whatever the names.
  assert.equal(name([surgePod('a', 'a', 'new', 'pending', t0), surgePod('z', 'a', 'old', 'ready', t0)]), 'z');
  assert.equal(name([surgePod('z', 'a', 'new', 'pending', t0), surgePod('a', 'a', 'old', 'ready', t0)]), 'a');
  // An unscheduled pod comes after a scheduled one.
  const unscheduled = { ...surgePod('u', 'a', 'old', 'pending', t0), spec: {} };
  assert.equal(name([unscheduled, surgePod('s', 'a', 'new', 'ready', t1)]), 's');
});
