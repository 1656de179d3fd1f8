import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Algorithm, fitErrorMessage, numFeasibleNodesToFind, runFilters, preFilter } from './framework.js';
import { PodInfo } from './pod-info.js';
import { Preemptor } from './preemption.js';
import { unresolvable, unschedulable } from './plugins/status.js';
import { clusterOf, makeNode, makePod } from './test-helpers.js';

const cp = 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }';

test('FitError message: counts per reason, sorted as strings, then the preemption message', () => {
  const statuses = [
    unschedulable('NodeResourcesFit', 'Insufficient cpu'),
    unresolvable('TaintToleration', cp),
    unschedulable('NodeResourcesFit', 'Insufficient cpu'),
    unresolvable('TaintToleration', cp),
    unresolvable('TaintToleration', cp),
  ];
  assert.equal(
    fitErrorMessage(5, statuses, 'preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.'),
    `0/5 nodes are available: 2 Insufficient cpu, 3 ${cp}. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.`,
  );
  // Every reason of a node counts; the sort is on the whole "<count> <reason>" string.
  assert.equal(
    fitErrorMessage(12, [...Array(10).fill(unschedulable('X', 'Insufficient memory')), unschedulable('NodeResourcesFit', 'Insufficient cpu', 'Insufficient memory'), unschedulable('NodePorts', "node(s) didn't have free ports for the requested pod ports")]),
    "0/12 nodes are available: 1 Insufficient cpu, 1 node(s) didn't have free ports for the requested pod ports, 11 Insufficient memory.",
  );
  assert.equal(fitErrorMessage(0, []), '0/0 nodes are available:');
});

test('FailedScheduling text for a pod that fits nowhere, end to end through the filters and preemption', () => {
  const nodes = [
    makeNode('cp', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
    makeNode('w1', { cpu: '1' }),
    makeNode('w2', { cpu: '1' }),
    makeNode('w3', { cpu: '1', labels: { disk: 'hdd' } }),
    makeNode('down', { ready: 'False' }),
  ];
  const cluster = clusterOf(nodes, [makePod('busy', { nodeName: 'w1', cpu: '800m', priority: 10 })]);
  const pod = new PodInfo(makePod('p', { cpu: '500m', nodeSelector: { 'kubernetes.io/os': 'linux' } }));
  const alg = new Algorithm(cluster);
  const r = alg.schedule(pod);
  assert.equal(r.kind, 'unschedulable');
  if (r.kind !== 'unschedulable') return;
  assert.deepEqual([...r.diagnosis.unschedulablePlugins].sort(), ['NodeAffinity', 'TaintToleration']);
  const pre = new Preemptor({ view: cluster, priorityOf: (p) => p?.spec?.priority ?? 0, pdbs: () => [], nominatedPods: () => undefined });
  const res = pre.preempt(pod, 0, r.state, r.diagnosis, r.numAllNodes);
  assert.equal(res.kind, 'failed');
  if (res.kind !== 'failed') return;
  assert.equal(
    fitErrorMessage(r.numAllNodes, r.diagnosis.statuses.values(), res.message),
    `0/5 nodes are available: 1 ${cp}, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.`,
  );

  const pod2 = new PodInfo(makePod('q', { cpu: '500m' }));
  const r2 = alg.schedule(pod2);
  assert.equal(r2.kind, 'scheduled');
  const big = new PodInfo(makePod('big', { cpu: '900m' }));
  const r3 = alg.schedule(big);
  assert.equal(r3.kind, 'scheduled', 'w2 and w3 have room');
});

test('filters run in upstream order and the first rejection wins', () => {
  const node = clusterOf([makeNode('n', { unschedulable: true, cpu: '1', taints: [{ key: 'k', effect: 'NoSchedule' }] })]).nodeInfo('n')!;
  const pod = new PodInfo(makePod('p', { cpu: '2' }));
  const view = clusterOf([]);
  assert.deepEqual(runFilters(preFilter(pod, view), node)?.reasons, ['node(s) were unschedulable']);
  node.unschedulable = false;
  assert.deepEqual(runFilters(preFilter(pod, view), node)?.reasons, ['node(s) had untolerated taint {k: }']);
  node.taints = [];
  assert.deepEqual(runFilters(preFilter(pod, view), node)?.reasons, ['Insufficient cpu']);
});

test('scheduling spreads equal pods over equal nodes (LeastAllocated) and counts assumed pods', () => {
  const names = ['a', 'b', 'c', 'd'];
  const cluster = clusterOf(names.map((n) => makeNode(n, { cpu: '4', memory: '16Gi' })));
  const alg = new Algorithm(cluster);
  const perNode = new Map<string, number>();
  for (let i = 0; i < 8; i++) {
    const pod = new PodInfo(makePod(`p${i}`, { cpu: '1', memory: '1Gi' }));
    const r = alg.schedule(pod);
    assert.equal(r.kind, 'scheduled');
    if (r.kind !== 'scheduled') return;
    cluster.assumePod(pod.withNodeName(r.nodeName));
    perNode.set(r.nodeName, (perNode.get(r.nodeName) ?? 0) + 1);
  }
  assert.deepEqual([...perNode.values()], [2, 2, 2, 2]);
  const r = alg.schedule(new PodInfo(makePod('p9', { cpu: '3' })));
  assert.equal(r.kind, 'unschedulable', 'every node has 2 of 4 cpus requested by assumed pods');
});

test('ties are broken at random among the best nodes', () => {
  const cluster = clusterOf(['a', 'b', 'c'].map((n) => makeNode(n)));
  const seen = new Set<string>();
  let x = 0;
  const alg = new Algorithm(cluster, { random: () => ((x = (x + 0.37) % 1), x) });
  for (let i = 0; i < 30; i++) {
    const r = alg.schedule(new PodInfo(makePod(`p${i}`)));
    if (r.kind === 'scheduled') seen.add(r.nodeName);
  }
  assert.equal(seen.size, 3);
});

test('preferred node affinity outweighs resource balance (weight 2)', () => {
  const cluster = clusterOf([makeNode('plain', { cpu: '64' }), makeNode('ssd', { cpu: '4', labels: { disk: 'ssd' } })], [makePod('e', { nodeName: 'ssd', cpu: '1' })]);
  const pod = new PodInfo(
    makePod('p', { cpu: '100m', affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } } }),
  );
  const r = new Algorithm(cluster).schedule(pod);
  assert.equal(r.kind === 'scheduled' && r.nodeName, 'ssd');
});

