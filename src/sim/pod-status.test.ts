// The simulated runtime's state machine and the PodStatus built from it,
// without an API server.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  adoptSimPod,
  advanceSimPod,
  buildPodStatus,
  exitSpecOf,
  imageIDFor,
  killSimPod,
  newSimPod,
  normalizeImage,
  phaseOf,
  semanticEqual,
  startSimPod,
  type SimRuntimeOptions,
} from './pod-status.js';

let ids = 0;
const OPTS: SimRuntimeOptions = { backoffBaseMs: 10_000, backoffMaxMs: 300_000, newContainerID: () => `kts-sim://id${++ids}` };
const T0 = Date.parse('2025-01-01T00:00:00Z');

function pod(opts: { policy?: string; exit?: number; run?: number; init?: any[]; containers?: any[]; gates?: string[]; conditions?: any[] } = {}): any {
  const annotations: Record<string, string> = {};
  if (opts.exit !== undefined) annotations['sim.kts.io/exit-code'] = String(opts.exit);
  if (opts.run !== undefined) annotations['sim.kts.io/run-seconds'] = String(opts.run);
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', annotations },
    spec: {
      restartPolicy: opts.policy ?? 'Always',
      initContainers: opts.init,
      containers: opts.containers ?? [{ name: 'app', image: 'nginx' }],
      readinessGates: opts.gates?.map((conditionType) => ({ conditionType })),
    },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: opts.conditions },
  };
}

function started(p: any, now = T0) {
  const sim = newSimPod(p, now, '10.200.0.1');
  startSimPod(sim, now, '10.244.0.2', OPTS);
  return sim;
}

const cond = (st: any, type: string) => st.conditions.find((c: any) => c.type === type);

