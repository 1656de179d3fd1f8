// NodeSimulator against a real in-process API server: node registration,
// lease heartbeats, node status refresh, pods driven to Running with IPs from
// the node's range, readiness gates, exits under each restartPolicy, graceful
// deletion, adoption by a restarted simulator, and a clean stop.

import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ApiServer } from '../apiserver/api-server.js';
import { MemoryStore } from '../storage/memory.js';
import { InProcessClient } from '../client/in-process.js';
import { isNotFound } from '../client/types.js';
import { NodeSimulator, startSimulatedNodes, EXIT_CODE_ANNOTATION, RUN_SECONDS_ANNOTATION } from './index.js';
import { cidrContains, parseCIDR } from './ip.js';

const ADMIN = { name: 'test', groups: ['system:masters'] };
const NS = 'sim';
let api: ApiServer;
let client: InProcessClient;
let sim: NodeSimulator;
const errors: string[] = [];
const cleanup: Array<() => unknown> = [];

before(async () => {
  api = new ApiServer({ store: new MemoryStore() });
  await api.start();
  client = new InProcessClient(api, ADMIN);
  await client.create('/api/v1/namespaces', { metadata: { name: NS } });
  sim = await startSimulatedNodes(client, {
    count: 3,
    labels: { zone: 'a' },
    taints: [{ key: 'sim', value: 'yes', effect: 'NoSchedule' }],
    heartbeatSeconds: 0.1,
    statusSeconds: 0.2,
    restartBackoffSeconds: 0.05,
    maxRestartBackoffSeconds: 0.2,
    onError: (err, context) => errors.push(`${context}: ${err instanceof Error ? err.message : String(err)}`),
  });
});

after(async () => {
  for (const c of cleanup.reverse()) await c();
  await sim?.stop();
  await api?.stop();
});

async function waitFor<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const podPath = (name: string) => `/api/v1/namespaces/${NS}/pods/${name}`;

function pod(name: string, node: string, extra: { annotations?: Record<string, string>; spec?: any } = {}): any {
  return {
    metadata: { name, annotations: extra.annotations },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx:1.25' }], ...(extra.spec ?? {}) },
  };
}

async function createPod(p: any): Promise<any> {
  return client.create(`/api/v1/namespaces/${NS}/pods`, p);
}

async function podWhen(name: string, cond: (p: any) => boolean, what: string, ms?: number): Promise<any> {
  return waitFor(async () => {
    const p = await client.get(podPath(name));
    return cond(p) ? p : undefined;
  }, `${name}: ${what}`, ms);
}

const cond = (p: any, type: string) => (p.status?.conditions ?? []).find((c: any) => c.type === type);

