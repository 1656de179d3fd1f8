import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Algorithm, fitErrorMessage } from './framework.js';
import { PodInfo } from './pod-info.js';
import { Preemptor, splitByPDBViolation, type PreemptionResult } from './preemption.js';
import { clusterOf, makeNode, makePod } from './test-helpers.js';
import type { SchedulerCache } from './node-info.js';

const prio = (p: any) => p?.spec?.priority ?? 0;

function attempt(cluster: SchedulerCache, pod: PodInfo, pdbs: any[] = []): { result: PreemptionResult; message: string } {
  const r = new Algorithm(cluster).schedule(pod, prio(pod.pod));
  assert.equal(r.kind, 'unschedulable');
  if (r.kind !== 'unschedulable') throw new Error('unreachable');
  const result = new Preemptor({ view: cluster, priorityOf: prio, pdbs: () => pdbs, nominatedPods: () => undefined, random: () => 0 }).preempt(pod, prio(pod.pod), r.state, r.diagnosis, r.numAllNodes);
  const message = fitErrorMessage(r.numAllNodes, r.diagnosis.statuses.values(), result.kind === 'failed' ? result.message : '');
  return { result, message };
}

const victims = (r: PreemptionResult) => (r.kind === 'nominated' ? [r.candidate.nodeName, r.candidate.victims.map((v) => v.name)] : r.message);

test('preemption removes only as many lower-priority pods as needed', () => {
  const cluster = clusterOf(
    [makeNode('n', { cpu: '4' })],
    [
      makePod('low-a', { nodeName: 'n', cpu: '1', priority: 1 }),
      makePod('low-b', { nodeName: 'n', cpu: '1', priority: 2 }),
      makePod('mid', { nodeName: 'n', cpu: '1', priority: 50 }),
      makePod('peer', { nodeName: 'n', cpu: '1', priority: 100 }),
    ],
  );
  const { result } = attempt(cluster, new PodInfo(makePod('pre', { cpu: '2', priority: 100 })));
  assert.deepEqual(victims(result), ['n', ['low-b', 'low-a']], 'the two lowest go; mid is reprieved; equal priority is never a victim');
});

test('the node with the lowest-priority victims is chosen, then the fewest victims', () => {
  const cluster = clusterOf(
    [makeNode('a', { cpu: '2' }), makeNode('b', { cpu: '2' }), makeNode('c', { cpu: '2' })],
    [
      makePod('a1', { nodeName: 'a', cpu: '2', priority: 30 }),
      makePod('b1', { nodeName: 'b', cpu: '1', priority: 10 }),
      makePod('b2', { nodeName: 'b', cpu: '1', priority: 10 }),
      makePod('c1', { nodeName: 'c', cpu: '2', priority: 10 }),
    ],
  );
  const { result } = attempt(cluster, new PodInfo(makePod('pre', { cpu: '2', priority: 100 })));
  // b and c have highest victim priority 10 (better than a's 30); c's sum is lower (one pod).
  assert.deepEqual(victims(result), ['c', ['c1']]);
});

test('PodDisruptionBudgets: a node whose victims stay within budget is preferred', () => {
  const cluster = clusterOf(
    [makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })],
    [makePod('guarded', { nodeName: 'a', cpu: '1', priority: 1, labels: { app: 'db' } }), makePod('free', { nodeName: 'b', cpu: '1', priority: 5, labels: { app: 'web' } })],
  );
  const pdb = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0 } };
  const { result } = attempt(cluster, new PodInfo(makePod('pre', { cpu: '1', priority: 100 })), [pdb]);
  assert.deepEqual(victims(result), ['b', ['free']]);
  if (result.kind === 'nominated') assert.equal(result.candidate.numPDBViolations, 0);
  // With only the guarded node, the budget is violated rather than not preempting.
  const only = clusterOf([makeNode('a', { cpu: '1' })], [makePod('guarded', { nodeName: 'a', cpu: '1', priority: 1, labels: { app: 'db' } })]);
  const { result: r2 } = attempt(only, new PodInfo(makePod('pre', { cpu: '1', priority: 100 })), [pdb]);
  assert.deepEqual(victims(r2), ['a', ['guarded']]);
  if (r2.kind === 'nominated') assert.equal(r2.candidate.numPDBViolations, 1);
});

test('splitByPDBViolation counts down each budget in order', () => {
  const pods = ['x', 'y', 'z'].map((n) => new PodInfo(makePod(n, { labels: { app: 'db' } })));
  const pdb = { metadata: { namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 1, disruptedPods: { z: '2024-01-01T00:00:00Z' } } };
  const { violating, nonViolating } = splitByPDBViolation(pods, [pdb]);
  assert.deepEqual(violating.map((p) => p.name), ['y']);
  assert.deepEqual(nonViolating.map((p) => p.name), ['x', 'z']);
  assert.equal(splitByPDBViolation(pods, [{ ...pdb, spec: { selector: {} } }]).violating.length, 0, 'an empty selector matches nothing');
});

test('messages when preemption cannot help', () => {
  const cluster = clusterOf(
    [makeNode('tainted', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), makeNode('full', { cpu: '1' }), makeNode('peer', { cpu: '1' })],
    [makePod('same', { nodeName: 'full', cpu: '1', priority: 100 }), makePod('low', { nodeName: 'peer', cpu: '1', priority: 1 })],
  );
  const huge = attempt(cluster, new PodInfo(makePod('huge', { cpu: '8', priority: 100 })));
  assert.equal(huge.message, '0/3 nodes are available: 1 node(s) had untolerated taint {k: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
  const never = attempt(cluster, new PodInfo(makePod('never', { cpu: '1', priority: 100, preemptionPolicy: 'Never' })));
  assert.equal(never.message, '0/3 nodes are available: 1 node(s) had untolerated taint {k: }, 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  const mid = attempt(cluster, new PodInfo(makePod('mid', { cpu: '1', priority: 100 })));
  assert.deepEqual(victims(mid.result), ['peer', ['low']]);
  const lowest = attempt(cluster, new PodInfo(makePod('lowest', { cpu: '1', priority: 0 })));
  assert.equal(
    lowest.message,
    '0/3 nodes are available: 1 node(s) had untolerated taint {k: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
  );
});

test('a preemptor waits while victims it evicted are still terminating on its nominated node', () => {
  const terminating = makePod('victim', {
    nodeName: 'n',
    cpu: '1',
    priority: 1,
    deletionTimestamp: '2024-01-01T00:00:30Z',
    status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] },
  });
  const cluster = clusterOf([makeNode('n', { cpu: '1' })], [terminating]);
  const { result, message } = attempt(cluster, new PodInfo(makePod('pre', { cpu: '1', priority: 100, status: { nominatedNodeName: 'n' } })));
  assert.equal(result.kind, 'failed');
  assert.equal(message, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.');
});

test('preemption honours inter-pod anti-affinity when giving victims back', () => {
  const cluster = clusterOf(
    [makeNode('n', { cpu: '4' })],
    [makePod('web-old', { nodeName: 'n', cpu: '1', priority: 1, labels: { app: 'web' } }), makePod('other', { nodeName: 'n', cpu: '1', priority: 1, labels: { app: 'x' } })],
  );
  const pod = new PodInfo(
    makePod('web-new', { cpu: '1', priority: 100, labels: { app: 'web' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } } }),
  );
  const { result } = attempt(cluster, pod);
  assert.deepEqual(victims(result), ['n', ['web-old']]);
});
