// The scheduler against a real in-process API server (memory store): pods
// created through the API get bound, events and conditions are written, and
// cluster changes unblock pending pods.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer } from '../apiserver/api-server.js';
import { MemoryStore } from '../storage/memory.js';
import { InProcessClient } from '../client/index.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { startScheduler } from './index.js';

const SCHEDULER_USER = { name: 'system:kube-scheduler', groups: ['system:authenticated'] };
const ADMIN = { name: 'admin', groups: ['system:masters'] };
const cleanups: Array<() => Promise<void>> = [];

after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function env(opts: SchedulerOptions = {}, start = true) {
  const api = new ApiServer({ store: new MemoryStore() });
  await api.start();
  const admin = new InProcessClient(api, ADMIN);
  const schedClient = new InProcessClient(api, SCHEDULER_USER);
  const errors: string[] = [];
  const scheduler = new Scheduler(schedClient, { initialBackoffMs: 50, maxBackoffMs: 200, onError: (e, c) => errors.push(`${c}: ${e}`), ...opts });
  cleanups.push(async () => {
    await scheduler.stop();
    await api.stop();
  });
  if (start) await scheduler.start();
  return { api, admin, schedClient, scheduler, errors };
}

function node(name: string, o: { cpu?: string; pods?: string; labels?: Record<string, string>; taints?: any[]; ready?: string } = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: o.taints ? { taints: o.taints } : {},
    status: { allocatable: { cpu: o.cpu ?? '4', memory: '8Gi', pods: o.pods ?? '110' }, conditions: [{ type: 'Ready', status: o.ready ?? 'True' }] },
  };
}

function pod(name: string, o: { cpu?: string; labels?: Record<string, string>; tolerations?: any[]; nodeSelector?: Record<string, string>; priorityClassName?: string; schedulerName?: string; grace?: number } = {}) {
  const spec: any = { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: o.cpu ?? '100m' } } }] };
  if (o.tolerations) spec.tolerations = o.tolerations;
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector;
  if (o.priorityClassName) spec.priorityClassName = o.priorityClassName;
  if (o.schedulerName) spec.schedulerName = o.schedulerName;
  if (o.grace !== undefined) spec.terminationGracePeriodSeconds = o.grace;
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: o.labels ?? {} }, spec };
}