describe('nodes', () => {
  test('registers each node with the kubelet labels, spec and a healthy status', async () => {
    assert.deepEqual(sim.nodeNames(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
    const list = await client.get('/api/v1/nodes?labelSelector=type%3Dkts-sim');
    assert.equal(list.items.length, 3);
    const node = await client.get('/api/v1/nodes/sim-node-1');
    const l = node.metadata.labels;
    assert.equal(l['kubernetes.io/hostname'], 'sim-node-1');
    assert.equal(l['kubernetes.io/os'], 'linux');
    assert.equal(l['kubernetes.io/arch'], 'amd64');
    assert.equal(l.type, 'kts-sim');
    assert.equal(l.zone, 'a');
    assert.equal(node.spec.podCIDR, '10.244.1.0/24');
    assert.deepEqual(node.spec.podCIDRs, ['10.244.1.0/24']);
    assert.deepEqual(node.spec.taints, [{ key: 'sim', value: 'yes', effect: 'NoSchedule' }]);
    const st = node.status;
    assert.equal(st.capacity.cpu, '8');
    assert.equal(st.capacity.memory, '32Gi');
    assert.equal(st.capacity.pods, '110');
    assert.equal(st.capacity['ephemeral-storage'], '100Gi');
    assert.deepEqual(st.allocatable, st.capacity);
    const byType = Object.fromEntries(st.conditions.map((c: any) => [c.type, c]));
    assert.equal(byType.Ready.status, 'True');
    assert.equal(byType.Ready.reason, 'KubeletReady');
    assert.equal(byType.Ready.message, 'kubelet is posting ready status');
    assert.equal(byType.MemoryPressure.status, 'False');
    assert.equal(byType.MemoryPressure.reason, 'KubeletHasSufficientMemory');
    assert.equal(byType.DiskPressure.reason, 'KubeletHasNoDiskPressure');
    assert.equal(byType.PIDPressure.reason, 'KubeletHasSufficientPID');
    for (const c of st.conditions) {
      assert.ok(c.lastHeartbeatTime && c.lastTransitionTime);
    }
    assert.deepEqual(st.addresses, [
      { type: 'InternalIP', address: '10.200.0.2' },
      { type: 'Hostname', address: 'sim-node-1' },
    ]);
    assert.equal(st.nodeInfo.kubeletVersion, 'v1.32.0+kts');
    assert.equal(st.nodeInfo.containerRuntimeVersion, 'kts-sim://0.1');
    assert.equal(st.nodeInfo.operatingSystem, 'linux');
    assert.equal(st.nodeInfo.architecture, 'amd64');
    assert.match(st.nodeInfo.machineID, /^[0-9a-f]{32}$/);
    assert.match(st.nodeInfo.systemUUID, /^[0-9a-f-]{36}$/);
    assert.match(st.nodeInfo.bootID, /^[0-9a-f-]{36}$/);
    assert.ok(st.nodeInfo.osImage && st.nodeInfo.kernelVersion);
    assert.deepEqual(st.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    // Distinct per node.
    const other = await client.get('/api/v1/nodes/sim-node-2');
    assert.notEqual(other.status.addresses[0].address, st.addresses[0].address);
    assert.notEqual(other.status.nodeInfo.machineID, st.nodeInfo.machineID);
  });

  test('keeps a Lease per node in kube-node-lease and renews it', async () => {
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/sim-node-0';
    const first = await client.get(path);
    const node = await client.get('/api/v1/nodes/sim-node-0');
    assert.equal(first.spec.holderIdentity, 'sim-node-0');
    assert.equal(first.spec.leaseDurationSeconds, 40);
    assert.match(first.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.deepEqual(first.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'sim-node-0', uid: node.metadata.uid }]);
    const renewed = await waitFor(async () => {
      const l = await client.get(path);
      return l.spec.renewTime > first.spec.renewTime ? l : undefined;
    }, 'a lease renewal');
    assert.equal(renewed.spec.holderIdentity, 'sim-node-0');
    const leases = await client.get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
    for (const n of sim.nodeNames()) assert.ok(leases.items.some((l: any) => l.metadata.name === n), `lease for ${n}`);
    assert.ok(sim.stats.leaseRenewals > 0);
  });

  test('re-creates a deleted lease on the next heartbeat', async () => {
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/sim-node-2';
    const before = await client.get(path);
    await client.delete(path);
    const again = await waitFor(async () => {
      try {
        return await client.get(path);
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    }, 'the lease to come back');
    assert.notEqual(again.metadata.uid, before.metadata.uid);
    assert.equal(again.spec.holderIdentity, 'sim-node-2');
  });

  test('refreshes node conditions periodically', async () => {
    const start = sim.stats.nodeStatusUpdates;
    await waitFor(async () => sim.stats.nodeStatusUpdates >= start + 3, 'node status refreshes');
    const node = await client.get('/api/v1/nodes/sim-node-0');
    assert.equal(node.status.conditions.length, 4);
    assert.equal(node.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
    // A conditions-only patch keeps the rest of the status.
    assert.equal(node.status.capacity.cpu, '8');
    assert.equal(node.status.nodeInfo.kubeletVersion, 'v1.32.0+kts');
  });

  test('updates a node that already exists instead of failing', async () => {
    await client.create('/api/v1/nodes', { metadata: { name: 'pre-0', labels: { keep: 'me' } } });
    const s = new NodeSimulator(client, { count: 1, namePrefix: 'pre-', podCIDRBase: '10.250.0.0/16', heartbeatSeconds: 5, onError: () => {} });
    cleanup.push(() => s.stop());
    await s.start();
    const node = await client.get('/api/v1/nodes/pre-0');
    assert.equal(node.metadata.labels.keep, 'me');
    assert.equal(node.metadata.labels.type, 'kts-sim');
    assert.equal(node.spec.podCIDR, '10.250.0.0/24');
    assert.equal(node.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
    await s.stop();
  });
});

describe('pods', () => {
  test('a pod bound to a simulated node becomes Running with an IP from the node range', async () => {
    const created = await createPod(
      pod('web', 'sim-node-1', {
        spec: {
          initContainers: [{ name: 'init', image: 'busybox' }],
          containers: [
            { name: 'app', image: 'nginx:1.25' },
            { name: 'side', image: 'registry.local:5000/team/tool@sha256:abc' },
          ],
        },
      }),
    );
    const p = await podWhen('web', (x) => x.status?.phase === 'Running', 'Running');
    const st = p.status;
    assert.ok(cidrContains(parseCIDR('10.244.1.0/24'), st.podIP), st.podIP);
    assert.deepEqual(st.podIPs, [{ ip: st.podIP }]);
    assert.equal(st.hostIP, '10.200.0.2');
    assert.deepEqual(st.hostIPs, [{ ip: '10.200.0.2' }]);
    assert.ok(st.startTime);
    assert.equal(st.qosClass, created.status.qosClass);
    for (const t of ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready', 'PodScheduled']) {
      const c = cond(p, t);
      assert.ok(c, `condition ${t}`);
      assert.equal(c.status, 'True', t);
      assert.ok(c.lastTransitionTime, `${t} lastTransitionTime`);
    }
    assert.equal(st.containerStatuses.length, 2);
    const app = st.containerStatuses.find((c: any) => c.name === 'app');
    assert.equal(app.image, 'docker.io/library/nginx:1.25');
    assert.match(app.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.match(app.containerID, /^kts-sim:\/\/[0-9a-f]+$/);
    assert.equal(app.ready, true);
    assert.equal(app.started, true);
    assert.equal(app.restartCount, 0);
    assert.ok(app.state.running.startedAt);
    const side = st.containerStatuses.find((c: any) => c.name === 'side');
    assert.equal(side.imageID, 'registry.local:5000/team/tool@sha256:abc');
    assert.equal(st.initContainerStatuses.length, 1);
    const init = st.initContainerStatuses[0];
    assert.equal(init.state.terminated.exitCode, 0);
    assert.equal(init.state.terminated.reason, 'Completed');
    assert.equal(init.ready, true);
    // The image id is stable across pods.
    await createPod(pod('web2', 'sim-node-1'));
    const p2 = await podWhen('web2', (x) => x.status?.phase === 'Running', 'Running');
    assert.equal(p2.status.containerStatuses[0].imageID, app.imageID);
    assert.notEqual(p2.status.podIP, st.podIP);
  });

  test('pod IPs on a node are unique', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `many-${i}`);
    await Promise.all(names.map((n) => createPod(pod(n, 'sim-node-2'))));
    const ips = await waitFor(async () => {
      const list = await client.get(`/api/v1/namespaces/${NS}/pods?labelSelector=`);
      const ours = list.items.filter((p: any) => p.metadata.name.startsWith('many-'));
      if (ours.length !== names.length || !ours.every((p: any) => p.status.phase === 'Running')) return undefined;
      return ours.map((p: any) => p.status.podIP as string);
    }, 'all running');
    assert.equal(new Set(ips).size, ips.length);
    for (const ip of ips) assert.ok(cidrContains(parseCIDR('10.244.2.0/24'), ip), ip);
  });

  test('pods bound to other nodes are left alone', async () => {
    await createPod(pod('elsewhere', 'real-node'));
    await createPod(pod('control', 'sim-node-0'));
    await podWhen('control', (x) => x.status?.phase === 'Running', 'Running');
    const p = await client.get(podPath('elsewhere'));
    assert.equal(p.status.phase, 'Pending');
    assert.equal(p.status.containerStatuses, undefined);
  });

  test('Ready waits for the readiness gates', async () => {
    await createPod(pod('gated', 'sim-node-0', { spec: { readinessGates: [{ conditionType: 'example.com/lb' }] } }));
    let p = await podWhen('gated', (x) => x.status?.phase === 'Running', 'Running');
    assert.equal(cond(p, 'ContainersReady').status, 'True');
    assert.equal(cond(p, 'Ready').status, 'False');
    assert.equal(cond(p, 'Ready').reason, 'ReadinessGatesNotReady');
    assert.equal(cond(p, 'Ready').message, 'corresponding condition of pod readiness gate "example.com/lb" does not exist.');
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    await client.patch(
      `${podPath('gated')}/status`,
      { status: { conditions: [{ type: 'example.com/lb', status: 'False', lastTransitionTime: now }] } },
      'strategic',
    );
    p = await podWhen('gated', (x) => /is not "True", but False/.test(cond(x, 'Ready')?.message ?? ''), 'gate False message');
    assert.equal(cond(p, 'Ready').status, 'False');
    await client.patch(
      `${podPath('gated')}/status`,
      { status: { conditions: [{ type: 'example.com/lb', status: 'True', lastTransitionTime: now }] } },
      'strategic',
    );
    p = await podWhen('gated', (x) => cond(x, 'Ready')?.status === 'True', 'Ready');
    assert.equal(cond(p, 'example.com/lb').status, 'True', 'the gate condition is kept');
  });

  test('start delay: Pending with containers being created, then Running', async () => {
    const s = new NodeSimulator(client, { count: 1, namePrefix: 'slow-', podCIDRBase: '10.251.0.0/16', podStartDelayMs: 300, heartbeatSeconds: 5, onError: () => {} });
    cleanup.push(() => s.stop());
    await s.start();
    await createPod(pod('slow', 'slow-0'));
    const pending = await podWhen('slow', (x) => !!x.status?.containerStatuses, 'a Pending status');
    assert.equal(pending.status.phase, 'Pending');
    assert.equal(pending.status.containerStatuses[0].state.waiting.reason, 'ContainerCreating');
    assert.equal(cond(pending, 'PodReadyToStartContainers').status, 'False');
    assert.equal(cond(pending, 'Ready').reason, 'ContainersNotReady');
    assert.equal(cond(pending, 'Ready').message, 'containers with unready status: [app]');
    assert.equal(pending.status.podIP, undefined);
    const running = await podWhen('slow', (x) => x.status?.phase === 'Running', 'Running');
    assert.ok(cidrContains(parseCIDR('10.251.0.0/24'), running.status.podIP));
    assert.equal(running.status.startTime, pending.status.startTime);
    await s.stop();
  });
});

describe('exits and restart policies', () => {
  const exiting = (name: string, code: number, policy: string, runSeconds?: number) =>
    createPod(
      pod(name, 'sim-node-0', {
        annotations: { [EXIT_CODE_ANNOTATION]: String(code), ...(runSeconds !== undefined ? { [RUN_SECONDS_ANNOTATION]: String(runSeconds) } : {}) },
        spec: { restartPolicy: policy },
      }),
    );

  test('exit 0 with restartPolicy Never: Succeeded, Completed', async () => {
    await exiting('ok-never', 0, 'Never', 0.2);
    const p = await podWhen('ok-never', (x) => x.status?.phase === 'Succeeded', 'Succeeded');
    const c = p.status.containerStatuses[0];
    assert.equal(c.state.terminated.exitCode, 0);
    assert.equal(c.state.terminated.reason, 'Completed');
    assert.equal(c.ready, false);
    assert.equal(c.started, false);
    assert.ok(Date.parse(c.state.terminated.finishedAt) >= Date.parse(c.state.terminated.startedAt));
    assert.equal(cond(p, 'Ready').status, 'False');
    assert.equal(cond(p, 'Ready').reason, 'PodCompleted');
    assert.equal(cond(p, 'ContainersReady').reason, 'PodCompleted');
    assert.equal(cond(p, 'Initialized').reason, 'PodCompleted');
    assert.equal(cond(p, 'PodReadyToStartContainers').status, 'False');
    assert.ok(p.status.podIP, 'a finished pod keeps its IP in status');
  });

  test('non-zero exit with restartPolicy Never: Failed, Error', async () => {
    await exiting('bad-never', 3, 'Never');
    const p = await podWhen('bad-never', (x) => x.status?.phase === 'Failed', 'Failed');
    const c = p.status.containerStatuses[0];
    assert.equal(c.state.terminated.exitCode, 3);
    assert.equal(c.state.terminated.reason, 'Error');
    assert.equal(cond(p, 'Ready').reason, 'PodFailed');
  });

  test('restartPolicy OnFailure: exit 0 succeeds, a failure restarts', async () => {
    await exiting('ok-onfailure', 0, 'OnFailure');
    await podWhen('ok-onfailure', (x) => x.status?.phase === 'Succeeded', 'Succeeded');
    await exiting('bad-onfailure', 1, 'OnFailure', 0.1);
    const p = await podWhen('bad-onfailure', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 'two restarts');
    assert.equal(p.status.phase, 'Running');
    const c = p.status.containerStatuses[0];
    assert.equal(c.lastState.terminated.exitCode, 1);
    assert.equal(c.lastState.terminated.reason, 'Error');
  });

  test('restartPolicy Always: containers restart, the pod stays Running', async () => {
    await exiting('always', 0, 'Always', 0.1);
    const p = await podWhen('always', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 'two restarts');
    assert.equal(p.status.phase, 'Running');
    const c = p.status.containerStatuses[0];
    assert.equal(c.lastState.terminated.reason, 'Completed');
    assert.ok(c.state.running || c.state.waiting?.reason === 'CrashLoopBackOff', JSON.stringify(c.state));
    // A back-off shows up as CrashLoopBackOff with the pod not ready.
    const waiting = await podWhen('always', (x) => !!x.status?.containerStatuses?.[0]?.state?.waiting, 'CrashLoopBackOff');
    const w = waiting.status.containerStatuses[0];
    assert.equal(w.state.waiting.reason, 'CrashLoopBackOff');
    assert.match(w.state.waiting.message, /^back-off \d+s restarting failed container=app pod=always_sim\(/);
    assert.equal(w.ready, false);
    assert.equal(waiting.status.phase, 'Running');
    assert.equal(cond(waiting, 'Ready').status, 'False');
    assert.equal(cond(waiting, 'Ready').message, 'containers with unready status: [app]');
  });
});

describe('deletion', () => {
  test('a graceful deletion is finished by the simulator', async () => {
    await createPod(pod('doomed', 'sim-node-1', { spec: { terminationGracePeriodSeconds: 30 } }));
    const running = await podWhen('doomed', (x) => x.status?.phase === 'Running', 'Running');
    const seen: any[] = [];
    const watch = await client.watch(`/api/v1/namespaces/${NS}/pods?fieldSelector=metadata.name%3Ddoomed&resourceVersion=${running.metadata.resourceVersion}`, (ev) => seen.push(ev));
    cleanup.push(() => watch.stop());
    const deleted = await client.delete(podPath('doomed'));
    assert.ok(deleted.metadata.deletionTimestamp, 'graceful: the API server only marks the pod');
    await waitFor(async () => {
      try {
        await client.get(podPath('doomed'));
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    }, 'the pod to be gone');
    await waitFor(async () => seen.some((e) => e.type === 'DELETED'), 'the DELETED event');
    const last = seen.filter((e) => e.type === 'MODIFIED').at(-1)!.object;
    const c = last.status.containerStatuses[0];
    assert.equal(c.state.terminated.exitCode, 0);
    assert.ok(['Succeeded', 'Failed'].includes(last.status.phase), last.status.phase);
    assert.equal(cond(last, 'Ready').status, 'False');
  });

  test('deleting a pod that never started, and one that finished', async () => {
    const s = new NodeSimulator(client, { count: 1, namePrefix: 'never-', podCIDRBase: '10.252.0.0/16', podStartDelayMs: 60_000, heartbeatSeconds: 5, onError: () => {} });
    cleanup.push(() => s.stop());
    await s.start();
    await createPod(pod('unstarted', 'never-0'));
    await podWhen('unstarted', (x) => !!x.status?.containerStatuses, 'Pending status');
    await client.delete(podPath('unstarted'));
    await waitFor(async () => client.get(podPath('unstarted')).then(() => false, (e) => isNotFound(e)), 'unstarted pod gone');
    await s.stop();

    await createPod(pod('finished', 'sim-node-0', { annotations: { [EXIT_CODE_ANNOTATION]: '0' }, spec: { restartPolicy: 'Never' } }));
    await podWhen('finished', (x) => x.status?.phase === 'Succeeded', 'Succeeded');
    await client.delete(podPath('finished'));
    await waitFor(async () => client.get(podPath('finished')).then(() => false, (e) => isNotFound(e)), 'finished pod gone');
  });
});

describe('lifecycle', () => {
  test('a restarted simulator adopts running pods (same IP, same containers)', async () => {
    const opts = { count: 1, namePrefix: 'adopt-', podCIDRBase: '10.253.0.0/16', heartbeatSeconds: 5, onError: () => {} };
    const a = new NodeSimulator(client, opts);
    cleanup.push(() => a.stop());
    await a.start();
    await createPod(pod('adopted', 'adopt-0'));
    const before = await podWhen('adopted', (x) => x.status?.phase === 'Running', 'Running');
    await a.stop();
    const b = new NodeSimulator(client, opts);
    cleanup.push(() => b.stop());
    await b.start();
    await createPod(pod('fresh', 'adopt-0'));
    const fresh = await podWhen('fresh', (x) => x.status?.phase === 'Running', 'Running');
    assert.notEqual(fresh.status.podIP, before.status.podIP, 'the adopted IP is not handed out again');
    const after = await client.get(podPath('adopted'));
    assert.equal(after.status.podIP, before.status.podIP);
    assert.equal(after.status.containerStatuses[0].containerID, before.status.containerStatuses[0].containerID);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'nothing to rewrite');
    await b.stop();
  });

  test('stop() leaves no timers behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const baseline = timers();
    const s = new NodeSimulator(client, {
      count: 5,
      namePrefix: 'stop-',
      podCIDRBase: '10.254.0.0/16',
      heartbeatSeconds: 0.05,
      statusSeconds: 0.05,
      podStartDelayMs: 10_000,
      onError: () => {},
    });
    await s.start();
    await createPod(pod('stopper', 'stop-0', { annotations: { [EXIT_CODE_ANNOTATION]: '0', [RUN_SECONDS_ANNOTATION]: '100' } }));
    await podWhen('stopper', (x) => !!x.status?.containerStatuses, 'Pending status');
    assert.ok(timers() > baseline, 'the simulator has timers while running');
    await s.stop();
    await new Promise((r) => setImmediate(r));
    assert.equal(timers(), baseline);
    const renewals = s.stats.leaseRenewals;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(s.stats.leaseRenewals, renewals, 'no heartbeats after stop');
  });

  test('stop() during start() ends both', async () => {
    const s = new NodeSimulator(client, { count: 40, namePrefix: 'early-', podCIDRBase: '10.248.0.0/16', onError: () => {} });
    const started = s.start();
    await new Promise((r) => setImmediate(r));
    await s.stop();
    await started;
    assert.ok(s.stats.nodesRegistered < 40, `registration stopped early (${s.stats.nodesRegistered})`);
  });

  test('a deleted Node is reported once, not at every status refresh', async () => {
    const reported: string[] = [];
    const s = new NodeSimulator(client, { count: 1, namePrefix: 'gone-', podCIDRBase: '10.249.0.0/16', statusSeconds: 0.03, heartbeatSeconds: 5, onError: (_e, c) => reported.push(c) });
    cleanup.push(() => s.stop());
    await s.start();
    await client.delete('/api/v1/nodes/gone-0');
    await waitFor(async () => reported.length > 0, 'the report');
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(reported, ['updating the status of gone-0']);
    await s.stop();
  });

  test('pod CIDRs that would run into the node addresses are refused', () => {
    assert.throws(() => new NodeSimulator(client, { count: 300, podCIDRBase: '10.199.0.0/16', nodeIPBase: '10.200.0.0' }), /overlap the node addresses/);
    assert.doesNotThrow(() => new NodeSimulator(client, { count: 256, podCIDRBase: '10.199.0.0/16', nodeIPBase: '10.200.0.0' }));
  });

  test('no errors were reported', () => {
    assert.deepEqual(errors, []);
  });
});