test('a preemptor tries its nominated node first', () => {
  const cluster = clusterOf(['a', 'b', 'c'].map((n) => makeNode(n)));
  const pod = new PodInfo(makePod('p', { status: { nominatedNodeName: 'c' } }));
  const r = new Algorithm(cluster, { random: () => 0 }).schedule(pod);
  assert.deepEqual(r.kind === 'scheduled' && [r.nodeName, r.evaluatedNodes], ['c', 1]);
});

test('nominated pods of equal or higher priority hold their room on a node', () => {
  const cluster = clusterOf([makeNode('a', { cpu: '2' })]);
  const nominated = new PodInfo(makePod('pre', { cpu: '2', priority: 100 }));
  const alg = new Algorithm(cluster, { nominatedPods: (n) => (n === 'a' ? [{ pod: nominated, priority: 100 }] : undefined) });
  assert.equal(alg.schedule(new PodInfo(makePod('low', { cpu: '1' })), 0).kind, 'unschedulable');
  assert.equal(alg.schedule(new PodInfo(makePod('high', { cpu: '1' })), 200).kind, 'scheduled');
});

test('number of feasible nodes to find: upstream adaptive percentage', () => {
  assert.equal(numFeasibleNodesToFind(50), 50);
  assert.equal(numFeasibleNodesToFind(200), 100);
  assert.equal(numFeasibleNodesToFind(1000), 420);
  assert.equal(numFeasibleNodesToFind(5000), 500);
  assert.equal(numFeasibleNodesToFind(10000), 500);
  assert.equal(numFeasibleNodesToFind(1000, 100), 1000);
  assert.equal(numFeasibleNodesToFind(1000, 10), 100);
});