async function eventually<T>(fn: () => Promise<T | undefined | false>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const getPod = (c: InProcessClient, name: string, ns = 'default') => c.get(`/api/v1/namespaces/${ns}/pods/${name}`);
const boundTo = (c: InProcessClient, name: string) => eventually(async () => (await getPod(c, name)).spec.nodeName as string | undefined, `${name} to be bound`);
const eventsFor = async (c: InProcessClient, name: string) => (await c.get('/api/v1/namespaces/default/events')).items.filter((e: any) => e.involvedObject?.name === name);

test('binds pending pods, spreads them across nodes, and records Scheduled events', async () => {
  const { admin } = await env();
  for (const n of ['n1', 'n2', 'n3']) await admin.create('/api/v1/nodes', node(n));
  for (let i = 0; i < 9; i++) await admin.create('/api/v1/namespaces/default/pods', pod(`web-${i}`, { cpu: '1' }));
  const perNode = new Map<string, number>();
  for (let i = 0; i < 9; i++) {
    const n = await boundTo(admin, `web-${i}`);
    perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  assert.deepEqual([...perNode.values()].sort(), [3, 3, 3], 'four cpus per node, one-cpu pods: LeastAllocated spreads them');

  const p = await getPod(admin, 'web-0');
  assert.equal(p.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
  const ev = await eventually(async () => (await eventsFor(admin, 'web-0')).find((e: any) => e.reason === 'Scheduled'), 'Scheduled event');
  assert.equal(ev.type, 'Normal');
  assert.equal(ev.message, `Successfully assigned default/web-0 to ${p.spec.nodeName}`);
  assert.equal(ev.reportingComponent, 'default-scheduler');
  assert.equal(ev.source.component, 'default-scheduler');
  assert.equal(ev.action, 'Binding');
  assert.equal(ev.involvedObject.kind, 'Pod');
  assert.equal(ev.involvedObject.uid, p.metadata.uid);
  assert.ok(ev.involvedObject.resourceVersion);
});

test('system default spreading: pods of a ReplicaSet or a Service avoid the node holding their siblings; other pods do not', async () => {
  const { admin, scheduler } = await env();
  await admin.create('/api/v1/nodes', node('a'));
  await admin.create('/api/v1/nodes', node('b'));
  const rs = await admin.create('/apis/apps/v1/namespaces/default/replicasets', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web' },
    spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  const ownedBy = (p: any) => ({ ...p, metadata: { ...p.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true }] } });
  const placed = (p: any, nodeName: string) => ({ ...p, spec: { ...p.spec, nodeName } });
  // a: two small web pods; b: one big pod of something else, so resource scores favour a.
  await admin.create('/api/v1/namespaces/default/pods', placed(ownedBy(pod('web-1', { labels: { app: 'web' } })), 'a'));
  await admin.create('/api/v1/namespaces/default/pods', placed(ownedBy(pod('web-2', { labels: { app: 'web' } })), 'a'));
  await admin.create('/api/v1/namespaces/default/pods', placed(pod('big', { cpu: '1', labels: { app: 'db' } }), 'b'));
  await eventually(async () => scheduler.cache.nodeOfPod((await getPod(admin, 'big')).metadata.uid) === 'b', 'the cache to hold the placed pods');

  await admin.create('/api/v1/namespaces/default/pods', pod('loose', { labels: { app: 'web' } }));
  assert.equal(await boundTo(admin, 'loose'), 'a', 'nothing selects it: no default spreading, the emptier node wins');
  await admin.delete('/api/v1/namespaces/default/pods/loose', { gracePeriodSeconds: 0 });
  await eventually(async () => scheduler.cache.numNodes === 2 && scheduler.cache.nodeInfo('a')!.pods.size === 2, 'loose to leave the cache');

  await admin.create('/api/v1/namespaces/default/pods', ownedBy(pod('web-3', { labels: { app: 'web' } })));
  assert.equal(await boundTo(admin, 'web-3'), 'b', 'its ReplicaSet selects two pods on a');
  await admin.create('/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 80 }] } });
  for (const n of ['api-1', 'api-2']) await admin.create('/api/v1/namespaces/default/pods', placed(pod(n, { labels: { app: 'api' } }), 'a'));
  await eventually(async () => scheduler.cache.nodeInfo('a')!.pods.size === 4, 'the api pods in the cache');
  await admin.create('/api/v1/namespaces/default/pods', pod('api-3', { labels: { app: 'api' } }));
  assert.equal(await boundTo(admin, 'api-3'), 'b', 'its Service selects two pods on a');
});

test('taints are respected; tolerations and node selectors steer pods', async () => {
  const { admin } = await env();
  await admin.create('/api/v1/nodes', node('cp', { labels: { role: 'cp' }, taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));
  await admin.create('/api/v1/nodes', node('worker'));
  await admin.create('/api/v1/nodes', node('down', { ready: 'False' }));
  for (let i = 0; i < 5; i++) await admin.create('/api/v1/namespaces/default/pods', pod(`app-${i}`));
  for (let i = 0; i < 5; i++) assert.equal(await boundTo(admin, `app-${i}`), 'worker');
  await admin.create(
    '/api/v1/namespaces/default/pods',
    pod('system', { nodeSelector: { role: 'cp' }, tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }),
  );
  assert.equal(await boundTo(admin, 'system'), 'cp');
});

test('an unschedulable pod gets FailedScheduling and PodScheduled=False, then schedules when a node is added', async () => {
  const { admin } = await env();
  await admin.create('/api/v1/nodes', node('small-1', { cpu: '1' }));
  await admin.create('/api/v1/nodes', node('small-2', { cpu: '1' }));
  await admin.create('/api/v1/nodes', node('cp', { cpu: '8', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));
  await admin.create('/api/v1/namespaces/default/pods', pod('big', { cpu: '2' }));
  const expected =
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
  const ev = await eventually(async () => (await eventsFor(admin, 'big')).find((e: any) => e.reason === 'FailedScheduling'), 'FailedScheduling event');
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, expected);
  assert.equal(ev.reportingComponent, 'default-scheduler');
  assert.equal(ev.source.component, 'default-scheduler');
  const cond = await eventually(async () => (await getPod(admin, 'big')).status.conditions?.find((c: any) => c.type === 'PodScheduled'), 'PodScheduled condition');
  assert.deepEqual([cond.status, cond.reason, cond.message], ['False', 'Unschedulable', expected]);

  // Nothing changes without a cluster event: the pod waits (no polling, no event spam).
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await getPod(admin, 'big')).spec.nodeName, undefined);
  assert.equal((await eventsFor(admin, 'big')).filter((e: any) => e.reason === 'FailedScheduling').length, 1);

  await admin.create('/api/v1/nodes', node('large', { cpu: '4' }));
  assert.equal(await boundTo(admin, 'big'), 'large');
  const done = await getPod(admin, 'big');
  assert.equal(done.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
});

test('a node update that adds room (allocatable, taint removed) unblocks a pod', async () => {
  const { admin } = await env();
  await admin.create('/api/v1/nodes', node('n', { cpu: '1', taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }));
  await admin.create('/api/v1/namespaces/default/pods', pod('p', { cpu: '2' }));
  await eventually(async () => (await eventsFor(admin, 'p')).some((e: any) => e.message.includes('untolerated taint {maintenance: }')), 'taint message');
  const n = await admin.get('/api/v1/nodes/n');
  n.spec.taints = [];
  await admin.update('/api/v1/nodes/n', n);
  await eventually(async () => (await eventsFor(admin, 'p')).some((e: any) => e.message === '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.'), 'cpu message');
  const n2 = await admin.get('/api/v1/nodes/n');
  n2.status.allocatable.cpu = '2';
  await admin.update('/api/v1/nodes/n/status', n2);
  assert.equal(await boundTo(admin, 'p'), 'n');
});

test('higher priority pods are scheduled first (priorityClassName resolved from PriorityClasses)', async () => {
  const { admin, scheduler } = await env({}, false);
  await admin.create('/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
  await admin.create('/api/v1/nodes', node('only', { cpu: '1' }));
  await admin.create('/api/v1/namespaces/default/pods', pod('first-low', { cpu: '1' }));
  await admin.create('/api/v1/namespaces/default/pods', pod('second-low', { cpu: '1' }));
  await admin.create('/api/v1/namespaces/default/pods', pod('late-high', { cpu: '1', priorityClassName: 'high' }));
  await scheduler.start();
  assert.equal(await boundTo(admin, 'late-high'), 'only');
  await eventually(async () => (await eventsFor(admin, 'first-low')).some((e: any) => e.reason === 'FailedScheduling'), 'low pod rejected');
  assert.equal((await getPod(admin, 'first-low')).spec.nodeName, undefined);
  assert.equal(scheduler.priorityOf(await getPod(admin, 'late-high')), 1000);
});

test('basic preemption: a high-priority pod evicts lower-priority pods and takes their node', async () => {
  const { admin } = await env();
  await admin.create('/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'critical' }, value: 100000 });
  await admin.create('/api/v1/nodes', node('n', { cpu: '2' }));
  await admin.create('/api/v1/namespaces/default/pods', pod('batch-1', { cpu: '1', grace: 0 }));
  await admin.create('/api/v1/namespaces/default/pods', pod('batch-2', { cpu: '1', grace: 0 }));
  await boundTo(admin, 'batch-1');
  await boundTo(admin, 'batch-2');

  await admin.create('/api/v1/namespaces/default/pods', pod('important', { cpu: '2', priorityClassName: 'critical' }));
  assert.equal(await boundTo(admin, 'important'), 'n');
  const remaining = (await admin.get('/api/v1/namespaces/default/pods')).items.map((p: any) => p.metadata.name);
  assert.deepEqual(remaining, ['important']);
  const failed = (await eventsFor(admin, 'important')).find((e: any) => e.reason === 'FailedScheduling');
  assert.equal(failed.message, '0/1 nodes are available: 1 Insufficient cpu.', 'preemption succeeded: no preemption part');
  const preempted = await eventually(async () => (await eventsFor(admin, 'batch-1')).find((e: any) => e.reason === 'Preempted'), 'Preempted event');
  const imp = await getPod(admin, 'important');
  assert.equal(preempted.message, `Preempted by pod ${imp.metadata.uid} on node n`);
});

test('preemption with graceful victims nominates the node and waits for them to go', async () => {
  const { admin } = await env();
  await admin.create('/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'critical' }, value: 100000 });
  await admin.create('/api/v1/nodes', node('n', { cpu: '1' }));
  await admin.create('/api/v1/namespaces/default/pods', pod('slow', { cpu: '1', grace: 30 }));
  await boundTo(admin, 'slow');
  await admin.create('/api/v1/namespaces/default/pods', pod('vip', { cpu: '1', priorityClassName: 'critical' }));
  const vip = await eventually(async () => {
    const p = await getPod(admin, 'vip');
    return p.status.nominatedNodeName ? p : undefined;
  }, 'nominatedNodeName');
  assert.equal(vip.status.nominatedNodeName, 'n');
  const slow = await getPod(admin, 'slow');
  assert.ok(slow.metadata.deletionTimestamp, 'victim is terminating');
  assert.equal(slow.status.conditions.find((c: any) => c.type === 'DisruptionTarget')?.reason, 'PreemptionByScheduler');
  assert.equal(vip.spec.nodeName, undefined);
  // The kubelet would finish the deletion; do it here.
  await admin.delete('/api/v1/namespaces/default/pods/slow', { gracePeriodSeconds: 0 });
  assert.equal(await boundTo(admin, 'vip'), 'n');
});

test('pods for another scheduler, and pods already assigned, are left alone', async () => {
  const { admin } = await env();
  await admin.create('/api/v1/nodes', node('n'));
  await admin.create('/api/v1/namespaces/default/pods', pod('mine'));
  await admin.create('/api/v1/namespaces/default/pods', pod('theirs', { schedulerName: 'other-scheduler' }));
  await boundTo(admin, 'mine');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await getPod(admin, 'theirs')).spec.nodeName, undefined);
  assert.equal((await eventsFor(admin, 'theirs')).length, 0);
});

test('pods with scheduling gates wait until the gates are removed', async () => {
  const { admin } = await env();
  await admin.create('/api/v1/nodes', node('n'));
  const gated: any = pod('gated');
  gated.spec.schedulingGates = [{ name: 'example.com/wait' }];
  await admin.create('/api/v1/namespaces/default/pods', gated);
  await new Promise((r) => setTimeout(r, 100));
  const p = await getPod(admin, 'gated');
  assert.equal(p.spec.nodeName, undefined);
  assert.equal((await eventsFor(admin, 'gated')).length, 0);
  p.spec.schedulingGates = [];
  await admin.update('/api/v1/namespaces/default/pods/gated', p);
  assert.equal(await boundTo(admin, 'gated'), 'n');
});

test('a second scheduler with its own name schedules only its pods', async () => {
  const { admin, schedClient } = await env();
  await admin.create('/api/v1/nodes', node('n'));
  const other = new Scheduler(schedClient, { schedulerName: 'other-scheduler', onError: () => {} });
  cleanups.push(() => other.stop());
  await other.start();
  await admin.create('/api/v1/namespaces/default/pods', pod('theirs', { schedulerName: 'other-scheduler' }));
  assert.equal(await boundTo(admin, 'theirs'), 'n');
  const ev = await eventually(async () => (await eventsFor(admin, 'theirs')).find((e: any) => e.reason === 'Scheduled'), 'event');
  assert.equal(ev.source.component, 'other-scheduler');
});

test('leader election: only the Lease holder schedules; a standby takes over when it stops', async () => {
  const api = new ApiServer({ store: new MemoryStore() });
  await api.start();
  cleanups.push(() => api.stop());
  const admin = new InProcessClient(api, ADMIN);
  const client = new InProcessClient(api, SCHEDULER_USER);
  const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100, onError: () => {} };
  const a = await startScheduler(client, { identity: 'sched-a', leaderElection: true, ...timing });
  cleanups.push(() => a.stop());
  await eventually(async () => a.isLeading(), 'a to lead');
  const b = await startScheduler(client, { identity: 'sched-b', leaderElection: true, ...timing });
  cleanups.push(() => b.stop());
  const lease = await admin.get('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler');
  assert.equal(lease.spec.holderIdentity, 'sched-a');

  await admin.create('/api/v1/nodes', node('n'));
  await admin.create('/api/v1/namespaces/default/pods', pod('p1'));
  await boundTo(admin, 'p1');
  assert.equal(b.isLeading(), false);
  const ev = await eventually(async () => (await eventsFor(admin, 'p1')).find((e: any) => e.reason === 'Scheduled'), 'event');
  assert.equal(ev.reportingInstance, 'sched-a');

  await a.stop();
  await eventually(async () => b.isLeading(), 'b to take over', 5000);
  await admin.create('/api/v1/namespaces/default/pods', pod('p2'));
  await boundTo(admin, 'p2');
  const ev2 = await eventually(async () => (await eventsFor(admin, 'p2')).find((e: any) => e.reason === 'Scheduled'), 'event');
  assert.equal(ev2.reportingInstance, 'sched-b');
});