describe('images', () => {
  test('normalizes references as containerd reports them', () => {
    assert.equal(normalizeImage('nginx'), 'docker.io/library/nginx:latest');
    assert.equal(normalizeImage('nginx:1.25'), 'docker.io/library/nginx:1.25');
    assert.equal(normalizeImage('team/app:v1'), 'docker.io/team/app:v1');
    assert.equal(normalizeImage('registry.local:5000/x/y'), 'registry.local:5000/x/y:latest');
    assert.equal(normalizeImage('localhost/foo:1'), 'localhost/foo:1');
    assert.equal(normalizeImage('nginx@sha256:abc'), 'docker.io/library/nginx@sha256:abc');
  });

  test('image ids are fake digests, stable per reference', () => {
    assert.match(imageIDFor('nginx:1.25'), /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.equal(imageIDFor('nginx:1.25'), imageIDFor('docker.io/library/nginx:1.25'));
    assert.notEqual(imageIDFor('nginx:1.25'), imageIDFor('nginx:1.26'));
    assert.equal(imageIDFor('nginx@sha256:abc'), 'docker.io/library/nginx@sha256:abc');
  });
});

describe('exit annotations', () => {
  test('parsing', () => {
    assert.equal(exitSpecOf(pod()), undefined);
    assert.deepEqual(exitSpecOf(pod({ exit: 0 })), { exitCode: 0, runMs: 0 });
    assert.deepEqual(exitSpecOf(pod({ exit: 2, run: 1.5 })), { exitCode: 2, runMs: 1500 });
    assert.equal(exitSpecOf({ metadata: { annotations: { 'sim.kts.io/exit-code': 'x' } } }), undefined);
  });
});

describe('state machine', () => {
  test('a running pod without an exit stays running, nothing scheduled', () => {
    const p = pod();
    const sim = started(p);
    assert.equal(advanceSimPod(sim, p, T0 + 3_600_000, OPTS), undefined);
    assert.equal(phaseOf(sim, p, false), 'Running');
  });

  test('Never: exit after run-seconds, then terminal', () => {
    const p = pod({ policy: 'Never', exit: 0, run: 5 });
    const sim = started(p);
    assert.equal(advanceSimPod(sim, p, T0 + 1000, OPTS), T0 + 5000);
    assert.equal(phaseOf(sim, p, false), 'Running');
    assert.equal(advanceSimPod(sim, p, T0 + 6000, OPTS), undefined);
    assert.equal(sim.terminal, 'Succeeded');
    assert.equal(sim.containers[0].finishedAt, T0 + 5000);
    const failing = pod({ policy: 'Never', exit: 137 });
    const s2 = started(failing);
    advanceSimPod(s2, failing, T0, OPTS);
    assert.equal(s2.terminal, 'Failed');
    assert.equal(s2.containers[0].reason, 'Error');
  });

  test('OnFailure restarts failures only', () => {
    const ok = pod({ policy: 'OnFailure', exit: 0 });
    const s1 = started(ok);
    advanceSimPod(s1, ok, T0, OPTS);
    assert.equal(s1.terminal, 'Succeeded');
    const bad = pod({ policy: 'OnFailure', exit: 1, run: 1 });
    const s2 = started(bad);
    const wake = advanceSimPod(s2, bad, T0 + 1000, OPTS);
    assert.equal(s2.terminal, undefined);
    assert.equal(s2.containers[0].state, 'waiting');
    assert.equal(s2.containers[0].restartCount, 1);
    assert.equal(wake, T0 + 1000 + 10_000, 'first back-off is the base');
    assert.equal(phaseOf(s2, bad, false), 'Running');
  });

  test('Always: back-off doubles up to the cap', () => {
    const p = pod({ policy: 'Always', exit: 0, run: 1 });
    const sim = started(p);
    const c = sim.containers[0];
    const firstID = c.containerID;
    // exit at +1s, back-off 10s → start at 11s, exit at 12s, back-off 20s → start at 32s, exit 33s, back-off 40s ...
    advanceSimPod(sim, p, T0 + 11_000, OPTS);
    assert.equal(c.state, 'running');
    assert.equal(c.restartCount, 1);
    assert.equal(c.startedAt, T0 + 11_000);
    assert.notEqual(c.containerID, firstID);
    assert.equal(c.last?.containerID, firstID);
    const wake = advanceSimPod(sim, p, T0 + 12_500, OPTS);
    assert.equal(c.state, 'waiting');
    assert.equal(c.restartCount, 2);
    assert.equal(wake, T0 + 32_000);
    // Far in the future: many restarts, back-off capped at 300s.
    advanceSimPod(sim, p, T0 + 3_600_000, OPTS);
    assert.ok(c.restartCount > 5 && c.restartCount < 20, String(c.restartCount));
    assert.equal(sim.terminal, undefined);
    const st = buildPodStatus(p, sim, T0 + 3_600_000);
    assert.equal(st.phase, 'Running');
  });

  test('a zero back-off is clamped so restarts cannot spin', () => {
    const p = pod({ policy: 'Always', exit: 0 });
    const sim = started(p);
    advanceSimPod(sim, p, T0 + 1000, { ...OPTS, backoffBaseMs: 0, backoffMaxMs: 0 });
    assert.ok(sim.containers[0].restartCount <= 101, String(sim.containers[0].restartCount));
  });

  test('getPhase: waiting containers mean Pending; sidecars run with the pod', () => {
    const p = pod({ init: [{ name: 'setup', image: 'busybox' }, { name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] });
    const fresh = newSimPod(p, T0, '10.200.0.1');
    assert.equal(phaseOf(fresh, p, false), 'Pending');
    const sim = started(p);
    assert.equal(sim.init[0].state, 'terminated');
    assert.equal(sim.init[1].state, 'running');
    const st = buildPodStatus(p, sim, T0);
    assert.equal(st.phase, 'Running');
    assert.equal(st.initContainerStatuses[0].ready, true);
    assert.equal(st.initContainerStatuses[0].state.terminated.reason, 'Completed');
    assert.equal(st.initContainerStatuses[1].ready, true);
    assert.equal(st.initContainerStatuses[1].started, true);
    assert.equal(cond(st, 'Initialized').status, 'True');
  });

  test('kill: running containers stop with 0, the phase becomes terminal', () => {
    const p = pod();
    const sim = started(p);
    killSimPod(sim, p, T0 + 2000);
    assert.equal(sim.terminal, 'Succeeded');
    const st = buildPodStatus(p, sim, T0 + 2000, true);
    assert.equal(st.phase, 'Succeeded');
    assert.equal(st.containerStatuses[0].state.terminated.exitCode, 0);
    assert.equal(cond(st, 'Ready').reason, 'PodCompleted');

    const crashing = pod({ policy: 'Always', exit: 2, run: 1 });
    const s2 = started(crashing);
    advanceSimPod(s2, crashing, T0 + 2000, OPTS);
    assert.equal(s2.containers[0].state, 'waiting');
    killSimPod(s2, crashing, T0 + 3000);
    assert.equal(s2.terminal, 'Failed');
    assert.equal(s2.containers[0].exitCode, 2);
  });
});

describe('status', () => {
  test('pending: containers being created, kubelet conditions with upstream reasons', () => {
    const p = pod({ init: [{ name: 'setup', image: 'busybox' }], containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] });
    const sim = newSimPod(p, T0, '10.200.0.1');
    const st = buildPodStatus(p, sim, T0);
    assert.equal(st.phase, 'Pending');
    assert.equal(st.podIP, undefined);
    assert.equal(st.hostIP, '10.200.0.1');
    assert.equal(st.startTime, '2025-01-01T00:00:00Z');
    assert.equal(st.containerStatuses[0].state.waiting.reason, 'PodInitializing');
    assert.equal(st.initContainerStatuses[0].state.waiting.reason, 'PodInitializing');
    assert.equal(cond(st, 'PodReadyToStartContainers').status, 'False');
    assert.deepEqual(
      { s: cond(st, 'Initialized').status, r: cond(st, 'Initialized').reason, m: cond(st, 'Initialized').message },
      { s: 'False', r: 'ContainersNotInitialized', m: 'containers with incomplete status: [setup]' },
    );
    assert.equal(cond(st, 'ContainersReady').message, 'containers with unready status: [a b]');
    assert.equal(cond(st, 'Ready').reason, 'ContainersNotReady');
    assert.equal(cond(st, 'PodScheduled').status, 'True');
    assert.equal(st.qosClass, 'BestEffort', 'fields the kubelet does not own are kept');
  });

  test('conditions: foreign ones kept in place, transition times kept while the status holds', () => {
    const p = pod({
      gates: ['example.com/gate'],
      conditions: [
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-12-31T00:00:00Z' },
        { type: 'example.com/gate', status: 'True', lastTransitionTime: '2024-12-31T00:00:01Z' },
      ],
    });
    const sim = started(p);
    const st = buildPodStatus(p, sim, T0);
    assert.deepEqual(
      st.conditions.map((c: any) => c.type),
      ['PodScheduled', 'example.com/gate', 'PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'],
    );
    assert.equal(cond(st, 'PodScheduled').lastTransitionTime, '2024-12-31T00:00:00Z');
    assert.equal(cond(st, 'Ready').status, 'True');
    const later = buildPodStatus({ ...p, status: st }, sim, T0 + 60_000);
    assert.ok(semanticEqual(later, st), 'nothing changed: the same status');
  });

  test('readiness gates', () => {
    const missing = pod({ gates: ['a', 'b'], conditions: [{ type: 'b', status: 'False' }] });
    const st = buildPodStatus(missing, started(missing), T0);
    assert.equal(cond(st, 'ContainersReady').status, 'True');
    assert.equal(cond(st, 'Ready').status, 'False');
    assert.equal(cond(st, 'Ready').reason, 'ReadinessGatesNotReady');
    assert.equal(
      cond(st, 'Ready').message,
      'corresponding condition of pod readiness gate "a" does not exist., the status of pod readiness gate "b" is not "True", but False',
    );
  });

  test('a restarted simulator reads back what it wrote', () => {
    const p = pod({ policy: 'Always', exit: 1, run: 1, init: [{ name: 'setup', image: 'busybox' }] });
    const sim = started(p);
    advanceSimPod(sim, p, T0 + 12_000, OPTS);
    const st = buildPodStatus(p, sim, T0 + 12_000);
    const withStatus = { ...p, status: st };
    const adopted = adoptSimPod(withStatus, '10.200.0.1', T0 + 12_500, OPTS)!;
    assert.ok(adopted);
    assert.equal(adopted.podIP, '10.244.0.2');
    assert.equal(adopted.containers[0].restartCount, sim.containers[0].restartCount);
    assert.equal(adopted.containers[0].containerID, sim.containers[0].containerID);
    assert.ok(semanticEqual(buildPodStatus(withStatus, adopted, T0 + 12_500), st));
    assert.equal(adoptSimPod(pod(), '10.200.0.1', T0), undefined, 'a pod never started is not adopted');
  });

  test('semanticEqual: missing equals null', () => {
    assert.ok(semanticEqual({ a: 1, b: null }, { a: 1 }));
    assert.ok(semanticEqual({ a: [{ x: undefined }] }, { a: [{}] }));
    assert.ok(!semanticEqual({ a: {} }, { a: null }));
    assert.ok(!semanticEqual([1, 2], [1]));
    assert.ok(!semanticEqual({ a: 1 }, { a: '1' }));
  });
});
